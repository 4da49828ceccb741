"""``imgsearch index``: bring an index in step with folders, with progress and a summary.

On a terminal a Rich progress bar shows count, rate and ETA; otherwise (logs,
pipes) a line every few seconds and one per bad file. ``--json`` prints a
machine-readable summary on stdout. Exit status: 0 when the run completed
(bad files are skipped and reported, see ``imgsearch status --errors``); with
``--strict``, 5 when the index does not hold every image file under the folders
afterwards: a file failed in this run, a file that failed before is unchanged
and still not indexed, or a folder could not be read.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from imgsearch.cli.index_regions import MAX_PROBLEMS_SHOWN, changed_policy, print_regions
from imgsearch.cli.options import (
    IndexOption,
    MaxPixelsOption,
    ModelOption,
    PrecisionOption,
    open_index,
)
from imgsearch.cli.shown import counted, shown
from imgsearch.indexer import IndexEvent, IndexReport
from imgsearch.kinds import VideoOptions
from imgsearch.media.video import FramePolicy, VideoLimits
from imgsearch.regions.annotations import DEFAULT_PADDING, ImportReport
from imgsearch.regions.detector import DEFAULT_CONFIDENCE, DEFAULT_IOU

EXIT_FILES_FAILED = 5
_LOG_EVERY_SECONDS = 5.0


def index(
    folders: list[Path] = typer.Argument(
        ..., help="Folders of images and videos (searched recursively)."
    ),
    index_path: str | None = IndexOption,
    model: str | None = ModelOption,
    precision: str | None = PrecisionOption,
    max_pixels: int = MaxPixelsOption,
    exclude: list[str] = typer.Option(
        [], "--exclude", help="Skip paths matching this glob (relative path or name); repeatable."
    ),
    hidden: bool = typer.Option(False, "--hidden", help="Include hidden files and folders."),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Try files that failed before even if unchanged."
    ),
    reembed: bool = typer.Option(
        False, "--reembed", help="Switch the index to --model, embedding every image again."
    ),
    batch_size: int = typer.Option(
        16, "--batch-size", min=1, help="Images per model call (and per database write)."
    ),
    annotations: Path | None = typer.Option(
        None,
        "--annotations",
        help="Import boxes and labels as regions of the indexed images: a COCO .json, a "
        "Pascal VOC .xml file or folder, or a YOLO labels folder (with classes.txt).",
    ),
    region_padding: float = typer.Option(
        DEFAULT_PADDING,
        "--region-padding",
        min=0,
        max=10,
        help="Context around each imported or detected box when it is embedded, as a share "
        "of its size.",
    ),
    regions: str | None = typer.Option(
        None,
        "--regions",
        help="grid: also embed overlapping windows of every image (levels 2,3: 35x the model "
        "work per new image; see --grid-levels), so small things match without annotations; "
        "remembered by the index for later runs (none: stop).",
    ),
    grid_levels: str = typer.Option(
        "2,3", "--grid-levels", help="Grid levels n: (2n-1)^2 windows of 1/n of the image each."
    ),
    detector: Path | None = typer.Option(
        None,
        "--detector",
        help="Also find objects with this ONNX detector (Ultralytics YOLOv8/YOLO11 export "
        "layout; see the README) and store each as a labelled region; remembered by the "
        "index for later runs.",
    ),
    no_detector: bool = typer.Option(
        False, "--no-detector", help="Stop running the detector the index remembers."
    ),
    detector_classes: Path | None = typer.Option(
        None,
        "--detector-classes",
        help="Class names of --detector: one per line, or a YAML file with 'names' "
        "(default: the model's own metadata).",
    ),
    detector_confidence: float = typer.Option(
        DEFAULT_CONFIDENCE, "--detector-confidence", help="Keep detections scoring at least this."
    ),
    detector_iou: float = typer.Option(
        DEFAULT_IOU,
        "--detector-iou",
        help="Suppress a detection overlapping a better one of its class by more (IoU).",
    ),
    video_rate: float = typer.Option(
        1.0,
        "--video-rate",
        min=0.01,
        max=30,
        help="Video frames sampled per second (plus keyframes and scene cuts; near "
        "duplicates dropped).",
    ),
    max_video_frames: int = typer.Option(
        VideoLimits().max_frames,
        "--max-video-frames",
        min=1,
        help="Frames kept per video at most; later moments of a longer video are not indexed.",
    ),
    ocr: bool | None = typer.Option(
        None,
        "--ocr/--no-ocr",
        help="Read the text in pictures (OCR, RapidOCR; needs the ocr extra: pip install "
        "'imgsearch\\[ocr]') so that searches "
        "find printed words: new and changed pictures while they are decoded, the rest after. "
        "The index remembers the choice.",
    ),
    part: str | None = typer.Option(
        None,
        "--part",
        help="I/N: index only this share of the files (by a hash of each path relative to "
        "its folder), so N indexers — processes or machines — fill one index in parallel.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
    strict: bool = typer.Option(
        False,
        "--strict",
        help=f"Exit with {EXIT_FILES_FAILED} unless every image file under FOLDERS is indexed "
        "afterwards (failed now or before, or in an unreadable folder).",
    ),
) -> None:
    """Index images and videos under FOLDERS: new and changed files embedded, moves and
    deletions followed."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    with open_index(
        index_path, model, precision, max_pixels, create=True, batch_size=batch_size
    ) as opened:
        policy = changed_policy(
            opened.region_policy,
            regions=regions,
            grid_levels=grid_levels,
            detector=detector,
            no_detector=no_detector,
            classes=detector_classes,
            confidence=detector_confidence,
            iou=detector_iou,
            padding=region_padding,
        )
        if policy is not None:
            opened.set_region_policy(policy)
        reporter = IndexProgress(err, quiet=quiet or as_json)
        with reporter:
            report = opened.update(
                folders,
                exclude=exclude,
                include_hidden=hidden,
                retry_failed=retry_failed,
                reembed=reembed,
                on_event=reporter,
                video=VideoOptions(
                    FramePolicy(rate=video_rate), VideoLimits(max_frames=max_video_frames)
                ),
                part=part,
                read_text=ocr,
                on_text=reporter.text_progress,
                on_wait=lambda why: err.print(shown(f"waiting: {why}"), markup=False),
            )
        imported = None
        if annotations is not None:
            imported = opened.import_annotations(annotations, folders, padding=region_padding)
        location = opened.location
    if as_json:
        summary = _summary(report, location)
        if imported is not None:
            summary["annotations"] = imported.as_dict()
        for source, done in report.regions.items():
            summary[source] = done.as_dict()
        if ocr or report.text.read:
            summary["text"] = asdict(report.text)
        json.dump(summary, sys.stdout)
        sys.stdout.write("\n")
    else:
        print_summary(err, report, location)
        if imported is not None:
            print_import(err, imported, quiet=quiet)
        print_regions(err, report.regions)
    if strict and not_indexed(report):
        raise typer.Exit(EXIT_FILES_FAILED)


