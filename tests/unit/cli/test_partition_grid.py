"""``aloft partitions status`` grid: each cell in its column, across daylight saving time changes."""

from __future__ import annotations

from aloft.cli.partitions import render_grid
from aloft.partitions import HourlyPartitionsDefinition
from aloft.storage.partition_view import PartitionStatusView
from aloft.storage.records import PartitionStatus


def grid(start: str, end: str, failed: set[int]) -> list[str]:
    hours = HourlyPartitionsDefinition(start_date=start, end_date=end, timezone="America/New_York")
    keys = tuple(hours.get_partition_keys())
    statuses = tuple(PartitionStatus.FAILED if i in failed else PartitionStatus.MATERIALIZED for i in range(len(keys)))
    return render_grid(PartitionStatusView(keys, statuses, (None,) * len(keys)), hours)


def test_a_23_hour_day_leaves_the_missing_hour_blank() -> None:
    # 2026-03-08: 02:00 does not exist in New York. Hour 03:00 (the third partition) failed.
    lines = grid("2026-03-08-00:00", "2026-03-09-02:00", failed={2})
    assert lines[0].endswith("012345678901234567890123")
    assert lines[1] == "2026-03-08  ## X####################"
    assert lines[2] == "2026-03-09  ##"


def test_a_25_hour_day_shows_the_repeated_hour_on_a_row_of_its_own() -> None:
    # 2026-11-01: 01:00 comes twice (-0400, then -0500); the second one failed.
    lines = grid("2026-11-01-00:00", "2026-11-02-01:00", failed={2})
    assert lines[1] == "2026-11-01        ########################"
    assert lines[2] == "2026-11-01 -0500   X"
    assert lines[3] == "2026-11-02        #"
