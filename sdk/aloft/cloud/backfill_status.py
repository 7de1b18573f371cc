"""What aloft's functions do for a backfill execution: record each partition's run, close the backfill.

The backfill state machine (:mod:`aloft.compiler.backfill`) calls the
``gate`` function three times around the job's own states:

- ``partition_start`` (each child, first): creates the partition's run record
  (the launcher never writes 10,000 of them up front), marks it STARTED and
  the backfill's partition (and the backfill itself) IN_PROGRESS. In an ordered backfill, when the run
  of the partition before did not succeed, the run is recorded CANCELED and
  the child skips its partition (it would read a missing or stale one);
- ``partition_end`` (each child, last): the run SUCCESS or FAILURE, the
  partition MATERIALIZED or FAILED;
- ``backfill_done`` (the parent, after the map): the backfill COMPLETED when
  every partition materialized, FAILED otherwise; the execution then fails too.

``run_status`` hands the backfill execution's own status changes to
:func:`record_backfill_execution_status`, so an aborted or timed-out
backfill is closed as well. Every write here is idempotent: a retried task
changes nothing twice.

Example:
    >>> from aloft.cloud.events import PartitionEndEvent, PartitionStartEvent, RunRef
    >>> from aloft.cloud.runtime import CloudRuntime
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> from aloft.storage.records import BackfillRecord
    >>> store = InMemoryStateStore()
    >>> _ = store.create_backfill(BackfillRecord("b1", "daily", partition_keys=("2026-03-01",)))
    >>> runtime = CloudRuntime(store=store)
    >>> run = RunRef(run_id="r1", partition_key="2026-03-01")
    >>> start_partition(PartitionStartEvent(kind="partition_start", job="daily", run=run, backfill_id="b1"),
    ...                 runtime).to_json()
    {'kind': 'partition_start', 'status': 'started', 'detail': 'r1', 'proceed': True}
    >>> _ = end_partition(PartitionEndEvent(kind="partition_end", job="daily", run=run, backfill_id="b1",
    ...                                     failed=False), runtime)
    >>> store.get_run("r1").status.value, store.get_backfill("b1").status_of("2026-03-01").value
    ('SUCCESS', 'MATERIALIZED')
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aloft.cloud.events import (
    BackfillDoneEvent,
    ExecutionStatusDetail,
    PartitionEndEvent,
    PartitionStartEvent,
)
from aloft.cloud.runtime import CloudRuntime
from aloft.execution.backfill_plan import BACKFILL_TAG, backfill_outcome_status
from aloft.storage.base import InvalidRunTransition, RunAlreadyExists, StateStore
from aloft.storage.records import (
    BackfillRecord,
    BackfillStatus,
    PartitionStatus,
    RunRecord,
    RunStatus,
    RunTrigger,
)

__all__ = [
    "BACKFILL_TAG",
    "BackfillReport",
    "end_partition",
    "handle_backfill_event",
    "record_backfill_execution_status",
    "start_partition",
    "summarize_backfill",
]

SKIPPED_TAG = "aloft/skipped"


@dataclass(frozen=True)
class BackfillReport:
    """What one backfill event did (the ``gate`` function returns it)."""

    kind: str
    status: str
    detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The small dict the Lambda function returns; the state machine reads ``proceed``/``failed``."""
        body: dict[str, Any] = {"kind": self.kind, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extra)
        return body


def handle_backfill_event(
    event: PartitionStartEvent | PartitionEndEvent | BackfillDoneEvent, runtime: CloudRuntime
) -> BackfillReport:
    """Dispatch one of the backfill state machine's events."""
    if isinstance(event, PartitionStartEvent):
        return start_partition(event, runtime)
    if isinstance(event, PartitionEndEvent):
        return end_partition(event, runtime)
    summary = summarize_backfill(runtime.store, event.backfill_id)
    return BackfillReport(
        "backfill_done",
        summary.status.value,
        extra={"failed": summary.status is not BackfillStatus.COMPLETED, "counts": summary.counts},
    )


def _partition_run(event: PartitionStartEvent, *, skipped: bool = False) -> RunRecord:
    tags = {BACKFILL_TAG: event.backfill_id}
    if skipped:
        tags[SKIPPED_TAG] = f"the run of the partition before ({event.after_run_id}) did not succeed"
    return RunRecord(
        run_id=event.run.run_id,
        job_name=event.job,
        selection=tuple(event.selection),
        partition_key=event.run.partition_key,
        trigger=RunTrigger.BACKFILL,
        tags=tags,
        execution_arn=event.execution_arn,
    )


def _create(store: StateStore, run: RunRecord) -> RunRecord:
    try:
        return store.create_run(run)
    except RunAlreadyExists:  # a retried task: the first attempt created it
        return store.get_run(run.run_id) or run


def _move(store: StateStore, run_id: str, status: RunStatus, **kwargs: Any) -> None:
    current = store.get_run(run_id)
    if current is None or current.status == status or not current.status.can_become(status):
        return
    with contextlib.suppress(InvalidRunTransition):  # moved on meanwhile (run_status saw the child end)
        store.update_run_status(run_id, status, **kwargs)


