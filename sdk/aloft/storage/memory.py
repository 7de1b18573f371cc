"""An in-memory ``StateStore`` for unit tests and ``materialize_to_memory``."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace

from aloft.definitions.asset_key import AssetKey
from aloft.storage.base import InvalidRunTransition, RunNotFound, StateStore
from aloft.storage.records import (
    MaterializationRecord,
    PartitionStatus,
    RunRecord,
    RunStatus,
    StepEvent,
)

__all__ = ["InMemoryStateStore"]


class InMemoryStateStore(StateStore):
    """Keeps everything in dicts; thread-safe; gone with the process.

    Example:
        >>> store = InMemoryStateStore()
        >>> store.list_runs()
        []
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, RunRecord] = {}
        self._events: dict[str, list[StepEvent]] = {}
        self._history: dict[AssetKey, list[MaterializationRecord]] = {}
        self._seen: set[tuple[str, AssetKey, str | None, int]] = set()
        self._partitions: dict[AssetKey, dict[str, PartitionStatus]] = {}
        self._tokens: dict[tuple[str, str], str] = {}

    def create_run(self, run: RunRecord) -> RunRecord:
        with self._lock:
            self._runs[run.run_id] = run
            return run

    def get_run(self, run_id: str) -> RunRecord | None:
        return self._runs.get(run_id)

    def update_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        timestamp: float | None = None,
        execution_arn: str | None = None,
    ) -> RunRecord:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                raise RunNotFound(f"no run '{run_id}'")
            if run.status.is_finished and run.status != status:
                raise InvalidRunTransition(
                    f"run '{run_id}' is {run.status.value}; it cannot become {status.value}"
                )
            now = timestamp or time.time()
            run = replace(
                run,
                status=status,
                started_at=now if status == RunStatus.STARTED and run.started_at is None else run.started_at,
                ended_at=now if status.is_finished and run.ended_at is None else run.ended_at,
                execution_arn=execution_arn or run.execution_arn,
            )
            self._runs[run_id] = run
            return run

    def list_runs(
        self, *, job_name: str | None = None, status: RunStatus | None = None, limit: int = 50
    ) -> list[RunRecord]:
        runs = [
            r
            for r in self._runs.values()
            if (job_name is None or r.job_name == job_name) and (status is None or r.status == status)
        ]
        runs.sort(key=lambda r: r.created_at, reverse=True)
        return runs[:limit]

    def add_step_event(self, event: StepEvent) -> None:
        with self._lock:
            self._events.setdefault(event.run_id, []).append(event)

    def get_step_events(self, run_id: str) -> list[StepEvent]:
        return list(self._events.get(run_id, ()))

    def record_materialization(self, record: MaterializationRecord) -> bool:
        identity = (record.run_id, record.asset_key, record.partition_key, record.attempt)
        with self._lock:
            if identity in self._seen:
                return False
            self._seen.add(identity)
            self._history.setdefault(record.asset_key, []).append(record)
            if record.partition_key is not None:
                self._partitions.setdefault(record.asset_key, {})[record.partition_key] = (
                    PartitionStatus.MATERIALIZED
                )
            return True

    def latest_materialization(
        self, asset_key: AssetKey, partition_key: str | None = None
    ) -> MaterializationRecord | None:
        for record in reversed(self._history.get(asset_key, ())):
            if partition_key is None or record.partition_key == partition_key:
                return record
        return None

    def materialization_history(
        self, asset_key: AssetKey, *, limit: int = 50, before: float | None = None
    ) -> list[MaterializationRecord]:
        records = [
            r for r in reversed(self._history.get(asset_key, ())) if before is None or r.timestamp < before
        ]
        return records[:limit]

    def latest_materializations(self, asset_keys: Sequence[AssetKey]) -> dict[AssetKey, MaterializationRecord]:
        result = {}
        for key in asset_keys:
            latest = self.latest_materialization(key)
            if latest is not None:
                result[key] = latest
        return result

    def set_partition_status(
        self, asset_key: AssetKey, partition_key: str, status: PartitionStatus, run_id: str | None = None
    ) -> None:
        with self._lock:
            self._partitions.setdefault(asset_key, {})[partition_key] = status

    def partition_statuses(self, asset_key: AssetKey) -> dict[str, PartitionStatus]:
        return dict(self._partitions.get(asset_key, {}))

    def put_task_token(self, run_id: str, step_key: str, token: str) -> None:
        with self._lock:
            self._tokens[(run_id, step_key)] = token

    def get_task_token(self, run_id: str, step_key: str) -> str | None:
        return self._tokens.get((run_id, step_key))