def not_indexed(report: IndexReport) -> int:
    """Files (and unreadable folders) under the run's folders that the index lacks now."""
    return report.counts["failed"] + report.counts["skipped"] + len(report.walk_errors)


class IndexProgress:
    """Turns index events into a progress bar (terminal) or periodic log lines."""

    def __init__(self, console: Console, *, quiet: bool) -> None:
        self.console = console
        self.quiet = quiet
        self.live = console.is_terminal and not quiet
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.started = time.monotonic()
        self.last_line = self.started

    def __enter__(self) -> IndexProgress:
        if self.live:
            self.progress = Progress(
                TextColumn("indexing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:.1f} img/s"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("index", total=None, rate=0.0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def text_progress(self, done: int, total: int) -> None:
        """Reading the text of pictures the run did not decode (an index that just turned
        OCR on): a line every few seconds."""
        now = time.monotonic()
        if not self.quiet and (now - self.last_line >= _LOG_EVERY_SECONDS or done == total):
            self.last_line = now
            self.console.print(f"reading text: {done}/{total} pictures", markup=False)

    def __call__(self, event: IndexEvent) -> None:
        if event.kind == "failed" and not self.quiet:
            self.console.print(shown(f"failed {event.path}: {event.message}"), markup=False)
        now = time.monotonic()
        rate = event.done / max(now - self.started, 1e-9)
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=event.done, total=event.total, rate=rate)
        elif not self.quiet and now - self.last_line >= _LOG_EVERY_SECONDS:
            self.last_line = now
            share = 100 * event.done / max(event.total, 1)
            self.console.print(
                f"{event.done}/{event.total} files ({share:.0f}%), {rate:.1f} files/s",
                markup=False,
            )


def _summary(report: IndexReport, location: str) -> dict[str, object]:
    return {
        "index": location,
        "roots": list(report.roots),
        "counts": report.counts,
        "embedded": report.embedded,
        "thumbprinted": report.thumbprinted,
        "seconds": round(report.seconds, 3),
        "failures": [
            {"path": f.path, "code": f.code, "message": f.message} for f in report.failures
        ],
        "unreadable_folders": [{"path": p, "message": m} for p, m in report.walk_errors],
    }


def print_summary(console: Console, report: IndexReport, location: str) -> None:
    c = report.counts
    console.print(
        f"indexed {counted(sum(c.values()) - c['removed'], 'file')} in {report.seconds:.1f} s "
        f"→ {location}\n"
        f"  added {c['added']}, updated {c['updated']}, touched {c['touched']}, moved {c['moved']}, "
        f"duplicates {c['duplicate']}, removed {c['removed']}, unchanged {c['unchanged']}, "
        f"failed {c['failed']}, known bad and unchanged {c['skipped']}; "
        f"model ran on {counted(report.embedded, 'image or video frame', 'images and video frames')}",
        markup=False,
    )
    if report.text.read:
        console.print(
            f"  text read in {report.text.read} pictures: {report.text.with_text} show some"
            + (f", {report.text.warnings} could not be read" if report.text.warnings else ""),
            markup=False,
        )
    if report.thumbprinted:
        console.print(
            f"  thumbprints added to {report.thumbprinted} pictures indexed before they were "
            "kept (for imgsearch duplicates)",
            markup=False,
        )
    for path, message in report.walk_errors:
        console.print(shown(f"  could not read folder {path}: {message}"), markup=False)
    if c["failed"] or c["skipped"]:
        console.print(
            "  not indexed: imgsearch status --errors lists why; "
            "known-bad files are tried again when they change (or with --retry-failed)",
            markup=False,
        )


def print_import(console: Console, report: ImportReport, *, quiet: bool) -> None:
    console.print(
        f"annotations ({report.format}): {counted(report.regions, 'box', 'boxes')} on "
        f"{counted(report.images, 'image')} in "
        f"{report.seconds:.1f} s — embedded {report.embedded}, unchanged {report.kept}, "
        f"removed {report.removed}, cut at the image edge {report.clipped}, "
        f"not imported {len(report.problems)}",
        markup=False,
    )
    listed = [] if quiet else report.problems[:MAX_PROBLEMS_SHOWN]
    for problem in listed:
        console.print(shown(f"  {problem.where}: {problem.message}"), markup=False)
    if len(report.problems) > len(listed):
        console.print(
            f"  … {len(report.problems) - len(listed)} more (--json lists them all)", markup=False
        )
