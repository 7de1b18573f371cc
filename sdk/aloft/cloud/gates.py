"""What the ``gate`` function does: hold a step until its upstreams in other branches are done.

- ``wait``: store the task token of ``Gate_<step>``, THEN check the
  upstreams: all done -> send the token back now; one failed or skipped ->
  fail it with ``AloftUpstreamFailed`` (the branch stops, the step is
  skipped); otherwise the ``run_step`` that completes the last upstream
  sends it. Checking after registering is what makes a release impossible
  to lose. The gate never imports user code: the upstreams are in the event.
- ``start_part``: start one part of a split job with the entry's task token.
- ``report``: a part sends the entry its outcome (``true`` when it failed).

Example:
    >>> from aloft.cloud.events import GateWaitEvent, RunRef
    >>> from aloft.cloud.runtime import CloudRuntime
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> class Sfn:
    ...     def send_task_success(self, **kwargs): print("released", kwargs["taskToken"])
    >>> runtime = CloudRuntime(store=InMemoryStateStore(), clients=lambda service: Sfn())
    >>> event = GateWaitEvent(kind="wait", job="j", step="d", upstream=["a"], run=RunRef(run_id="r1", skip={"a": True}),
    ...                       token="t-1")
    >>> handle_gate_event(event, runtime).to_json()
    released t-1
    {'kind': 'wait', 'status': 'released'}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aloft.cloud.events import (
    BackfillDoneEvent,
    GateWaitEvent,
    PartitionEndEvent,
    PartitionStartEvent,
    ReportEvent,
    StartPartEvent,
)
from aloft.cloud.executions import start_execution_once
from aloft.cloud.progress import RunProgress
from aloft.cloud.runtime import CloudRuntime
from aloft.cloud.tokens import send_failure, send_success
from aloft.compiler.contract import ERROR_UPSTREAM_FAILED
from aloft.storage.records import StepEvent, StepEventType

if TYPE_CHECKING:
    from aloft.cloud.backfill_status import BackfillReport

__all__ = ["GateReport", "handle_gate_event"]


@dataclass(frozen=True)
class GateReport:
    """What one gate invocation did."""

    kind: str
    status: str
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The small dict the Lambda function returns."""
        body = {"kind": self.kind, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        return body


def handle_gate_event(
    event: GateWaitEvent
    | StartPartEvent
    | ReportEvent
    | PartitionStartEvent
    | PartitionEndEvent
    | BackfillDoneEvent,
    runtime: CloudRuntime,
) -> GateReport | BackfillReport:
    """Register a gate, start a part, report a part's outcome, or record a backfill's partitions."""
    if isinstance(event, PartitionStartEvent | PartitionEndEvent | BackfillDoneEvent):
        from aloft.cloud.backfill_status import handle_backfill_event

        return handle_backfill_event(event, runtime)
    if isinstance(event, GateWaitEvent):
        return wait_at_gate(event, runtime)
    if isinstance(event, StartPartEvent):
        return start_part(event, runtime)
    return report_to_parent(event, runtime)


def wait_at_gate(event: GateWaitEvent, runtime: CloudRuntime) -> GateReport:
    """Register the token, then release it at once if the upstreams are already settled."""
    store, run = runtime.store, event.run
    store.put_task_token(run.run_id, event.step, event.token)
    progress = RunProgress.read(store, run.run_id)
    readiness = progress.readiness(event.upstream, run.skip)
    if readiness == "ready":
        send_success(runtime.sfn, event.token, {"released_by": "gate"})
        return GateReport("wait", "released")
    if readiness == "blocked":
        blocker = progress.blocker(event.upstream)
        cause = f"upstream step '{blocker}' did not succeed"
        if event.step not in progress.terminal:
            store.add_step_event(
                StepEvent(
                    run.run_id,
                    event.step,
                    StepEventType.SKIPPED,
                    message=f"skipped: {cause}",
                    partition_key=run.partition_key,
                )
            )
        send_failure(runtime.sfn, event.token, ERROR_UPSTREAM_FAILED, cause)
        return GateReport("wait", "blocked", cause)
    return GateReport("wait", "waiting")


def start_part(event: StartPartEvent, runtime: CloudRuntime) -> GateReport:
    """Start part ``event.part``; its input carries the token the entry execution waits on."""
    run = event.run.model_dump()
    run["parent_token"] = event.token
    document = {"run": run, "failed": False}
    arn, started = start_execution_once(runtime.sfn, event.state_machine_arn, event.run.run_id, document)
    if not started:
        return GateReport("start_part", "already_started", f"part {event.part}")
    return GateReport("start_part", "started", arn)


def report_to_parent(event: ReportEvent, runtime: CloudRuntime) -> GateReport:
    """Complete the entry's ``StartPart`` task with this part's outcome."""
    if not event.token:
        return GateReport("report", "no_parent")
    send_success(runtime.sfn, event.token, bool(event.failed))
    return GateReport("report", "failed" if event.failed else "succeeded")
