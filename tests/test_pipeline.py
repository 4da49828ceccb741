"""The ordered, bounded parallel map that overlaps decoding with the model."""

from __future__ import annotations

import threading

import pytest

from imgsearch.pipeline import ordered_map


@pytest.mark.parametrize("workers", [0, 1, 4])
def test_results_come_in_input_order_whatever_finishes_first(workers: int) -> None:
    first_may_finish = threading.Event()

    def work(n: int) -> int:
        if n == 0 and workers > 1:
            first_may_finish.wait(5)  # item 0 finishes last
        if n == 3:
            first_may_finish.set()
        return n * n

    assert [f.result() for f in ordered_map(work, range(6), workers=workers, window=6)] == [
        n * n for n in range(6)
    ]


def test_an_items_error_is_that_items_and_the_rest_go_on() -> None:
    def work(n: int) -> int:
        if n == 2:
            raise ValueError("bad item")
        return n

    futures = list(ordered_map(work, range(5), workers=2, window=3))
    assert [f.exception() is None for f in futures] == [True, True, False, True, True]
    with pytest.raises(ValueError, match="bad item"):
        futures[2].result()


def test_the_producer_runs_at_most_window_items_ahead() -> None:
    produced = 0

    def items() -> object:
        nonlocal produced
        for n in range(40):
            produced += 1
            yield n

    for taken, future in enumerate(ordered_map(lambda n: n, items(), workers=4, window=3)):  # type: ignore[arg-type]
        assert produced - taken <= 3  # submitted but not yet handed over
        assert future.result() == taken
