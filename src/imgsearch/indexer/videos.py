"""Videos in an index run: an item whose moments are its kept frames.

A video is read in two steps. On a decode worker, like an image, its bytes are hashed
(streamed: a video is never held in memory) and its header probed for the facts the
store keeps (duration, frame rate, codec, displayed size, creation time). Only when no
stored row can serve — not unchanged, not moved — are its frames selected
(:func:`~imgsearch.media.video.select_frames`) and embedded — a frame the model sees as
the last one stored (cosine ≥ ``same_above``) is then dropped — on a thread that decodes
ahead of the model through a short queue, so memory holds a few batches of frames
whatever the video's length. The video's row and every kept frame (a region with a
``time`` and frame number) are then written in **one transaction**: a video is in the
index whole or not at all, and a run killed midway redoes it from the start.

The video's own vector (what "find similar" to the whole video and whole-item search
use) is the normalised mean of its frames' vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imgsearch.errors import ImageError, ImageUnreadable, UnsupportedVideo
from imgsearch.indexer.report import EventKind
from imgsearch.indexer.steps import Candidate, Moves, Outcome, Read, failure_of
from imgsearch.media.sniff import looks_like_image, looks_like_video
from imgsearch.media.video import FramePolicy, Selection, VideoLimits
from imgsearch.media.walk import VIDEO_EXTENSIONS
from imgsearch.models.encoder import Pixels, Vectors
from imgsearch.models.images import ImagePipeline
from imgsearch.store import ImageFacts, ImageWrite, Region

CHUNK = 1 << 20


@dataclass(frozen=True)
class VideoOptions:
    """How videos are read: which frames are kept and the caps that make one a bad video."""

    policy: FramePolicy = field(default_factory=FramePolicy)
    limits: VideoLimits = field(default_factory=VideoLimits)


def is_video(path: str) -> bool:
    """Whether the file holds a video, by its first bytes: a video container signature,
    or a video extension on content that is no known image format. Unreadable: False
    (the image path reports why)."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    if looks_like_video(head):
        return True
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS and not looks_like_image(head)


def read_video(candidate: Candidate, limits: VideoLimits) -> Read:
    """The facts of a video file (hash streamed, header probed), or why it is a bad one."""
    entry = candidate.entry
    try:
        from imgsearch.media.video import probe

        digest = _hash(entry.path)
        info = probe(entry.path, limits)
    except ImportError:
        error = UnsupportedVideo(
            "reading videos needs PyAV", source=entry.path,
            hint="pip install 'imgsearch[video]'",
        )  # fmt: skip
        return Read(candidate, failure=failure_of(entry, error))
    except ImageError as exc:
        return Read(candidate, failure=failure_of(entry, exc))
    facts = ImageFacts(
        path=entry.path,
        size=entry.size,
        mtime_ns=entry.mtime_ns,
        digest=digest,
        width=info.width,
        height=info.height,
        format=info.format,
        captured_at=info.created,
        duration=info.duration,
        fps=info.fps,
        codec=info.codec,
        frame_count=info.frames,
    )
    return Read(candidate, facts, video=True)


def _hash(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise ImageUnreadable(f"cannot be read ({exc.strerror or exc})", source=path) from None
    return digest.hexdigest()


def reuse(item: Read, moves: Moves) -> Outcome | None:
    """What a video read becomes without decoding a frame — failed, touched (same bytes,
    its row keeps vector and frames) or moved (a vanished row with these bytes keeps its
    id, vector and frames) — or None: its frames must be embedded."""
    row = item.candidate.stored
    if item.failure is not None or item.facts is None:
        assert item.failure is not None
        return Outcome("failed", failure=item.failure, delete=row.id if row else None)
    digest = item.facts.digest
    if row is not None and row.digest == digest and row.has_vector:
        return Outcome("touched", ImageWrite(item.facts, None, id=row.id))
    if row is None and (moved_from := moves.claim(digest)) is not None:
        return Outcome("moved", ImageWrite(item.facts, None, id=moved_from.id))
    return None


def embed_video(item: Read, images: ImagePipeline, options: VideoOptions) -> Outcome:
    """Select, decode and embed a video's frames: an outcome that writes the video with
    its frames (``added`` / ``updated``), or ``failed`` when the video goes bad midway
    or changes on disk meanwhile."""
    assert item.facts is not None
    entry, row = item.candidate.entry, item.candidate.stored
    try:
        frames, vectors = _frames_and_vectors(entry.path, images, options)
        stat = Path(entry.path).stat()
        if (stat.st_size, stat.st_mtime_ns) != (entry.size, entry.mtime_ns):
            raise ImageUnreadable("changed while it was being indexed", source=entry.path)
    except ImageError as exc:
        return Outcome("failed", failure=failure_of(entry, exc), delete=row.id if row else None)
    except OSError as exc:
        error = ImageUnreadable(f"cannot be read ({exc.strerror or exc})", source=entry.path)
        return Outcome("failed", failure=failure_of(entry, error), delete=row.id if row else None)
    embedded = len(frames)
    frames, vectors = _distinct(frames, vectors, options.policy.same_above)
    whole = vectors.mean(axis=0)
    whole /= max(float(np.linalg.norm(whole)), 1e-12)
    kind: EventKind = "updated" if row is not None else "added"
    return Outcome(
        kind,
        ImageWrite(item.facts, whole.astype(np.float32), id=row.id if row else None),
        embedded=embedded,
        frames=list(zip(frames, vectors, strict=True)),
    )


def _frames_and_vectors(
    path: str, images: ImagePipeline, options: VideoOptions
) -> tuple[list[Region], Vectors]:
    regions: list[Region] = []
    parts: list[Vectors] = []
    for batch_regions, pixels in _decoded_batches(path, images, options):
        regions += batch_regions
        parts.append(images.embed(pixels))
    return regions, np.concatenate(parts)


def _distinct(
    frames: list[Region], vectors: Vectors, same_above: float
) -> tuple[list[Region], Vectors]:
    """The frames whose vector differs from the last one kept (cosine below
    ``same_above``): the first always stays, so a video keeps at least one frame."""
    keep = [0]
    for n in range(1, len(frames)):
        if float(vectors[n] @ vectors[keep[-1]]) < same_above:
            keep.append(n)
    return [frames[n] for n in keep], vectors[keep]


def _decoded_batches(
    path: str, images: ImagePipeline, options: VideoOptions
) -> Iterator[tuple[list[Region], list[Pixels]]]:
    """Batches of kept frames (as regions) and their model inputs, decoded on a thread
    ahead of the caller; the decoder's errors are raised here."""
    from imgsearch.media.video import KeptFrame, select_frames

    def model_input(frame: KeptFrame) -> Pixels:
        pixels = images.read_image(frame.image, name=path)[1]
        assert pixels is not None
        return pixels

    frames = select_frames(path, options.policy, options.limits, Selection())
    for batch, pixels in images.read_behind(frames, model_input):
        yield [Region("frame", time=f.time, frame=f.number) for f in batch], pixels
