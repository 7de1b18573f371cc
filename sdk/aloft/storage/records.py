"""The records the state store keeps. Immutable values, JSON-friendly."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aloft.definitions.asset_key import AssetKey

__all__ = [
    "AssetCheckResult",
    "AssetCheckSeverity",
    "BackfillRecord",
    "BackfillStatus",
    "MaterializationRecord",
    "PartitionStatus",
    "PartitionStatusRecord",
    "RunRecord",
    "RunStatus",
    "RunTrigger",
    "StepError",
    "StepEvent",
    "StepEventType",
    "TickRecord",
    "TickStatus",
    "new_run_id",
]


def new_run_id() -> str:
    """A fresh run id (a UUID4 string, as Dagster's).

    Example:
        >>> len(new_run_id())
        36
    """
    return str(uuid.uuid4())


class RunStatus(str, Enum):
    """The life of a run: QUEUED -> STARTED -> SUCCESS | FAILURE | CANCELED."""

    QUEUED = "QUEUED"
    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCELED = "CANCELED"

    @property
    def is_finished(self) -> bool:
        """Whether no further transition is allowed."""
        return self in (RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELED)

    def can_become(self, status: RunStatus) -> bool:
        """Whether a run in this status may move to ``status``.

        Runs only move forward (QUEUED -> STARTED -> finished); repeating the
        current status is allowed so that a retried update is harmless.

        Example:
            >>> RunStatus.SUCCESS.can_become(RunStatus.STARTED)
            False
            >>> RunStatus.QUEUED.can_become(RunStatus.CANCELED)
            True
        """
        if status == self:
            return True
        return not self.is_finished and _RUN_STATUS_RANK[status] > _RUN_STATUS_RANK[self]

    def predecessors(self) -> tuple[RunStatus, ...]:
        """The statuses a run may be in to move to this one (for conditional writes)."""
        return tuple(s for s in RunStatus if s.can_become(self))


_RUN_STATUS_RANK = {
    RunStatus.QUEUED: 0,
    RunStatus.STARTED: 1,
    RunStatus.SUCCESS: 2,
    RunStatus.FAILURE: 2,
    RunStatus.CANCELED: 2,
}


class RunTrigger(str, Enum):
    """What asked for a run."""

    MANUAL = "manual"
    SCHEDULE = "schedule"
    SENSOR = "sensor"
    AUTOMATION = "automation"
    BACKFILL = "backfill"


@dataclass(frozen=True)
class RunRecord:
    """One run of a job (or of an ad-hoc asset selection).

    ``run_config`` is the run's own config (Dagster's run config: ``ops``,
    ``resources``...), empty when the run uses its job's config. It is
    JSON-ready and bounded by :data:`aloft.storage.limits.MAX_RUN_CONFIG_BYTES`.

    Example:
        >>> RunRecord("r1", "daily", run_key="2026-03-01").status.value
        'QUEUED'
        >>> RunRecord("r2", "daily", run_config={"ops": {"orders": {"config": {"limit": 5}}}}).run_config["ops"]
        {'orders': {'config': {'limit': 5}}}
    """

    run_id: str
    job_name: str
    status: RunStatus = RunStatus.QUEUED
    selection: tuple[str, ...] = ()
    partition_key: str | None = None
    partition_range: tuple[str, str] | None = None
    trigger: RunTrigger = RunTrigger.MANUAL
    run_key: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    ended_at: float | None = None
    execution_arn: str | None = None
    parent_run_id: str | None = None
    run_config: Mapping[str, Any] = field(default_factory=dict)


class StepEventType(str, Enum):
    """What happened to a step."""

    STARTED = "STEP_STARTED"
    SUCCEEDED = "STEP_SUCCEEDED"
    FAILED = "STEP_FAILED"
    SKIPPED = "STEP_SKIPPED"
    RETRIED = "STEP_RETRIED"


@dataclass(frozen=True)
class StepError:
    """A failure of user code: the exception type, its message, and the cause chain as text.

    Example:
        >>> StepError("ValueError", "bad row").error_type
        'ValueError'
    """

    error_type: str
    message: str
    traceback: str = ""


@dataclass(frozen=True)
class StepEvent:
    """An event of one step of a run.

    Example:
        >>> StepEvent("r1", "orders", StepEventType.STARTED).attempt
        1
    """

    run_id: str
    step_key: str
    event_type: StepEventType
    timestamp: float = field(default_factory=time.time)
    attempt: int = 1
    duration: float | None = None
    error: StepError | None = None
    message: str | None = None
    logs: tuple[str, ...] = ()
    partition_key: str | None = None


@dataclass(frozen=True)
class MaterializationRecord:
    """One materialization of an asset (or of one of its partitions).

    Example:
        >>> MaterializationRecord(AssetKey("orders"), "r1", "orders", partition_key="2026-03-01").attempt
        1
    """

    asset_key: AssetKey
    run_id: str
    step_key: str
    timestamp: float = field(default_factory=time.time)
    partition_key: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)  # label -> MetadataValue.to_json()
    code_version: str | None = None
    data_version: str | None = None
    storage_location: str | None = None
    attempt: int = 1


class PartitionStatus(str, Enum):
    """The state of one partition of an asset."""

    MATERIALIZED = "MATERIALIZED"
    FAILED = "FAILED"
    IN_PROGRESS = "IN_PROGRESS"
    MISSING = "MISSING"


@dataclass(frozen=True)
class PartitionStatusRecord:
    """The status of one partition of an asset, with the run that set it and when.

    Example:
        >>> PartitionStatusRecord("2026-01-01", PartitionStatus.FAILED, run_id="r1").status.value
        'FAILED'
    """

    partition_key: str
    status: PartitionStatus
    run_id: str | None = None
    updated_at: float = field(default_factory=time.time)


class TickStatus(str, Enum):
    """The outcome of one evaluation of a sensor or schedule."""

    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    SKIPPED = "SKIPPED"
    FAILURE = "FAILURE"


@dataclass(frozen=True)
class TickRecord:
    """One evaluation of a sensor (or schedule): when, how it ended, which runs it asked for.

    ``name`` is the sensor's or schedule's name; ``cursor`` the cursor after the tick.

    Example:
        >>> TickRecord("s3_drops", TickStatus.SKIPPED, skip_reason="no new objects").run_ids
        ()
    """

    name: str
    status: TickStatus
    timestamp: float = field(default_factory=time.time)
    run_ids: tuple[str, ...] = ()
    skip_reason: str | None = None
    error: str | None = None
    cursor: str | None = None
    tick_id: str = field(default_factory=lambda: uuid.uuid4().hex)


class BackfillStatus(str, Enum):
    """The life of a backfill: REQUESTED -> IN_PROGRESS -> COMPLETED | FAILED | CANCELED."""

    REQUESTED = "REQUESTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"

    @property
    def is_finished(self) -> bool:
        """Whether the backfill has ended."""
        return self in (BackfillStatus.COMPLETED, BackfillStatus.FAILED, BackfillStatus.CANCELED)


@dataclass(frozen=True)
class BackfillRecord:
    """A backfill: a job (or asset selection) run once per requested partition key.

    ``partition_statuses`` and ``partition_run_ids`` only hold partitions that
    have started; the others are implicitly MISSING.

    Example:
        >>> backfill = BackfillRecord("b1", "daily", partition_keys=("2026-03-01", "2026-03-02"))
        >>> backfill.status_of("2026-03-01").value
        'MISSING'
    """

    backfill_id: str
    job_name: str
    partition_keys: tuple[str, ...] = ()
    selection: tuple[str, ...] = ()
    status: BackfillStatus = BackfillStatus.REQUESTED
    partition_statuses: Mapping[str, PartitionStatus] = field(default_factory=dict)
    partition_run_ids: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    updated_at: float | None = None

    def status_of(self, partition_key: str) -> PartitionStatus:
        """The status of one requested partition."""
        return self.partition_statuses.get(partition_key, PartitionStatus.MISSING)


class AssetCheckSeverity(str, Enum):
    """How bad a failed check is (Dagster's names)."""

    WARN = "WARN"
    ERROR = "ERROR"


@dataclass(frozen=True)
class AssetCheckResult:
    """The result of one evaluation of an asset check.

    Example:
        >>> AssetCheckResult(AssetKey("orders"), "no_nulls", passed=True, run_id="r1").severity.value
        'ERROR'
    """

    asset_key: AssetKey
    check_name: str
    passed: bool
    run_id: str | None = None
    timestamp: float = field(default_factory=time.time)
    severity: AssetCheckSeverity = AssetCheckSeverity.ERROR
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)  # label -> MetadataValue.to_json()
    partition_key: str | None = None
