"""What the ``run_step`` function does: run ONE step through THE step runner, then wake the downstream.

- ``run``: :func:`aloft.execution.step.execute_step` materializes the step
  (outputs through the I/O manager, materializations and events into the
  state store). On success, children waiting at a gate whose upstreams are
  now all done get their task token back. A failure that its RetryPolicy
  retries raises :class:`AloftStepRetry` (the state machine waits and
  retries the task); a final failure marks the selected downstream SKIPPED,
  fails their gates with ``AloftUpstreamFailed``, and raises
  :class:`AloftStepFailed` so the branch stops.
- ``crashed``: the task failed without reporting (a timeout, out of memory,
  an import error): record the failure and propagate it the same way.

Example:
    >>> from aloft import Definitions, asset, define_asset_job
    >>> from aloft.cloud.events import RunRef, RunStepEvent
    >>> from aloft.cloud.runtime import CloudRuntime
    >>> from aloft.io.memory import InMemoryIOManager
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> @asset
    ... def hello() -> str: return "world"
    >>> defs = Definitions(assets=[hello], jobs=[define_asset_job("greet", selection="*")],
    ...                    resources={"io_manager": InMemoryIOManager()})
    >>> runtime = CloudRuntime(store=InMemoryStateStore(), definitions=defs)
    >>> event = RunStepEvent(kind="run", job="greet", step="hello", run=RunRef(run_id="r1"))
    >>> handle_step_event(event, runtime).to_json()
    {'step': 'hello', 'status': 'SUCCESS', 'attempt': 1, 'assets': ['hello'], 'released': []}
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aloft.cloud.events import RunRef, RunStepEvent, StepCrashedEvent
from aloft.cloud.exceptions import AloftStepFailed, AloftStepRetry
from aloft.cloud.progress import RunProgress
from aloft.cloud.runtime import CloudRuntime, JobRuntime
from aloft.cloud.tokens import send_failure, send_success
from aloft.compiler.contract import ERROR_UPSTREAM_FAILED
from aloft.storage.records import PartitionStatus, StepError, StepEvent, StepEventType

__all__ = ["StepReport", "handle_step_event", "propagate_failure", "release_ready_children"]


@dataclass(frozen=True)
class StepReport:
    """What one invocation did (returned to Step Functions, which discards it, and logged)."""

    job: str
    step: str
    status: str
    attempt: int = 1
    duration: float = 0.0
    assets: tuple[str, ...] = ()
    released: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The small dict the Lambda function returns."""
        body: dict[str, Any] = {
            "step": self.step,
            "status": self.status,
            "attempt": self.attempt,
            "assets": list(self.assets),
            "released": list(self.released),
        }
        if self.skipped:
            body["skipped"] = list(self.skipped)
        if self.error:
            body["error"] = self.error
        return body


OnReport = Callable[[StepReport], None]


def handle_step_event(
    event: RunStepEvent | StepCrashedEvent,
    runtime: CloudRuntime,
    *,
    on_report: OnReport | None = None,
) -> StepReport:
    """Run or record one step; ``on_report`` sees the report even when the step raises."""
    if isinstance(event, RunStepEvent):
        return run_step(event, runtime, on_report=on_report)
    return record_crash(event, runtime, on_report=on_report)


def run_step(
    event: RunStepEvent, runtime: CloudRuntime, *, on_report: OnReport | None = None
) -> StepReport:
    """Materialize ``event.step`` for ``event.run`` (see the module docstring)."""
    from aloft.execution.step import execute_step

    job = runtime.job_for_run(event.job, event.run)
    step = job.step(event.step)
    context = job.run_context(event.run.run_id, event.run.partition_key, runtime.store)
    attempt = event.retry_count + 1
    with job.resources_set_up(step, context):
        outcome = execute_step(step, context, attempt=attempt)
    assets = tuple(record.asset_key.to_user_string() for record in outcome.materializations)
    if outcome.succeeded:
        released = release_ready_children(runtime, job, event.run, step.key)
        report = StepReport(
            event.job, step.key, "SUCCESS", attempt, outcome.duration, assets, tuple(released)
        )
        _tell(on_report, report)
        return report
    error = outcome.error
    summary = f"{error.error_type}: {error.message}" if error else "unknown error"
    if outcome.will_retry:
        _tell(
            on_report,
            StepReport(event.job, step.key, "RETRY", attempt, outcome.duration, error=summary),
        )
        raise AloftStepRetry(
            f"{step.label} failed on attempt {attempt} and will be retried: {summary}"
        )
    skipped = propagate_failure(runtime, job, event.run, step.key)
    _tell(
        on_report,
        StepReport(
            event.job,
            step.key,
            "FAILURE",
            attempt,
            outcome.duration,
            skipped=tuple(skipped),
            error=summary,
        ),
    )
    raise AloftStepFailed(f"{step.label} failed: {summary}")


