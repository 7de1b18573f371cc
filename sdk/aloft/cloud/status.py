"""What the ``run_status`` function does: keep the run record in step with its execution.

Step Functions emits an "Execution Status Change" event for every change;
this is the one place that closes a run, so a run is closed even when a
Lambda crashed, the execution was aborted by hand or it timed out:

- ``RUNNING`` -> the run is STARTED;
- ``SUCCEEDED`` -> SUCCESS; ``FAILED`` / ``TIMED_OUT`` -> FAILURE; ``ABORTED`` -> CANCELED;
  steps that had started but never finished are recorded FAILED first;
- an event of a *part* of a split job closes nothing: the entry execution
  does; a part that ends abnormally fails the entry's task so it stops waiting.

Events can arrive twice or out of order: runs only move forward, so a late
``RUNNING`` after ``SUCCEEDED`` changes nothing.

Example:
    >>> from aloft.cloud.events import ExecutionStatusDetail
    >>> from aloft.cloud.runtime import CloudRuntime
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> from aloft.storage.records import RunRecord
    >>> store = InMemoryStateStore()
    >>> _ = store.create_run(RunRecord("r1", "daily"))
    >>> detail = ExecutionStatusDetail(executionArn="arn:x", stateMachineArn="arn:m", name="r1", status="SUCCEEDED",
    ...                                input='{"run": {"run_id": "r1"}, "failed": false}')
    >>> record_execution_status(detail, CloudRuntime(store=store)).to_json()
    {'run_id': 'r1', 'status': 'SUCCESS', 'changed': True}
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from aloft.cloud.events import ExecutionStatusDetail
from aloft.cloud.progress import RunProgress
from aloft.cloud.runtime import CloudRuntime
from aloft.cloud.tokens import send_failure
from aloft.storage.base import InvalidRunTransition, RunNotFound
from aloft.storage.records import RunStatus, StepError, StepEvent, StepEventType

__all__ = ["StatusReport", "record_execution_status"]

_log = logging.getLogger("aloft.cloud.status")

_RUN_STATUS = {
    "RUNNING": RunStatus.STARTED,
    "SUCCEEDED": RunStatus.SUCCESS,
    "FAILED": RunStatus.FAILURE,
    "TIMED_OUT": RunStatus.FAILURE,
    "ABORTED": RunStatus.CANCELED,
}
_ABNORMAL = {"TIMED_OUT", "ABORTED"}


@dataclass(frozen=True)
class StatusReport:
    """What one status event changed."""

    run_id: str | None
    status: str
    changed: bool

    def to_json(self) -> dict[str, Any]:
        """The small dict the Lambda function returns."""
        return {"run_id": self.run_id, "status": self.status, "changed": self.changed}


def _run_of(detail: ExecutionStatusDetail) -> dict[str, Any]:
    try:
        document = json.loads(detail.input or "{}")
    except json.JSONDecodeError:
        return {}
    run = document.get("run") if isinstance(document, dict) else None
    return run if isinstance(run, dict) else {}


def _backfill_of(detail: ExecutionStatusDetail) -> str | None:
    """The backfill id of a backfill execution (its input has ``backfill``, no ``run``)."""
    try:
        document = json.loads(detail.input or "{}")
    except json.JSONDecodeError:
        return None
    backfill = document.get("backfill") if isinstance(document, dict) else None
    backfill_id = backfill.get("backfill_id") if isinstance(backfill, dict) else None
    return backfill_id if isinstance(backfill_id, str) and backfill_id else None


def record_execution_status(detail: ExecutionStatusDetail, runtime: CloudRuntime) -> StatusReport:
    """Apply one execution status change to the run it belongs to."""
    run = _run_of(detail)
    run_id = run.get("run_id")
    if not isinstance(run_id, str) or not run_id:
        backfill_id = _backfill_of(detail)
        if backfill_id is not None:
            from aloft.cloud.backfill_status import record_backfill_execution_status

            outcome = record_backfill_execution_status(detail, runtime, backfill_id)
            return StatusReport(backfill_id, f"backfill {outcome['status']}", outcome["changed"])
        return StatusReport(None, "ignored: not an aloft execution", False)
    parent_token = run.get("parent_token")
    if isinstance(parent_token, str) and parent_token:
        if detail.status in ("FAILED", "TIMED_OUT", "ABORTED"):
            cause = f"part {detail.name} ended {detail.status}: {detail.error or ''} {detail.cause or ''}".strip()
            send_failure(
                runtime.sfn,
                parent_token,
                f"AloftPart{detail.status.title().replace('_', '')}",
                cause,
            )
            return StatusReport(run_id, f"part {detail.status}", True)
        return StatusReport(run_id, f"part {detail.status}", False)
    status = _RUN_STATUS.get(detail.status)
    if status is None:
        return StatusReport(run_id, f"ignored: {detail.status}", False)
    store = runtime.store
    stopped = detail.stopDate / 1000 if detail.stopDate else None
    if status.is_finished and (
        detail.status in _ABNORMAL or detail.error not in (None, "AloftRunFailed")
    ):
        _close_in_flight_steps(runtime, run_id, run.get("partition_key"), detail)
    try:
        before = store.get_run(run_id)
        if before is None:
            raise RunNotFound(run_id)
        if before.status == status or not before.status.can_become(status):
            return StatusReport(run_id, before.status.value, False)
        updated = store.update_run_status(
            run_id,
            status,
            timestamp=stopped if status.is_finished else None,
            execution_arn=detail.executionArn,
        )
    except RunNotFound:
        _log.error(
            "execution %s belongs to run %s, which the state store does not know",
            detail.executionArn,
            run_id,
        )
        return StatusReport(run_id, "unknown run", False)
    except InvalidRunTransition:
        current = store.get_run(run_id)
        return StatusReport(run_id, current.status.value if current else "unknown", False)
    return StatusReport(run_id, updated.status.value, True)


def _close_in_flight_steps(
    runtime: CloudRuntime, run_id: str, partition_key: Any, detail: ExecutionStatusDetail
) -> None:
    progress = RunProgress.read(runtime.store, run_id)
    reason = f"the execution ended {detail.status} while the step was running"
    for step_key in sorted(progress.in_flight):
        runtime.store.add_step_event(
            StepEvent(
                run_id,
                step_key,
                StepEventType.FAILED,
                error=StepError(
                    error_type=detail.error or detail.status, message=detail.cause or reason
                ),
                message=reason,
                partition_key=partition_key if isinstance(partition_key, str) else None,
            )
        )
