"""The model guard of a PostgreSQL collection: which model its vectors come from, and
what changing it does (refused unless re-embedding; then every vector, region and HNSW
graph made with the old model goes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from imgsearch.store import core, records


class Forgets(Protocol):
    """A vector index of the collection (images', regions'), dropped on a model change."""

    def forget(self, tx: Any | None = None) -> None: ...


def read_settings(connection: Any, collection_id: int) -> records.IndexSettings | None:
    """The model the collection is bound to (None: not bound yet)."""
    row = connection.execute(
        "SELECT model_id, dim, preprocessing, model_source FROM imgsearch_collections "
        "WHERE id = %s",
        (collection_id,),
    ).fetchone()
    if row is None or row[0] is None:
        return None
    model_id, dim, preprocessing, source = row
    return records.IndexSettings(model_id, int(dim), preprocessing or "", source or model_id)


def bind_collection(
    tx: Any,
    collection_id: int,
    location: str,
    settings: records.IndexSettings,
    reembed: bool,
    indexes: Sequence[Forgets],
) -> None:
    """Bind the collection to ``settings``' model in ``tx``, under the collection's lock:
    the same model only refreshes where it came from; another one is refused unless
    ``reembed`` (:func:`imgsearch.store.core.check_binding`)."""
    indexes[0].forget()
    tx.execute("SELECT pg_advisory_xact_lock(%s, %s)", (7_301, collection_id))
    current, dim = tx.execute(
        "SELECT model_id, dim FROM imgsearch_collections WHERE id = %s FOR UPDATE",
        (collection_id,),
    ).fetchone()
    if current == settings.model_id and dim == settings.dim:
        if settings.source:
            tx.execute(
                "UPDATE imgsearch_collections SET model_source = %s WHERE id = %s",
                (settings.source, collection_id),
            )
        return
    if core.check_binding(location, current, dim, settings, reembed=reembed):
        tx.execute(
            "UPDATE imgsearch_images SET vector = NULL WHERE collection_id = %s", (collection_id,)
        )
        for table in ("imgsearch_regions", "imgsearch_region_stamps"):
            # cut with the old model: meaningless now
            tx.execute(f"DELETE FROM {table} WHERE collection_id = %s", (collection_id,))
    # the HNSW indexes are built again once the collection is large enough
    for index in indexes:
        index.forget(tx)
    tx.execute(
        "UPDATE imgsearch_collections SET model_id = %s, dim = %s, preprocessing = %s, "
        "model_source = %s WHERE id = %s",
        (
            settings.model_id,
            settings.dim,
            settings.preprocessing,
            settings.source or settings.model_id,
            collection_id,
        ),
    )