def record_crash(
    event: StepCrashedEvent, runtime: CloudRuntime, *, on_report: OnReport | None = None
) -> StepReport:
    """Record a step whose task failed without reporting, and skip its downstream."""
    job = runtime.job_outline(event.job)
    step = job.step(event.step)
    run = event.run
    store = runtime.store
    caught = event.error
    error_type = caught.Error if caught else "States.TaskFailed"
    cause = (caught.Cause or "") if caught else ""
    progress = RunProgress.read(store, run.run_id)
    if step.key not in progress.terminal:
        store.add_step_event(
            StepEvent(
                run.run_id,
                step.key,
                StepEventType.FAILED,
                error=StepError(error_type=error_type, message=cause[:4000] or error_type),
                message=f"the step's Lambda task failed without reporting ({error_type})",
                partition_key=run.partition_key,
            )
        )
        if run.partition_key is not None:
            for key in step.asset_keys:
                store.set_partition_status(
                    key, run.partition_key, PartitionStatus.FAILED, run.run_id
                )
    skipped = propagate_failure(runtime, job, run, step.key)
    report = StepReport(
        event.job, step.key, "CRASHED", skipped=tuple(skipped), error=f"{error_type}: {cause[:500]}"
    )
    _tell(on_report, report)
    return report


def _tell(on_report: OnReport | None, report: StepReport) -> None:
    if on_report is not None:
        on_report(report)


def release_ready_children(
    runtime: CloudRuntime, job: JobRuntime, run: RunRef, step_key: str
) -> list[str]:
    """Send back the task token of every child waiting at its gate whose upstreams are now all done.

    Called after the step's success is recorded. A gate registers its token
    before it checks the upstreams, and this reads tokens after the success
    is written: whichever of the two comes last sees the other, so no release
    is lost (the store's reads are strongly consistent). Both may release:
    the second send is ignored.
    """
    store = runtime.store
    tokens = {}
    for child in job.children.get(step_key, ()):
        if run.selects(child):
            token = store.get_task_token(run.run_id, child)
            if token:
                tokens[child] = token
    if not tokens:
        return []
    progress = RunProgress.read(store, run.run_id)
    released = []
    for child, token in tokens.items():
        if child in progress.terminal:
            continue
        ready = progress.readiness(job.plan.steps[child].upstream_steps, run.skip) == "ready"
        if ready and send_success(runtime.sfn, token, {"released_by": step_key}):
            released.append(child)
    return released


def propagate_failure(
    runtime: CloudRuntime, job: JobRuntime, run: RunRef, failed: str
) -> list[str]:
    """Mark the selected downstream of ``failed`` SKIPPED and fail their gates; return them.

    Only steps the run selects are followed: a step reached through an
    unselected one loads that one's stored output and does not depend on
    this failure (Dagster's semantics for subsets).
    """
    store = runtime.store
    order = {key: i for i, key in enumerate(job.plan.steps)}
    seen: set[str] = set()
    queue = deque(job.children.get(failed, ()))
    while queue:
        key = queue.popleft()
        if key in seen or not run.selects(key):
            continue
        seen.add(key)
        queue.extend(job.children.get(key, ()))
    downstream = sorted(seen, key=order.__getitem__)
    if not downstream:
        return []
    progress = RunProgress.read(store, run.run_id)
    now = time.time()
    for key in downstream:
        if key not in progress.terminal:
            store.add_step_event(
                StepEvent(
                    run.run_id,
                    key,
                    StepEventType.SKIPPED,
                    timestamp=now,
                    message=f"skipped: upstream step '{failed}' did not succeed",
                    partition_key=run.partition_key,
                )
            )
    # Written first, read second: a gate that registers after this read sees the SKIPPED events.
    for key in downstream:
        token = store.get_task_token(run.run_id, key)
        if token:
            send_failure(
                runtime.sfn,
                token,
                ERROR_UPSTREAM_FAILED,
                f"upstream step '{failed}' did not succeed",
            )
    return downstream
