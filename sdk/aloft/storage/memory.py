"""An in-memory ``StateStore`` for unit tests and ``materialize_to_memory``."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from aloft.definitions.asset_key import AssetKey
from aloft.storage.base import (
    DEFAULT_EVENT_TTL,
    BackfillNotFound,
    DuplicateRunKey,
    InvalidRunTransition,
    RunAlreadyExists,
    RunNotFound,
    StateStore,
    StateStoreError,
)
from aloft.storage.limits import bound_check_result, bound_event, bound_materialization, check_run
from aloft.storage.records import (
    AssetCheckResult,
    BackfillRecord,
    BackfillStatus,
    MaterializationRecord,
    PartitionStatus,
    PartitionStatusRecord,
    RunRecord,
    RunStatus,
    StepEvent,
    TickRecord,
)

__all__ = ["InMemoryStateStore"]

_Identity = tuple[str, AssetKey, str | None, int]


class InMemoryStateStore(StateStore):
    """Keeps everything in dicts; thread-safe; gone with the process.

    Example:
        >>> store = InMemoryStateStore()
        >>> store.list_runs()
        []
    """

    def __init__(self, *, event_ttl: float | None = DEFAULT_EVENT_TTL) -> None:
        self.event_ttl = event_ttl
        self._lock = threading.RLock()
        self._runs: dict[str, RunRecord] = {}
        self._run_keys: dict[str, str] = {}
        self._events: dict[str, list[tuple[float | None, StepEvent]]] = {}
        self._history: dict[AssetKey, list[MaterializationRecord]] = {}
        self._seen: set[_Identity] = set()
        self._partitions: dict[AssetKey, dict[str, PartitionStatusRecord]] = {}
        self._dynamic: dict[str, dict[str, None]] = {}
        self._cursors: dict[str, str] = {}
        self._ticks: dict[str, list[tuple[float | None, TickRecord]]] = {}
        self._backfills: dict[str, BackfillRecord] = {}
        self._checks: dict[tuple[AssetKey, str], list[AssetCheckResult]] = {}
        self._tokens: dict[tuple[str, str], str] = {}

    def _expires_at(self) -> float | None:
        return None if self.event_ttl is None else time.time() + self.event_ttl

    # -- runs ------------------------------------------------------------------------
    def create_run(self, run: RunRecord) -> RunRecord:
        with self._lock:
            stored, created = self.reserve_run(run)
            if not created:
                raise DuplicateRunKey(
                    f"run key {run.run_key!r} is already reserved by run '{stored.run_id}'", existing=stored
                )
            return stored

    def reserve_run(self, run: RunRecord) -> tuple[RunRecord, bool]:
        run = check_run(run)
        with self._lock:
            if run.run_key is not None and run.run_key in self._run_keys:
                return self._runs[self._run_keys[run.run_key]], False
            if run.run_id in self._runs:
                raise RunAlreadyExists(f"a run with id '{run.run_id}' already exists")
            self._runs[run.run_id] = run
            if run.run_key is not None:
                self._run_keys[run.run_key] = run.run_id
            return run, True

    def get_run(self, run_id: str) -> RunRecord | None:
        return self._runs.get(run_id)

    def get_run_by_key(self, run_key: str) -> RunRecord | None:
        run_id = self._run_keys.get(run_key)
        return None if run_id is None else self._runs.get(run_id)

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
            if not run.status.can_become(status):
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
        self,
        *,
        job_name: str | None = None,
        status: RunStatus | None = None,
        limit: int = 50,
        before: float | None = None,
    ) -> list[RunRecord]:
        with self._lock:
            runs = [
                r
                for r in self._runs.values()
                if (job_name is None or r.job_name == job_name)
                and (status is None or r.status == status)
                and (before is None or r.created_at < before)
            ]
        runs.sort(key=lambda r: (r.created_at, r.run_id), reverse=True)
        return runs[:limit]

    # -- step events -------------------------------------------------------------------
    def add_step_event(self, event: StepEvent) -> None:
        with self._lock:
            self._events.setdefault(event.run_id, []).append((self._expires_at(), bound_event(event)))

    def get_step_events(self, run_id: str) -> list[StepEvent]:
        now = time.time()
        with self._lock:
            events = [e for expires, e in self._events.get(run_id, ()) if expires is None or expires > now]
        return sorted(events, key=lambda e: e.timestamp)

    # -- materializations ------------------------------------------------------------
    def record_materialization(self, record: MaterializationRecord) -> bool:
        identity = (record.run_id, record.asset_key, record.partition_key, record.attempt)
        record = bound_materialization(record)
        with self._lock:
            if identity in self._seen:
                return False
            self._seen.add(identity)
            self._history.setdefault(record.asset_key, []).append(record)
            if record.partition_key is not None:
                self._set_status(
                    record.asset_key,
                    PartitionStatusRecord(
                        record.partition_key, PartitionStatus.MATERIALIZED, record.run_id, record.timestamp
                    ),
                )
            return True

    def _newest_first(self, asset_key: AssetKey) -> list[MaterializationRecord]:
        # Stable sort on a reversed list: among equal timestamps the last recorded comes first.
        with self._lock:
            records = list(reversed(self._history.get(asset_key, ())))
        return sorted(records, key=lambda r: r.timestamp, reverse=True)

    def latest_materialization(
        self, asset_key: AssetKey, partition_key: str | None = None
    ) -> MaterializationRecord | None:
        for record in self._newest_first(asset_key):
            if partition_key is None or record.partition_key == partition_key:
                return record
        return None

    def materialization_history(
        self, asset_key: AssetKey, *, limit: int = 50, before: float | None = None
    ) -> list[MaterializationRecord]:
        records = [r for r in self._newest_first(asset_key) if before is None or r.timestamp < before]
        return records[:limit]

    def latest_materializations(self, asset_keys: Sequence[AssetKey]) -> dict[AssetKey, MaterializationRecord]:
        result = {}
        for key in asset_keys:
            latest = self.latest_materialization(key)
            if latest is not None:
                result[key] = latest
        return result

    # -- partitions ------------------------------------------------------------------
    def _set_status(self, asset_key: AssetKey, record: PartitionStatusRecord) -> None:
        statuses = self._partitions.setdefault(asset_key, {})
        current = statuses.get(record.partition_key)
        if current is None or current.updated_at <= record.updated_at:
            statuses[record.partition_key] = record

    def set_partition_status(
        self,
        asset_key: AssetKey,
        partition_key: str,
        status: PartitionStatus,
        run_id: str | None = None,
        *,
        timestamp: float | None = None,
    ) -> None:
        with self._lock:
            self._set_status(
                asset_key, PartitionStatusRecord(partition_key, status, run_id, timestamp or time.time())
            )

    def partition_status_records(self, asset_key: AssetKey) -> dict[str, PartitionStatusRecord]:
        with self._lock:
            return dict(self._partitions.get(asset_key, {}))

    # -- dynamic partitions ----------------------------------------------------------
    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        with self._lock:
            return list(self._dynamic.get(partitions_def_name, {}))

    def add_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        with self._lock:
            keys = self._dynamic.setdefault(partitions_def_name, {})
            for key in partition_keys:
                keys.setdefault(key, None)

    def delete_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        with self._lock:
            keys = self._dynamic.get(partitions_def_name, {})
            for key in partition_keys:
                keys.pop(key, None)

    # -- sensors -----------------------------------------------------------------------
    def get_sensor_cursor(self, name: str) -> str | None:
        return self._cursors.get(name)

    def set_sensor_cursor(self, name: str, cursor: str | None) -> None:
        with self._lock:
            if cursor is None:
                self._cursors.pop(name, None)
            else:
                self._cursors[name] = cursor

    def add_tick(self, tick: TickRecord) -> None:
        with self._lock:
            ticks = self._ticks.setdefault(tick.name, [])
            ticks[:] = [(e, t) for e, t in ticks if t.tick_id != tick.tick_id]
            ticks.append((self._expires_at(), tick))

    def list_ticks(self, name: str, *, limit: int = 50, before: float | None = None) -> list[TickRecord]:
        now = time.time()
        with self._lock:
            ticks = [
                t
                for expires, t in self._ticks.get(name, ())
                if (expires is None or expires > now) and (before is None or t.timestamp < before)
            ]
        ticks.sort(key=lambda t: t.timestamp, reverse=True)
        return ticks[:limit]

    # -- backfills -------------------------------------------------------------------
    def create_backfill(self, backfill: BackfillRecord) -> BackfillRecord:
        with self._lock:
            if backfill.backfill_id in self._backfills:
                raise StateStoreError(f"a backfill with id '{backfill.backfill_id}' already exists")
            self._backfills[backfill.backfill_id] = backfill
            return backfill

    def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        return self._backfills.get(backfill_id)

    def list_backfills(self, *, status: BackfillStatus | None = None, limit: int = 20) -> list[BackfillRecord]:
        with self._lock:
            found = [b for b in self._backfills.values() if status is None or b.status == status]
        found.sort(key=lambda b: (b.created_at, b.backfill_id), reverse=True)
        return found[:limit]

    def update_backfill(
        self,
        backfill_id: str,
        *,
        status: BackfillStatus | None = None,
        partition_statuses: Mapping[str, PartitionStatus] | None = None,
        partition_run_ids: Mapping[str, str] | None = None,
    ) -> BackfillRecord:
        with self._lock:
            backfill = self._backfills.get(backfill_id)
            if backfill is None:
                raise BackfillNotFound(f"no backfill '{backfill_id}'")
            _check_requested(backfill, {**(partition_statuses or {}), **(partition_run_ids or {})})
            backfill = replace(
                backfill,
                status=status or backfill.status,
                partition_statuses={**backfill.partition_statuses, **(partition_statuses or {})},
                partition_run_ids={**backfill.partition_run_ids, **(partition_run_ids or {})},
                updated_at=time.time(),
            )
            self._backfills[backfill_id] = backfill
            return backfill

    def transition_backfill(self, backfill_id: str, *, expected: BackfillStatus, status: BackfillStatus) -> bool:
        with self._lock:
            backfill = self._backfills.get(backfill_id)
            if backfill is None:
                raise BackfillNotFound(f"no backfill '{backfill_id}'")
            if backfill.status is not expected:
                return False
            self._backfills[backfill_id] = replace(backfill, status=status, updated_at=time.time())
            return True

    # -- asset checks ----------------------------------------------------------------
    def record_check_result(self, result: AssetCheckResult) -> None:
        with self._lock:
            self._checks.setdefault((result.asset_key, result.check_name), []).append(bound_check_result(result))

    def latest_check_result(self, asset_key: AssetKey, check_name: str) -> AssetCheckResult | None:
        with self._lock:
            results = list(reversed(self._checks.get((asset_key, check_name), ())))
        return max(results, key=lambda r: r.timestamp, default=None)

    def latest_check_results(self, asset_key: AssetKey) -> dict[str, AssetCheckResult]:
        with self._lock:
            names = [name for key, name in self._checks if key == asset_key]
        found = {name: self.latest_check_result(asset_key, name) for name in names}
        return {name: result for name, result in sorted(found.items()) if result is not None}

    # -- task tokens -------------------------------------------------------------------
    def put_task_token(self, run_id: str, step_key: str, token: str) -> None:
        with self._lock:
            self._tokens[(run_id, step_key)] = token

    def get_task_token(self, run_id: str, step_key: str) -> str | None:
        return self._tokens.get((run_id, step_key))

    def list_task_tokens(self, run_id: str) -> dict[str, str]:
        with self._lock:
            return {step: token for (run, step), token in sorted(self._tokens.items()) if run == run_id}


def _check_requested(backfill: BackfillRecord, partitions: Mapping[str, object]) -> None:
    """Updating a partition the backfill did not request is a bug in the caller."""
    unknown = sorted(set(partitions) - set(backfill.partition_keys))
    if unknown:
        raise StateStoreError(
            f"backfill '{backfill.backfill_id}' did not request partition(s) {unknown[:5]}"
        )
