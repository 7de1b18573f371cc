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
    "MaterializationRecord",
    "PartitionStatus",
    "RunRecord",
    "RunStatus",
    "RunTrigger",
    "StepError",
    "StepEvent",
    "StepEventType",
    "new_run_id",
]


def new_run_id() -> str:
    """A fresh run id (a UUID4 string, as Dagster's)."""
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


class RunTrigger(str, Enum):
    """What asked for a run."""

    MANUAL = "manual"
    SCHEDULE = "schedule"
    SENSOR = "sensor"
    AUTOMATION = "automation"
    BACKFILL = "backfill"


@dataclass(frozen=True)
class RunRecord:
    """One run of a job (or of an ad-hoc asset selection)."""

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


class StepEventType(str, Enum):
    """What happened to a step."""

    STARTED = "STEP_STARTED"
    SUCCEEDED = "STEP_SUCCEEDED"
    FAILED = "STEP_FAILED"
    SKIPPED = "STEP_SKIPPED"
    RETRIED = "STEP_RETRIED"


@dataclass(frozen=True)
class StepError:
    """A failure of user code: the exception type, its message, and the cause chain as text."""

    error_type: str
    message: str
    traceback: str = ""


@dataclass(frozen=True)
class StepEvent:
    """An event of one step of a run."""

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
    """One materialization of an asset (or of one of its partitions)."""

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
