"""The region options of ``imgsearch index``: turning flags into the index's region policy,
and printing what the policy's passes did.

``--regions grid`` / ``--detector FILE`` are remembered by the index (its region policy,
:mod:`imgsearch.regions.policy`): later runs, from the CLI or the server, keep adding
windows and objects for new and changed images without the flags. ``--regions none`` and
``--no-detector`` stop that; a run without these flags keeps the policy as it is.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rich.console import Console

from imgsearch.cli.shown import counted
from imgsearch.errors import InvalidSettings
from imgsearch.regions.passes import RegionReport
from imgsearch.regions.policy import RegionPolicy, detector_policy, grid_policy

MAX_PROBLEMS_SHOWN = 20


def changed_policy(
    current: RegionPolicy,
    *,
    regions: str | None,
    grid_levels: str,
    detector: Path | None,
    no_detector: bool,
    classes: Path | None,
    confidence: float,
    iou: float,
    padding: float,
) -> RegionPolicy | None:
    """The policy the flags ask for, or None when they change nothing. A detector is
    loaded here, so that a bad model file is refused before any work."""
    if regions not in (None, "none", "grid"):
        raise InvalidSettings(f"--regions {regions!r}: use none or grid")
    if detector is not None and no_detector:
        raise InvalidSettings("--detector and --no-detector contradict each other")
    if classes is not None and detector is None:
        raise InvalidSettings("--detector-classes needs --detector")
    policy = current
    if regions == "grid":
        try:
            levels = [int(x) for x in grid_levels.split(",")]
        except ValueError:
            raise InvalidSettings(f"--grid-levels {grid_levels!r}: give numbers like 2,3") from None
        policy = replace(policy, grid=grid_policy(levels))
    elif regions == "none":
        policy = replace(policy, grid=None)
    if detector is not None:
        policy = replace(
            policy,
            detector=detector_policy(
                detector, classes=classes, confidence=confidence, iou=iou, padding=padding
            ),
        )
    elif no_detector:
        policy = replace(policy, detector=None)
    return None if policy == current else policy


def print_regions(console: Console, reports: dict[str, RegionReport]) -> None:
    for source, report in reports.items():
        if source == "grid":
            console.print(
                f"grid: {counted(report.regions, 'window')} kept on "
                f"{counted(report.images, 'image')} ({report.pruned} too like the whole "
                f"picture, {counted(report.skipped, 'image')} already done) in "
                f"{report.seconds:.1f} s",
                markup=False,
            )
        else:
            console.print(
                f"{source}: {counted(report.regions, 'object')} found on "
                f"{counted(report.images, 'image')} ({counted(report.skipped, 'image')} already "
                f"done) in {report.seconds:.1f} s",
                markup=False,
            )
        print_problems(console, report.problems)


def print_problems(console: Console, problems: list[tuple[str, str]]) -> None:
    for path, message in problems[:MAX_PROBLEMS_SHOWN]:
        console.print(f"  {path}: {message}", markup=False)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        console.print(
            f"  … {len(problems) - MAX_PROBLEMS_SHOWN} more (--json lists them all)", markup=False
        )
