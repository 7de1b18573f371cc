"""``StateStore``: the one interface every backend implements.

The executor, the Lambda handlers, the CLI and the UI only talk to this
interface; the backends (in memory, SQLite, DynamoDB) are swappable.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from aloft.definitions.asset_key import AssetKey
from aloft.errors import AloftError
from aloft.storage.records import (
    MaterializationRecord,
    PartitionStatus,
    RunRecord,
    RunStatus,
    StepEvent,
)

__all__ = ["InvalidRunTransition", "RunNotFound", "StateStore", "StateStoreError"]


class StateStoreError(AloftError):
    """The state store cannot be used (missing table, unknown schema version, corrupt file...)."""


class RunNotFound(StateStoreError):
    """No run with that id."""


class InvalidRunTransition(StateStoreError):
    """A run status change that is not allowed (e.g. a finished run going back to STARTED)."""


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
        """Store a new run."""

    @abstractmethod
    def get_run(self, run_id: str) -> RunRecord | None:
        """The run, or None."""

    @abstractmethod
    def update_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        timestamp: float | None = None,
        execution_arn: str | None = None,
    ) -> RunRecord:
        """Move a run to ``status``; raises InvalidRunTransition from a finished status."""

    @abstractmethod
    def list_runs(
        self, *, job_name: str | None = None, status: RunStatus | None = None, limit: int = 50
    ) -> list[RunRecord]:
        """Runs, newest first, optionally of one job or in one status."""

    # -- step events -------------------------------------------------------------------
    @abstractmethod
    def add_step_event(self, event: StepEvent) -> None:
        """Append an event to a run's log."""

    @abstractmethod
    def get_step_events(self, run_id: str) -> list[StepEvent]:
        """A run's step events, oldest first."""

    # -- materializations ------------------------------------------------------------
    @abstractmethod
    def record_materialization(self, record: MaterializationRecord) -> bool:
        """Store a materialization and update the latest/partition state together.

        Idempotent per (run, asset, partition, attempt): returns False when
        that materialization was already recorded.
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
        self, asset_key: AssetKey, partition_key: str, status: PartitionStatus, run_id: str | None = None
    ) -> None:
        """Set one partition's status (materialization records set MATERIALIZED themselves)."""

    @abstractmethod
    def partition_statuses(self, asset_key: AssetKey) -> dict[str, PartitionStatus]:
        """The recorded status of every partition of an asset (missing ones are absent)."""

    # -- task tokens (the compiled state machine's gates) -------------------------------
    @abstractmethod
    def put_task_token(self, run_id: str, step_key: str, token: str) -> None:
        """Remember the Step Functions task token of a step waiting at its gate."""

    @abstractmethod
    def get_task_token(self, run_id: str, step_key: str) -> str | None:
        """The task token a waiting step registered, if any."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