def start_partition(event: PartitionStartEvent, runtime: CloudRuntime) -> BackfillReport:
    """Record the partition's run and let the child proceed, or skip it (ordered backfills)."""
    store, run_id = runtime.store, event.run.run_id
    key = event.run.partition_key
    if event.after_run_id is not None:
        before = store.get_run(event.after_run_id)
        if before is None or before.status is not RunStatus.SUCCESS:
            _create(store, _partition_run(event, skipped=True))
            _move(store, run_id, RunStatus.CANCELED, timestamp=time.time())
            if key is not None:
                store.update_backfill_partition(event.backfill_id, key, run_id=run_id)
            return BackfillReport(
                "partition_start", "skipped", event.after_run_id, {"proceed": False}
            )
    _create(store, _partition_run(event))
    _move(store, run_id, RunStatus.STARTED, execution_arn=event.execution_arn)
    if key is not None:
        backfill_status = store.update_backfill_partition(
            event.backfill_id, key, status=PartitionStatus.IN_PROGRESS, run_id=run_id
        )
        # The first partitions move the backfill on (EventBridge may only forward terminal
        # statuses); no summary can run while a child of the map is starting.
        # Conditional: run_status may have closed it (CANCELED, FAILED) since that read.
        if backfill_status is BackfillStatus.REQUESTED:
            store.transition_backfill(
                event.backfill_id, expected=BackfillStatus.REQUESTED, status=BackfillStatus.IN_PROGRESS
            )
    return BackfillReport("partition_start", "started", run_id, {"proceed": True})


def end_partition(event: PartitionEndEvent, runtime: CloudRuntime) -> BackfillReport:
    """Close the partition's run and record the partition MATERIALIZED or FAILED."""
    store, run_id = runtime.store, event.run.run_id
    status = RunStatus.FAILURE if event.failed else RunStatus.SUCCESS
    _move(store, run_id, status, timestamp=time.time(), execution_arn=event.execution_arn)
    key = event.run.partition_key
    if key is not None:
        partition = PartitionStatus.FAILED if event.failed else PartitionStatus.MATERIALIZED
        store.update_backfill_partition(event.backfill_id, key, status=partition, run_id=run_id)
    detail = event.error.Error if event.failed and event.error else None
    return BackfillReport("partition_end", status.value, detail)


@dataclass(frozen=True)
class BackfillSummary:
    """How a backfill ended: its status and how many partitions ended how.

    Example:
        >>> BackfillSummary(BackfillStatus.COMPLETED, {"MATERIALIZED": 3}).counts["MATERIALIZED"]
        3
    """

    status: BackfillStatus
    counts: dict[str, int]


def summarize_backfill(
    store: StateStore, backfill_id: str, *, canceled: bool = False
) -> BackfillSummary:
    """Close a backfill: COMPLETED when every partition materialized, else FAILED (CANCELED when
    ``canceled``), as local backfills decide (:func:`aloft.execution.backfill_plan.backfill_outcome_status`).

    Partitions still IN_PROGRESS (their child crashed or was stopped) become
    FAILED, so that a resume runs them again. A finished backfill keeps its status.
    """
    backfill = store.get_backfill(backfill_id)
    if backfill is None:
        return BackfillSummary(BackfillStatus.FAILED, {})
    counts = _counts(backfill)
    if backfill.status.is_finished:
        return BackfillSummary(backfill.status, counts)
    stuck = {
        key: PartitionStatus.FAILED
        for key in backfill.partition_keys
        if backfill.status_of(key) is PartitionStatus.IN_PROGRESS
    }
    final = backfill_outcome_status(backfill, canceled=canceled)
    updated = store.update_backfill(backfill_id, status=final, partition_statuses=stuck)
    return BackfillSummary(final, _counts(updated))


def _counts(backfill: BackfillRecord) -> dict[str, int]:
    counter = Counter(backfill.status_of(key).value for key in backfill.partition_keys)
    return dict(sorted(counter.items()))


def record_backfill_execution_status(
    detail: ExecutionStatusDetail, runtime: CloudRuntime, backfill_id: str
) -> dict[str, Any]:
    """Apply a backfill execution's status change (what ``run_status`` does for backfills)."""
    store = runtime.store
    backfill = store.get_backfill(backfill_id)
    if backfill is None:
        return {"backfill_id": backfill_id, "status": "unknown backfill", "changed": False}
    if backfill.status.is_finished:
        return {"backfill_id": backfill_id, "status": backfill.status.value, "changed": False}
    if detail.status == "RUNNING":
        if backfill.status is BackfillStatus.REQUESTED and store.transition_backfill(
            backfill_id, expected=BackfillStatus.REQUESTED, status=BackfillStatus.IN_PROGRESS
        ):
            return {"backfill_id": backfill_id, "status": "IN_PROGRESS", "changed": True}
        return {"backfill_id": backfill_id, "status": backfill.status.value, "changed": False}
    summary = summarize_backfill(store, backfill_id, canceled=detail.status == "ABORTED")
    return {"backfill_id": backfill_id, "status": summary.status.value, "changed": True}
