"""Every partition of an asset with its status: stored records plus the runs still going.

The one rule behind ``aloft partitions status`` and the UI's partition grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aloft.definitions.asset_key import AssetKey
from aloft.storage.base import StateStore
from aloft.storage.records import PartitionStatus, PartitionStatusRecord, RunRecord, RunStatus

__all__ = ["PartitionStatusView", "active_runs", "partition_status_view"]

_ACTIVE_RUNS_LIMIT = 500


@dataclass(frozen=True)
class PartitionStatusView:
    """Every partition key of an asset in definition order, with its status and the run that set it.

    Example:
        >>> view = PartitionStatusView(("a", "b"), (PartitionStatus.MATERIALIZED, PartitionStatus.MISSING), ("r1", None))
        >>> view.counts()["MATERIALIZED"], view.ranges()[1]
        (1, {'start': 'b', 'end': 'b', 'status': 'MISSING', 'count': 1})
    """

    keys: tuple[str, ...]
    statuses: tuple[PartitionStatus, ...]
    run_ids: tuple[str | None, ...]

    def counts(self) -> dict[str, int]:
        """Partitions per status (every status listed)."""
        counts = dict.fromkeys((status.value for status in PartitionStatus), 0)
        for status in self.statuses:
            counts[status.value] += 1
        return counts

    def ranges(self) -> list[dict[str, Any]]:
        """Runs of consecutive partitions in the same status."""
        found: list[dict[str, Any]] = []
        for key, status in zip(self.keys, self.statuses, strict=True):
            if found and found[-1]["status"] == status.value:
                found[-1]["end"] = key
                found[-1]["count"] += 1
            else:
                found.append({"start": key, "end": key, "status": status.value, "count": 1})
        return found


def partition_status_view(
    keys: Sequence[str],
    records: Mapping[str, PartitionStatusRecord],
    active_runs: Sequence[RunRecord] = (),
) -> PartitionStatusView:
    """Combine the keys of the definition, the recorded statuses and the runs still going.

    A partition a queued or started run targets (its key, or a key of its range) is
    in progress unless a status was recorded for it since that run started.

    Example:
        >>> running = RunRecord("r2", "job", RunStatus.STARTED, partition_key="b", started_at=5.0)
        >>> partition_status_view(["a", "b"], {}, [running]).statuses[1].value
        'IN_PROGRESS'
    """
    statuses = [PartitionStatus.MISSING] * len(keys)
    run_ids: list[str | None] = [None] * len(keys)
    updated: list[float | None] = [None] * len(keys)
    position = {key: index for index, key in enumerate(keys)}
    for key, record in records.items():
        index = position.get(key)
        if index is not None:
            statuses[index], run_ids[index], updated[index] = record.status, record.run_id, record.updated_at
    for run in active_runs:
        since = run.started_at if run.started_at is not None else run.created_at
        targets: Sequence[str] = ()
        if run.partition_range is not None:
            start, end = (position.get(bound) for bound in run.partition_range)
            if start is not None and end is not None:
                targets = keys[start : end + 1]
        elif run.partition_key is not None:
            targets = (run.partition_key,)
        for key in targets:
            index = position.get(key)
            stamp = None if index is None else updated[index]
            if index is not None and (stamp is None or stamp < since):
                statuses[index], run_ids[index] = PartitionStatus.IN_PROGRESS, run.run_id
    return PartitionStatusView(tuple(keys), tuple(statuses), tuple(run_ids))


def active_runs(store: StateStore, asset_key: AssetKey) -> list[RunRecord]:
    """Queued and started runs that materialize ``asset_key``."""
    name = asset_key.to_user_string()
    runs: list[RunRecord] = []
    for status in (RunStatus.QUEUED, RunStatus.STARTED):
        runs.extend(r for r in store.list_runs(status=status, limit=_ACTIVE_RUNS_LIMIT) if name in r.selection)
    return runs
