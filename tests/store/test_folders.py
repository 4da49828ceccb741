"""Folder suggestions by skip scan: one seek per folder found, reads bounded."""

from __future__ import annotations

import bisect

from imgsearch.store.folders import BATCH, MAX_READS, collection_folders, suggest_folders


class SortedPaths:
    """``paths_from`` over a sorted list, counting the reads."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = sorted(paths)
        self.reads = 0

    def __call__(self, key: str, limit: int) -> list[str]:
        self.reads += 1
        start = bisect.bisect_left(self.paths, key)
        return self.paths[start : start + limit]


def test_each_folder_costs_one_read_however_many_files_it_holds() -> None:
    paths = [f"/photos/{year}/{n:05}.jpg" for year in range(2000, 2020) for n in range(5000)]
    scan = SortedPaths(paths)
    assert suggest_folders(scan, "/photos/", limit=50) == [
        f"/photos/{y}/" for y in range(2000, 2020)
    ]
    assert scan.reads <= 21


def test_a_limit_stops_the_scan() -> None:
    scan = SortedPaths([f"/a/{n:03}/x.jpg" for n in range(500)])
    assert suggest_folders(scan, "/a/", limit=5) == [f"/a/{n:03}/" for n in range(5)]
    assert scan.reads == 5


def test_files_beside_folders_are_read_past_in_batches_and_the_reads_are_bounded() -> None:
    loose = [f"/a/{n:06}.jpg" for n in range(BATCH * 3)]
    scan = SortedPaths([*loose, "/a/zeta/1.jpg"])
    assert suggest_folders(scan, "/a/") == ["/a/zeta/"]
    assert scan.reads <= 5
    flood = SortedPaths([*(f"/a/{n:07}.jpg" for n in range(BATCH * MAX_READS * 2)), "/a/z/1.jpg"])
    assert suggest_folders(flood, "/a/") == []  # gave up: documented, bounded
    assert flood.reads == MAX_READS


def test_only_absolute_prefixes_are_completed() -> None:
    scan = SortedPaths(["/a/b/c.jpg"])
    assert suggest_folders(scan, "a/") == [] and suggest_folders(scan, "") == []
    assert suggest_folders(scan, "/a/b/c") == []  # a file, not a folder
    assert scan.reads == 1


def test_a_collection_is_the_fewest_folders_that_hold_every_file() -> None:
    paths = [
        "/home/a/Pictures/2023/beach.jpg",
        "/home/a/Pictures/IMG_0042.jpg",  # holds 2023/ and images/: replaces them
        "/home/a/Pictures/images/x.jpg",
        "/home/a/Pictures-old/y.jpg",  # a sibling whose name extends another's
        "/home/a/Phone/DCIM/z.jpg",
        "/srv/scans/2024/03/s.png",
    ]
    scan = SortedPaths(paths + [f"/srv/scans/2024/03/{n}.png" for n in range(1000)])
    assert collection_folders(scan) == [
        "/home/a/Phone/DCIM",
        "/home/a/Pictures-old",
        "/home/a/Pictures",
        "/srv/scans/2024/03",
    ]  # fmt: skip  (byte order: "-" sorts before "/")
    assert scan.reads <= 6  # one seek per folder, whatever it holds
    assert collection_folders(SortedPaths([])) == []
    assert collection_folders(SortedPaths(["/x.jpg"])) == ["/"]
