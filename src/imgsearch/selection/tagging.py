"""Tag or caption many items at once: tags added to and removed from each item's own (a
tag an item already has is not doubled), a caption set on all or left alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imgsearch.errors import InvalidQuery
from imgsearch.selection.export import Selection

if TYPE_CHECKING:
    from imgsearch.index import Index

MAX_TAGS = 64
"""Tags an item may carry (as one annotation takes them)."""


@dataclass(frozen=True)
class TagChange:
    """What to do to every item: ``add`` and ``remove`` tags; ``caption`` set (``""``
    removes it; ``None`` leaves each item's own)."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    caption: str | None = None

    def __post_init__(self) -> None:
        if not self.add and not self.remove and self.caption is None:
            raise InvalidQuery("nothing to change", hint="add or remove tags, or set a caption")
        if set(self.add) & set(self.remove):
            raise InvalidQuery("a tag cannot be added and removed at once")

    def tags_of(self, tags: Sequence[str]) -> list[str]:
        kept = [t for t in dict.fromkeys([*tags, *self.add]) if t not in self.remove]
        if len(kept) > MAX_TAGS:
            raise InvalidQuery(f"an item would carry {len(kept)} tags; at most {MAX_TAGS}")
        return kept


def annotate_many(index: Index, selection: Selection, change: TagChange) -> int:
    """Apply ``change`` to every selected item; how many changed (one already as asked is
    not written again)."""
    changed = 0
    for record in selection.records:
        tags = change.tags_of(record.tags)
        caption = record.caption if change.caption is None else (change.caption.strip() or None)
        if tags == list(record.tags) and caption == record.caption:
            continue
        index.annotate(record.id, caption=caption, tags=tags)
        changed += 1
    return changed
