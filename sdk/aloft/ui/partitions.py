"""The status of every partition of an asset, as the UI shows it: a grid, ranges and counts.

Pure: the caller reads the partition keys (from the definition), the stored
statuses and the runs in progress; this module only combines them.

Example:
    >>> from aloft.storage.records import PartitionStatus, PartitionStatusRecord
    >>> grid = partition_grid(
    ...     ["a", "b", "c", "d"],
    ...     {"a": PartitionStatusRecord("a", PartitionStatus.MATERIALIZED, "r1", 1.0),
    ...      "b": PartitionStatusRecord("b", PartitionStatus.MATERIALIZED, "r1", 1.0),
    ...      "d": PartitionStatusRecord("d", PartitionStatus.FAILED, "r2", 2.0)},
    ... )
    >>> grid.counts()
    {'MATERIALIZED': 2, 'FAILED': 1, 'IN_PROGRESS': 0, 'MISSING': 1}
    >>> [(r["start"], r["end"], r["status"]) for r in grid.ranges()]
    [('a', 'b', 'MATERIALIZED'), ('c', 'c', 'MISSING'), ('d', 'd', 'FAILED')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aloft.storage.records import PartitionStatus, PartitionStatusRecord, RunRecord

__all__ = ["PartitionGrid", "partition_grid"]


@dataclass(frozen=True)
class PartitionGrid:
    """Every partition key of an asset in definition order, with its status, run and time.

    ``run_ids[i]`` and ``updated_at[i]`` say which run set ``statuses[i]`` and
    when (None for a missing partition).

    Example:
        >>> grid = partition_grid(["eu", "us"], {})
        >>> grid.page(0, 1)
        ([{'key': 'eu', 'status': 'MISSING', 'run_id': None, 'updated_at': None}], 1)
    """

    keys: tuple[str, ...]
    statuses: tuple[PartitionStatus, ...]
    run_ids: tuple[str | None, ...]
    updated_at: tuple[float | None, ...]

    def __len__(self) -> int:
        return len(self.keys)

    def counts(self) -> dict[str, int]:
        """How many partitions are in each status (every status listed, zeros included)."""
        counts = dict.fromkeys((s.value for s in PartitionStatus), 0)
        for status in self.statuses:
            counts[status.value] += 1
        return counts

    def ranges(self) -> list[dict[str, Any]]:
        """Runs of consecutive partitions in the same status: ``start``, ``end``, ``status``, ``count``.

        At most one entry per status change, so a mostly materialized asset with
        10,000 partitions is a handful of entries.
        """
        ranges: list[dict[str, Any]] = []
        start = 0
        for index in range(1, len(self.statuses) + 1):
            if index == len(self.statuses) or self.statuses[index] is not self.statuses[start]:
                ranges.append(
                    {
                        "start": self.keys[start],
                        "end": self.keys[index - 1],
                        "status": self.statuses[start].value,
                        "count": index - start,
                    }
                )
                start = index
        return ranges

    def page(
        self, offset: int, limit: int, status: PartitionStatus | None = None
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Up to ``limit`` partitions from position ``offset`` (optionally only those in ``status``).

        Returns the cells and the offset of the next page (None at the end).
        Offsets count partitions of the filtered list.
        """
        positions: Sequence[int] = range(len(self.keys))
        if status is not None:
            positions = [i for i, s in enumerate(self.statuses) if s is status]
        chosen = positions[offset : offset + limit]
        cells = [
            {
                "key": self.keys[i],
                "status": self.statuses[i].value,
                "run_id": self.run_ids[i],
                "updated_at": self.updated_at[i],
            }
            for i in chosen
        ]
        following = offset + limit
        return cells, (following if following < len(positions) else None)


def partition_grid(
    keys: Sequence[str],
    records: Mapping[str, PartitionStatusRecord],
    active_runs: Iterable[RunRecord] = (),
) -> PartitionGrid:
    """Combine the partition keys, their stored statuses and the runs in progress.

    A partition targeted by a queued or started run (its ``partition_key`` or a
    key inside its ``partition_range``) is IN_PROGRESS unless that run already
    recorded a status for it. Stored statuses of keys that are no longer
    partitions of the definition are ignored.

    Example:
        >>> from aloft.storage.records import RunRecord, RunStatus
        >>> running = RunRecord("r3", "daily", RunStatus.STARTED, partition_range=("b", "c"), created_at=5.0)
        >>> partition_grid(["a", "b", "c"], {}, [running]).counts()["IN_PROGRESS"]
        2
    """
    ordered = [str(key) for key in keys]
    statuses: list[PartitionStatus] = []
    run_ids: list[str | None] = []
    updated: list[float | None] = []
    missing = PartitionStatus.MISSING
    for key in ordered:
        record = records.get(key)
        if record is None:
            statuses.append(missing)
            run_ids.append(None)
            updated.append(None)
        else:
            statuses.append(record.status)
            run_ids.append(record.run_id)
            updated.append(record.updated_at)
    active = list(active_runs)
    if active:
        position = {key: index for index, key in enumerate(ordered)}
        for run in active:
            since = run.started_at if run.started_at is not None else run.created_at
            for index in _targeted(run, position):
                stamp = updated[index]
                if stamp is not None and stamp >= since:
                    continue  # this run (or a later one) already settled the partition
                statuses[index] = PartitionStatus.IN_PROGRESS
                run_ids[index] = run.run_id
                updated[index] = since
    return PartitionGrid(tuple(ordered), tuple(statuses), tuple(run_ids), tuple(updated))


def _targeted(run: RunRecord, position: Mapping[str, int]) -> range:
    """The positions of the partitions a run materializes (empty when it names none we know)."""
    if run.partition_range is not None:
        start, end = (position.get(bound) for bound in run.partition_range)
        if start is None or end is None or start > end:
            return range(0)
        return range(start, end + 1)
    if run.partition_key is not None and run.partition_key in position:
        index = position[run.partition_key]
        return range(index, index + 1)
    return range(0)
