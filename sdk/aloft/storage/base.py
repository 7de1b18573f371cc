"""``StateStore``: the one interface every backend implements.

The executor, the Lambda handlers, the CLI and the UI only talk to this
interface; the backends (in memory, SQLite, DynamoDB) are swappable and pass
the same contract suite (``tests/functional/storage``).

Semantics every backend keeps:

- runs only move forward (``RunStatus.can_become``); a run key is reserved
  at most once, and reserving it again returns the run that holds it;
- ``record_materialization`` is idempotent per (run, asset, partition,
  attempt) and writes history, latest and partition status together;
  "latest" means the newest ``timestamp`` (ties: the last recorded), so a
  late, older record never hides a newer one;
- a partition status set at time t is only replaced by a write stamped at
  or after t;
- step events and ticks expire after the store's ``event_ttl`` seconds
  (``None``: never); records are bounded by :mod:`aloft.storage.limits`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

from aloft.definitions.asset_key import AssetKey
from aloft.errors import AloftError
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

__all__ = [
    "DEFAULT_EVENT_TTL",
    "BackfillNotFound",
    "DuplicateRunKey",
    "InvalidRunTransition",
    "RunAlreadyExists",
    "RunNotFound",
    "StateStore",
    "StateStoreError",
]

# Step events (with their captured logs) and ticks are kept for 90 days by default.
DEFAULT_EVENT_TTL: float = 90 * 24 * 3600.0


class StateStoreError(AloftError):
    """The state store cannot be used (missing table, unknown schema version, corrupt file...)."""


class RunNotFound(StateStoreError):
    """No run with that id."""


class RunAlreadyExists(StateStoreError):
    """``create_run`` with the id of a run that is already stored."""


class DuplicateRunKey(StateStoreError):
    """``create_run`` with a run key another run already reserved (use ``reserve_run``)."""

    def __init__(self, message: str, *, existing: RunRecord) -> None:
        super().__init__(message)
        self.existing = existing


class InvalidRunTransition(StateStoreError):
    """A run status change that is not allowed (e.g. a finished run going back to STARTED)."""


class BackfillNotFound(StateStoreError):
    """No backfill with that id."""


class StateStore(ABC):
    """Where runs, step events, materializations and partition state are kept.

    Example:
        >>> from aloft.storage.memory import InMemoryStateStore
        >>> store = InMemoryStateStore()
        >>> run = store.create_run(RunRecord(run_id="r1", job_name="__adhoc__"))
        >>> store.update_run_status("r1", RunStatus.STARTED).status
        <RunStatus.STARTED: 'STARTED'>
    """

    # -- runs ------------------------------------------------------------------------
    @abstractmethod
    def create_run(self, run: RunRecord) -> RunRecord:
        """Store a new run.

        Raises RunAlreadyExists for a known run id, and DuplicateRunKey when
        ``run.run_key`` is already reserved (``reserve_run`` returns the
        existing run instead).
        """

    @abstractmethod
    def reserve_run(self, run: RunRecord) -> tuple[RunRecord, bool]:
        """Store ``run`` unless its run key is taken: ``(stored run, created)``.

        When ``run.run_key`` is already reserved, nothing is written and the
        run holding the key is returned with ``created=False``. A run
        without a run key is simply created.

        Example:
            >>> from aloft.storage.memory import InMemoryStateStore
            >>> store = InMemoryStateStore()
            >>> store.reserve_run(RunRecord("r1", "daily", run_key="2026-03-01"))[1]
            True
            >>> store.reserve_run(RunRecord("r2", "daily", run_key="2026-03-01"))[0].run_id
            'r1'
        """

    @abstractmethod
    def get_run(self, run_id: str) -> RunRecord | None:
        """The run, or None."""

    @abstractmethod
    def get_run_by_key(self, run_key: str) -> RunRecord | None:
        """The run that reserved ``run_key``, or None."""

    @abstractmethod
    def update_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        timestamp: float | None = None,
        execution_arn: str | None = None,
    ) -> RunRecord:
        """Move a run to ``status``.

        Raises RunNotFound, or InvalidRunTransition when the run cannot move
        there (``RunStatus.can_become``). ``started_at``/``ended_at`` are set
        once, by the first update that reaches STARTED / a finished status.
        """

    @abstractmethod
    def list_runs(
        self,
        *,
        job_name: str | None = None,
        status: RunStatus | None = None,
        limit: int = 50,
        before: float | None = None,
    ) -> list[RunRecord]:
        """Runs, newest first (by ``created_at``), optionally of one job and/or in one status.

        ``before`` pages back: only runs created strictly before it.
        """

    # -- step events -------------------------------------------------------------------
    @abstractmethod
    def add_step_event(self, event: StepEvent) -> None:
        """Append an event to a run's log (logs bounded, expires after the store's TTL)."""

    @abstractmethod
    def get_step_events(self, run_id: str) -> list[StepEvent]:
        """A run's unexpired step events, oldest first."""

    # -- materializations ------------------------------------------------------------
    @abstractmethod
    def record_materialization(self, record: MaterializationRecord) -> bool:
        """Store a materialization and update the latest/partition state together.

        Idempotent per (run, asset, partition, attempt): returns False when
        that materialization was already recorded. A partitioned record sets
        the partition MATERIALIZED unless a later status was set.
        """

    @abstractmethod
    def latest_materialization(
        self, asset_key: AssetKey, partition_key: str | None = None
    ) -> MaterializationRecord | None:
        """The newest materialization of the asset (or of one partition)."""

    @abstractmethod
    def materialization_history(
        self, asset_key: AssetKey, *, limit: int = 50, before: float | None = None
    ) -> list[MaterializationRecord]:
        """Materializations of the asset, newest first (``before`` pages back in time)."""

    @abstractmethod
    def latest_materializations(self, asset_keys: Sequence[AssetKey]) -> dict[AssetKey, MaterializationRecord]:
        """The newest materialization of each asset that has one."""

    # -- partitions ------------------------------------------------------------------
    @abstractmethod
    def set_partition_status(
        self,
        asset_key: AssetKey,
        partition_key: str,
        status: PartitionStatus,
        run_id: str | None = None,
        *,
        timestamp: float | None = None,
    ) -> None:
        """Set one partition's status (materialization records set MATERIALIZED themselves)."""

    @abstractmethod
    def partition_status_records(self, asset_key: AssetKey) -> dict[str, PartitionStatusRecord]:
        """Every recorded partition status of an asset, with its run and time."""

    def partition_statuses(self, asset_key: AssetKey) -> dict[str, PartitionStatus]:
        """The recorded status of every partition of an asset (missing ones are absent).

        Example:
            >>> from aloft.storage.memory import InMemoryStateStore
            >>> store = InMemoryStateStore()
            >>> store.set_partition_status(AssetKey("daily"), "2026-03-01", PartitionStatus.FAILED)
            >>> store.partition_statuses(AssetKey("daily"))
            {'2026-03-01': <PartitionStatus.FAILED: 'FAILED'>}
        """
        return {key: record.status for key, record in self.partition_status_records(asset_key).items()}

    # -- dynamic partitions (aloft.partitions.DynamicPartitionsStore) -------------------
    @abstractmethod
    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        """The keys of a dynamic partitions definition, in the order they were added."""

    @abstractmethod
    def add_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        """Add keys (known keys keep their place).

        Example:
            >>> from aloft.storage.memory import InMemoryStateStore
            >>> store = InMemoryStateStore()
            >>> store.add_dynamic_partitions("customers", ["acme", "globex", "acme"])
            >>> store.get_dynamic_partitions("customers")
            ['acme', 'globex']
        """

    @abstractmethod
    def delete_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        """Remove keys (unknown keys are ignored)."""

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        """Whether ``partition_key`` is a key of the dynamic partitions definition."""
        return partition_key in self.get_dynamic_partitions(partitions_def_name)

    # -- sensors and schedules ---------------------------------------------------------
    @abstractmethod
    def get_sensor_cursor(self, name: str) -> str | None:
        """The cursor a sensor stored, or None."""

    @abstractmethod
    def set_sensor_cursor(self, name: str, cursor: str | None) -> None:
        """Store (or clear, with None) a sensor's cursor."""

    @abstractmethod
    def add_tick(self, tick: TickRecord) -> None:
        """Record one evaluation of a sensor or schedule (expires after the store's TTL)."""

    @abstractmethod
    def list_ticks(self, name: str, *, limit: int = 50, before: float | None = None) -> list[TickRecord]:
        """The ticks of a sensor or schedule, newest first."""

    # -- backfills ---------------------------------------------------------------------
    @abstractmethod
    def create_backfill(self, backfill: BackfillRecord) -> BackfillRecord:
        """Store a new backfill (raises StateStoreError for a known id)."""

    @abstractmethod
    def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        """The backfill with its per-partition statuses, or None."""

    @abstractmethod
    def list_backfills(self, *, status: BackfillStatus | None = None, limit: int = 20) -> list[BackfillRecord]:
        """Backfills, newest first, optionally in one status."""

    @abstractmethod
    def update_backfill(
        self,
        backfill_id: str,
        *,
        status: BackfillStatus | None = None,
        partition_statuses: Mapping[str, PartitionStatus] | None = None,
        partition_run_ids: Mapping[str, str] | None = None,
    ) -> BackfillRecord:
        """Change a backfill's status and/or some of its partitions'.

        Raises BackfillNotFound; a partition that was not requested is a
        StateStoreError.
        """

    @abstractmethod
    def transition_backfill(self, backfill_id: str, *, expected: BackfillStatus, status: BackfillStatus) -> bool:
        """Set a backfill's status to ``status`` only if it is still ``expected`` (atomically).

        Returns whether it changed: False when another writer moved it on meanwhile
        (a cloud backfill's child starting while ``run_status`` closes the backfill
        must not bring a CANCELED one back to IN_PROGRESS). Raises BackfillNotFound.

        Example:
            >>> from aloft.storage.memory import InMemoryStateStore
            >>> store = InMemoryStateStore()
            >>> _ = store.create_backfill(BackfillRecord("b1", "daily"))
            >>> store.transition_backfill("b1", expected=BackfillStatus.REQUESTED, status=BackfillStatus.IN_PROGRESS)
            True
            >>> store.transition_backfill("b1", expected=BackfillStatus.REQUESTED, status=BackfillStatus.IN_PROGRESS)
            False
        """

    def update_backfill_partition(
        self,
        backfill_id: str,
        partition_key: str,
        *,
        status: PartitionStatus | None = None,
        run_id: str | None = None,
    ) -> BackfillStatus:
        """Set one partition's status and/or run id; return the backfill's own status.

        What each child of a cloud backfill calls when it starts and ends: stores
        where reading the whole backfill back is costly (DynamoDB: one item per
        partition) answer with a constant number of requests. Same errors as
        :meth:`update_backfill`.
        """
        record = self.update_backfill(
            backfill_id,
            partition_statuses={partition_key: status} if status is not None else None,
            partition_run_ids={partition_key: run_id} if run_id is not None else None,
        )
        return record.status

    # -- asset checks ------------------------------------------------------------------
    @abstractmethod
    def record_check_result(self, result: AssetCheckResult) -> None:
        """Store an asset check result (history and latest)."""

    @abstractmethod
    def latest_check_result(self, asset_key: AssetKey, check_name: str) -> AssetCheckResult | None:
        """The newest result of one check of an asset."""

    @abstractmethod
    def latest_check_results(self, asset_key: AssetKey) -> dict[str, AssetCheckResult]:
        """The newest result of every check of an asset, by check name."""

    # -- task tokens (the compiled state machine's gates) -------------------------------
    @abstractmethod
    def put_task_token(self, run_id: str, step_key: str, token: str) -> None:
        """Remember the Step Functions task token of a step waiting at its gate."""

    @abstractmethod
    def get_task_token(self, run_id: str, step_key: str) -> str | None:
        """The task token a waiting step registered, if any."""

    @abstractmethod
    def list_task_tokens(self, run_id: str) -> dict[str, str]:
        """Every task token registered in a run, by step key."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
