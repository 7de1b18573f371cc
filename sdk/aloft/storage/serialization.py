"""Records to JSON-ready dicts and back: the one format every persistent backend stores.

The dicts keep the records' field names, so a DynamoDB stream consumer or a
``sqlite3`` session can read them without aloft.

Example:
    >>> from aloft.storage.records import RunRecord
    >>> run = RunRecord(run_id="r1", job_name="daily", created_at=1.0)
    >>> run_from_dict(run_to_dict(run)) == run
    True
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from aloft.definitions.asset_key import AssetKey
from aloft.definitions.config import EnvVar
from aloft.errors import RunConfigError
from aloft.storage.records import (
    AssetCheckResult,
    AssetCheckSeverity,
    BackfillRecord,
    BackfillStatus,
    MaterializationRecord,
    PartitionStatus,
    RunRecord,
    RunStatus,
    RunTrigger,
    StepError,
    StepEvent,
    StepEventType,
    TickRecord,
    TickStatus,
)

__all__ = [
    "backfill_from_dict",
    "backfill_to_dict",
    "check_result_from_dict",
    "check_result_to_dict",
    "dumps",
    "event_from_dict",
    "event_to_dict",
    "jsonable_run_config",
    "run_to_display_dict",
    "materialization_from_dict",
    "materialization_to_dict",
    "run_from_dict",
    "run_to_dict",
    "tick_from_dict",
    "tick_to_dict",
]


def dumps(data: Any) -> str:
    """Compact JSON: stored items are billed by size."""
    return json.dumps(data, separators=(",", ":"), default=str)


def jsonable_run_config(run_config: Mapping[str, Any]) -> dict[str, Any]:
    """Run config as plain JSON values, the form every store keeps and every cloud step reads.

    ``Config`` objects become their fields, dates their ISO text, and an
    ``EnvVar`` becomes ``{"env": NAME}`` (Dagster's run config syntax) so the
    variable is read where the run executes, and its value is never stored.
    Anything else that is not JSON is a :class:`~aloft.errors.RunConfigError`
    naming where it is.

    Example:
        >>> jsonable_run_config({"resources": {"api": {"config": {"token": EnvVar("API_TOKEN")}}}})
        {'resources': {'api': {'config': {'token': {'env': 'API_TOKEN'}}}}}
    """
    return {str(key): _jsonable(value, str(key)) for key, value in run_config.items()}


def _jsonable(value: Any, path: str) -> Any:
    if isinstance(value, EnvVar):
        return {"env": value.env_var_name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, BaseModel):
        return _jsonable(value.model_dump(mode="json"), path)
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Enum):
        return _jsonable(value.value, path)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise RunConfigError(
        f"run config value at {path} is a {type(value).__name__}, which cannot be stored with the run; "
        "use JSON values (strings, numbers, booleans, lists, mappings)",
        path=path,
    )


def run_to_dict(run: RunRecord) -> dict[str, Any]:
    """A run as a JSON-ready dict."""
    return {
        "run_id": run.run_id,
        "job_name": run.job_name,
        "status": run.status.value,
        "selection": list(run.selection),
        "partition_key": run.partition_key,
        "partition_range": list(run.partition_range) if run.partition_range else None,
        "trigger": run.trigger.value,
        "run_key": run.run_key,
        "tags": dict(run.tags),
        "created_at": run.created_at,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "execution_arn": run.execution_arn,
        "parent_run_id": run.parent_run_id,
        "run_config": jsonable_run_config(run.run_config),
    }


# Config keys whose values are never shown (an EnvVar is stored by name only and stays visible).
_SECRET_KEY = re.compile(r"secret|passw|token|credential|api_?key|private_?key|access_?key|auth", re.IGNORECASE)


def run_to_display_dict(run: RunRecord) -> dict[str, Any]:
    """:func:`run_to_dict` for people (the CLI, the UI): secret-looking config values masked.

    Example:
        >>> run = RunRecord("r1", "daily", run_config={"resources": {"db": {"config": {"password": "x"}}}})
        >>> run_to_display_dict(run)["run_config"]["resources"]["db"]["config"]["password"]
        '***'
    """
    data = run_to_dict(run)
    data["run_config"] = _masked(data["run_config"])
    return data


def _masked(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        if set(value) == {"env"}:
            return value
        return {k: _masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, key) for v in value]
    return "***" if _SECRET_KEY.search(key) and value is not None else value


def run_from_dict(data: dict[str, Any]) -> RunRecord:
    """The inverse of :func:`run_to_dict`."""
    window = data.get("partition_range")
    return RunRecord(
        run_id=data["run_id"],
        job_name=data["job_name"],
        status=RunStatus(data["status"]),
        selection=tuple(data.get("selection") or ()),
        partition_key=data.get("partition_key"),
        partition_range=(window[0], window[1]) if window else None,
        trigger=RunTrigger(data.get("trigger", RunTrigger.MANUAL.value)),
        run_key=data.get("run_key"),
        tags=dict(data.get("tags") or {}),
        created_at=float(data["created_at"]),
        started_at=_float(data.get("started_at")),
        ended_at=_float(data.get("ended_at")),
        execution_arn=data.get("execution_arn"),
        parent_run_id=data.get("parent_run_id"),
        # Runs written before run config was recorded have no such field.
        run_config=dict(data.get("run_config") or {}),
    )


def event_to_dict(event: StepEvent) -> dict[str, Any]:
    """A step event as a JSON-ready dict."""
    error = event.error
    return {
        "run_id": event.run_id,
        "step_key": event.step_key,
        "event_type": event.event_type.value,
        "timestamp": event.timestamp,
        "attempt": event.attempt,
        "duration": event.duration,
        "error": None
        if error is None
        else {"error_type": error.error_type, "message": error.message, "traceback": error.traceback},
        "message": event.message,
        "logs": list(event.logs),
        "partition_key": event.partition_key,
    }


def event_from_dict(data: dict[str, Any]) -> StepEvent:
    """The inverse of :func:`event_to_dict`."""
    error = data.get("error")
    return StepEvent(
        run_id=data["run_id"],
        step_key=data["step_key"],
        event_type=StepEventType(data["event_type"]),
        timestamp=float(data["timestamp"]),
        attempt=int(data.get("attempt", 1)),
        duration=_float(data.get("duration")),
        error=None if error is None else StepError(error["error_type"], error["message"], error.get("traceback", "")),
        message=data.get("message"),
        logs=tuple(data.get("logs") or ()),
        partition_key=data.get("partition_key"),
    )


def materialization_to_dict(record: MaterializationRecord) -> dict[str, Any]:
    """A materialization as a JSON-ready dict (the asset key in its ``a/b`` form)."""
    return {
        "asset_key": record.asset_key.to_user_string(),
        "run_id": record.run_id,
        "step_key": record.step_key,
        "timestamp": record.timestamp,
        "partition_key": record.partition_key,
        "metadata": dict(record.metadata),
        "code_version": record.code_version,
        "data_version": record.data_version,
        "storage_location": record.storage_location,
        "attempt": record.attempt,
    }


def materialization_from_dict(data: dict[str, Any]) -> MaterializationRecord:
    """The inverse of :func:`materialization_to_dict`."""
    return MaterializationRecord(
        asset_key=AssetKey.from_user_string(data["asset_key"]),
        run_id=data["run_id"],
        step_key=data["step_key"],
        timestamp=float(data["timestamp"]),
        partition_key=data.get("partition_key"),
        metadata=dict(data.get("metadata") or {}),
        code_version=data.get("code_version"),
        data_version=data.get("data_version"),
        storage_location=data.get("storage_location"),
        attempt=int(data.get("attempt", 1)),
    )


def tick_to_dict(tick: TickRecord) -> dict[str, Any]:
    """A tick as a JSON-ready dict."""
    return {
        "name": tick.name,
        "status": tick.status.value,
        "timestamp": tick.timestamp,
        "run_ids": list(tick.run_ids),
        "skip_reason": tick.skip_reason,
        "error": tick.error,
        "cursor": tick.cursor,
        "tick_id": tick.tick_id,
    }


def tick_from_dict(data: dict[str, Any]) -> TickRecord:
    """The inverse of :func:`tick_to_dict`."""
    return TickRecord(
        name=data["name"],
        status=TickStatus(data["status"]),
        timestamp=float(data["timestamp"]),
        run_ids=tuple(data.get("run_ids") or ()),
        skip_reason=data.get("skip_reason"),
        error=data.get("error"),
        cursor=data.get("cursor"),
        tick_id=data["tick_id"],
    )


def backfill_to_dict(backfill: BackfillRecord) -> dict[str, Any]:
    """A backfill as a JSON-ready dict."""
    return {
        "backfill_id": backfill.backfill_id,
        "job_name": backfill.job_name,
        "partition_keys": list(backfill.partition_keys),
        "selection": list(backfill.selection),
        "status": backfill.status.value,
        "partition_statuses": {k: v.value for k, v in backfill.partition_statuses.items()},
        "partition_run_ids": dict(backfill.partition_run_ids),
        "tags": dict(backfill.tags),
        "created_at": backfill.created_at,
        "updated_at": backfill.updated_at,
    }


def backfill_from_dict(data: dict[str, Any]) -> BackfillRecord:
    """The inverse of :func:`backfill_to_dict`."""
    return BackfillRecord(
        backfill_id=data["backfill_id"],
        job_name=data["job_name"],
        partition_keys=tuple(data.get("partition_keys") or ()),
        selection=tuple(data.get("selection") or ()),
        status=BackfillStatus(data["status"]),
        partition_statuses={k: PartitionStatus(v) for k, v in (data.get("partition_statuses") or {}).items()},
        partition_run_ids=dict(data.get("partition_run_ids") or {}),
        tags=dict(data.get("tags") or {}),
        created_at=float(data["created_at"]),
        updated_at=_float(data.get("updated_at")),
    )


def check_result_to_dict(result: AssetCheckResult) -> dict[str, Any]:
    """An asset check result as a JSON-ready dict."""
    return {
        "asset_key": result.asset_key.to_user_string(),
        "check_name": result.check_name,
        "passed": result.passed,
        "run_id": result.run_id,
        "timestamp": result.timestamp,
        "severity": result.severity.value,
        "description": result.description,
        "metadata": dict(result.metadata),
        "partition_key": result.partition_key,
    }


def check_result_from_dict(data: dict[str, Any]) -> AssetCheckResult:
    """The inverse of :func:`check_result_to_dict`."""
    return AssetCheckResult(
        asset_key=AssetKey.from_user_string(data["asset_key"]),
        check_name=data["check_name"],
        passed=bool(data["passed"]),
        run_id=data.get("run_id"),
        timestamp=float(data["timestamp"]),
        severity=AssetCheckSeverity(data.get("severity", AssetCheckSeverity.ERROR.value)),
        description=data.get("description"),
        metadata=dict(data.get("metadata") or {}),
        partition_key=data.get("partition_key"),
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
