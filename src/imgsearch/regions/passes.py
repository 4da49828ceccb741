"""One pass that gives indexed images regions from a source that looks at pixels (grid
windows, a detector), shared so that every such source resumes, batches and fails alike.

The pass runs after an index run, over the images under the folders whose regions of
that ``source`` were not made with ``stamp`` (a string naming the scheme and its
parameters): each image's regions are written in one transaction with the stamp, so a
killed pass resumes where it stopped and a changed scheme redoes every image. An image
that changed on disk since it was indexed, or that cannot be read now, is reported and
left for the next run; the pass goes on. Videos get no regions from such a pass (their
frames are their regions) and are stamped as done.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imgsearch.errors import ImgsearchError
from imgsearch.kinds import kind_of
from imgsearch.models.encoder import Pixels
from imgsearch.models.images import ImagePipeline
from imgsearch.store import ImageRecord, Region, RegionSet, Store, WriteBatch

DEFAULT_PADDING = 0.1
"""Context added around a box before it is embedded, as a share of its width and height
(annotations and detector regions alike)."""

IMAGES_PER_WRITE = 8

Finder = Callable[[ImageRecord], tuple[list[Region], list[Pixels]]]
"""An image's regions and the model input of each (raises ImgsearchError when it cannot)."""


@dataclass
class RegionReport:
    """``images`` given regions (``regions`` kept, ``pruned`` too like the whole picture),
    model inputs ``embedded``, images ``skipped`` (already done), and problems."""

    images: int = 0
    regions: int = 0
    pruned: int = 0
    embedded: int = 0
    skipped: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        counts = ("images", "regions", "pruned", "embedded", "skipped")
        return {
            **{name: getattr(self, name) for name in counts},
            "seconds": round(self.seconds, 3),
            "problems": [{"path": p, "message": m} for p, m in self.problems],
        }


def add_regions(
    store: Store,
    images: ImagePipeline,
    roots: Sequence[str | os.PathLike[str]],
    *,
    source: str,
    stamp: str,
    find: Finder,
    keep_below: float | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    select: Callable[[str], bool] | None = None,
) -> RegionReport:
    """Give the images indexed under ``roots`` the regions ``find`` sees, where they lack
    regions of ``source`` made with ``stamp``. With ``keep_below``, a region whose vector
    has that cosine or more with the whole image's is not stored (it adds nothing). With
    ``select``, only images whose path it accepts (an indexer's part)."""
    started = time.monotonic()
    report = RegionReport()
    real = [str(Path(root).expanduser().resolve()) for root in roots]
    done = store.regions.stamps(source)
    files = [
        f for f in store.files_under(real) if f.has_vector and (select is None or select(f.path))
    ]
    todo = [f.id for f in files if done.get(f.id) != stamp]
    report.skipped = len(files) - len(todo)
    for start in range(0, len(todo), IMAGES_PER_WRITE):
        records = store.get(todo[start : start + IMAGES_PER_WRITE])
        found = images.read_ahead(lambda record: _look(find, record), records)
        sets = []
        whole = store.vectors([r.id for r in records])
        for record, future, vector in zip(records, found, whole, strict=True):
            regions, pixels, problem = future.result()
            if problem is not None:
                report.problems.append((record.path, problem))
                continue
            vectors = images.embed(pixels)
            report.embedded += len(pixels)
            kept = [
                (region, v)
                for region, v in zip(regions, vectors, strict=True)
                if keep_below is None or float(v @ vector) < keep_below
            ]
            report.pruned += len(regions) - len(kept)
            sets.append(RegionSet(source, kept, image_id=record.id, stamp=stamp))
            report.regions += len(kept)
        store.write(WriteBatch(regions=sets))
        report.images += len(sets)
        if on_progress is not None:
            on_progress(min(start + IMAGES_PER_WRITE, len(todo)), len(todo))
    report.seconds = time.monotonic() - started
    return report


def _look(find: Finder, record: ImageRecord) -> tuple[list[Region], list[Pixels], str | None]:
    """``find``'s regions of ``record``'s image, or why there are none now."""
    if kind_of(record.kind).part is not None:  # its parts are its regions: none, stamped done
        return [], [], None
    try:
        info = Path(record.path).stat()
    except OSError as exc:
        return [], [], f"cannot read it: {exc.strerror}"
    if (info.st_size, info.st_mtime_ns) != (record.size, record.mtime_ns):
        return [], [], "changed since it was indexed: index the folder again first"
    if not record.width or not record.height:
        return [], [], "the image's size is not known"
    try:
        regions, pixels = find(record)
    except ImgsearchError as exc:
        return [], [], str(exc)
    return regions, pixels, None
