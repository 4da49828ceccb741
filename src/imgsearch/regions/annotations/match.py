"""Finding the indexed image an annotation names.

Annotation files name images by a path relative to some folder of their own (COCO's
``file_name``, VOC's ``filename``, the YOLO label file's place in its folder), and that
folder need not be the one indexed. An annotation is matched to the indexed image whose
path relative to its root is the annotation's path, or else ends with the longest part
of it that names exactly one image: ``images/0001.jpg`` finds ``<root>/images/0001.jpg``, and also
``<root>/0001.jpg`` when the indexed folder was ``images`` itself; two images that both
fit are reported, never guessed between.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict


def _parts(path: str) -> list[str]:
    return [p for p in posixpath.normpath(path.replace("\\", "/")).split("/") if p not in ("", ".")]


class PathMatcher:
    """Indexed images (``(relative path, id)``) by every trailing part of their paths,
    with and without the extension."""

    def __init__(self, images: list[tuple[str, int]]) -> None:
        self._by_path: dict[str, set[int]] = defaultdict(set)
        self._by_stem: dict[str, set[int]] = defaultdict(set)
        self._exact: dict[tuple[bool, str], set[int]] = defaultdict(set)
        for relative, image_id in images:
            parts = _parts(relative)
            stem = [*parts[:-1], posixpath.splitext(parts[-1])[0]] if parts else []
            self._exact[(False, "/".join(parts))].add(image_id)
            self._exact[(True, "/".join(stem))].add(image_id)
            for start in range(len(parts)):
                self._by_path["/".join(parts[start:])].add(image_id)
                self._by_stem["/".join(stem[start:])].add(image_id)

    def find(self, named: str, *, by_stem: bool = False) -> int | str:
        """The id of the one image ``named`` names, or why there is none."""
        table = self._by_stem if by_stem else self._by_path
        parts = _parts(named)
        exact = self._exact.get((by_stem, "/".join(parts)))  # the very path under the folder
        tails = (table.get("/".join(parts[start:])) for start in range(len(parts)))
        for found in (exact, *tails):
            if not found:
                continue
            if len(found) == 1:
                return next(iter(found))
            return f"{named} fits {len(found)} indexed images: name it with more of its path"
        return f"{named} is not an indexed image under the folder"
