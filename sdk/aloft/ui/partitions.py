"""The status of every partition of an asset, as the UI shows it: a grid, ranges, counts and pages.

The statuses come from the same pure function as ``aloft partitions status``
(:func:`aloft.storage.partition_view.partition_status_view`: stored statuses, with
partitions of queued or started runs IN_PROGRESS); this module adds what a
browser needs on top: when each status was set, and pages of cells.

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

from aloft.storage.partition_view import PartitionStatusView, partition_status_view
from aloft.storage.records import PartitionStatus, PartitionStatusRecord, RunRecord

__all__ = ["PartitionGrid", "partition_grid", "requested_grid"]


@dataclass(frozen=True)
class PartitionGrid:
    """Every partition key of an asset in definition order, with its status, run and time.

    ``updated_at[i]`` is when the stored status of partition ``i`` was set
    (None for a missing partition, and for one a run is working on now).

    Example:
        >>> grid = partition_grid(["eu", "us"], {})
        >>> grid.page(0, 1)
        ([{'key': 'eu', 'status': 'MISSING', 'run_id': None, 'updated_at': None}], 1)
    """

    view: PartitionStatusView
    updated_at: tuple[float | None, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The partition keys, in definition order."""
        return self.view.keys

    @property
    def statuses(self) -> tuple[PartitionStatus, ...]:
        """The status of each partition."""
        return self.view.statuses

    @property
    def run_ids(self) -> tuple[str | None, ...]:
        """The run that set (or is setting) each status."""
        return self.view.run_ids

    def __len__(self) -> int:
        return len(self.view.keys)

    def counts(self) -> dict[str, int]:
        """How many partitions are in each status (every status listed, zeros included)."""
        return self.view.counts()

    def ranges(self) -> list[dict[str, Any]]:
        """Runs of consecutive partitions in the same status: ``start``, ``end``, ``status``, ``count``.

        One entry per status change, so a mostly materialized asset with
        10,000 partitions is a handful of entries.
        """
        return self.view.ranges()

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
        cells = [
            {
                "key": self.keys[i],
                "status": self.statuses[i].value,
                "run_id": self.run_ids[i],
                "updated_at": self.updated_at[i],
            }
            for i in positions[offset : offset + limit]
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
    key inside its ``partition_range``) is IN_PROGRESS unless a status was
    recorded for it since that run started. Stored statuses of keys that are
    no longer partitions of the definition are ignored.

    Example:
        >>> from aloft.storage.records import RunRecord, RunStatus
        >>> running = RunRecord("r3", "daily", RunStatus.STARTED, partition_range=("b", "c"), created_at=5.0)
        >>> partition_grid(["a", "b", "c"], {}, [running]).counts()["IN_PROGRESS"]
        2
    """
    view = partition_status_view([str(key) for key in keys], records, list(active_runs))
    updated: list[float | None] = []
    for key, run_id in zip(view.keys, view.run_ids, strict=True):
        record = records.get(key)
        settled = record is not None and record.run_id == run_id
        updated.append(record.updated_at if settled and record is not None else None)
    return PartitionGrid(view, tuple(updated))


def requested_grid(
    keys: Sequence[str], statuses: Mapping[str, PartitionStatus], run_ids: Mapping[str, str]
) -> PartitionGrid:
    """A grid of requested partitions whose statuses are already known (a backfill's).

    Example:
        >>> requested_grid(["a", "b"], {"a": PartitionStatus.FAILED}, {"a": "r1"}).counts()["FAILED"]
        1
    """
    view = PartitionStatusView(
        tuple(keys),
        tuple(statuses.get(k, PartitionStatus.MISSING) for k in keys),
        tuple(run_ids.get(k) for k in keys),
    )
    return PartitionGrid(view, tuple(None for _ in keys))
