"""Looking through an index without a query (:class:`imgsearch.Index` mixes it in): a page
of its items in an order, the counts by folder, month, tag, label and kind beside it, and
the folders it holds — read off the store, with no model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from imgsearch.store import Filters, Store
from imgsearch.store.browsing import Facets, Listing, check_page, facet_base, local_utc_offset
from imgsearch.store.folders import collection_folders, suggest_folders


class BrowseHost(Protocol):
    """What browsing needs of the index it is part of: its store."""

    store: Store


class IndexBrowsing:
    """The browsing methods of :class:`imgsearch.Index`; each works on a :class:`BrowseHost`."""

    def browse(
        self: BrowseHost,
        filters: Filters = Filters(),
        *,
        labels: Sequence[str] = (),
        order: str = "newest",
        limit: int = 50,
        offset: int = 0,
    ) -> Listing:
        """A page of the collection without a query: the items ``filters`` allow (and,
        with ``labels``, that hold a box of one of them), ``newest`` first (capture time,
        else modification time), ``oldest`` first, or by ``path``."""
        check_page(order, limit, offset)
        ids, total = self.store.browse(filters, list(labels), order, limit, offset)
        by_id = {record.id: record for record in self.store.get(ids)}
        items = [by_id[i] for i in ids if i in by_id]  # one deleted meanwhile: left out
        return Listing(items, total, offset, order)

    def facets(
        self: BrowseHost, filters: Filters = Filters(), *, labels: Sequence[str] = ()
    ) -> Facets:
        """How many items :meth:`browse` lists, by folder (one level below the folder
        filtered on, else below the collection's), month (this machine's time zone), tag,
        label and kind."""
        base = facet_base(filters.under, collection_folders(self.store.paths_from))
        return self.store.facets(filters, list(labels), base, local_utc_offset())

    def folders(self: BrowseHost, typed: str, limit: int = 20) -> list[str]:
        """Indexed folders one level below ``typed`` that start with it (for a folder
        filter being typed); see :func:`~imgsearch.store.folders.suggest_folders`."""
        return suggest_folders(self.store.paths_from, typed, limit)

    def collection_folders(self: BrowseHost) -> list[str]:
        """The fewest folders that hold every indexed file, however many runs over which
        folders filled the index (see :func:`~imgsearch.store.folders.collection_folders`)."""
        return collection_folders(self.store.paths_from)

    def thumbprints(self: BrowseHost, image_ids: Sequence[int]) -> dict[int, bytes]:
        """The thumbprints stored with those of ``image_ids`` that have one: each still
        picture's model input as 16 × 16 colour cells, what near-duplicates compare and
        what a page paints as a picture's preview while its thumbnail loads."""
        return self.store.thumbprints(list(image_ids)) if image_ids else {}
