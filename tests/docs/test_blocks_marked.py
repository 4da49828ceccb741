"""Every example in the README and docs/ says whether the test suite runs it (fast tier)."""

from __future__ import annotations

from tests.docs.blocks import all_blocks


def test_every_bash_and_python_block_is_run_or_says_why_not() -> None:
    found = all_blocks()
    assert len(found) >= 20  # the README alone has more; the parser still finds them
    unmarked = [block.name for block in found if block.marker is None]
    assert unmarked == [], "add <!-- test: runs --> or <!-- test: not run (why) --> before each"
    assert all(block.runs or (block.why_not or "").strip() for block in found)
    # most of them run: a reason is for what truly cannot (network, installs, hours)
    assert sum(block.runs for block in found) >= 0.6 * len(found)
