"""How commands show a run: live lines on a terminal, a summary table, or JSON."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from aloft.execution.result import ExecuteInProcessResult
from aloft.execution.step import StepOutcome, StepStatus

if TYPE_CHECKING:
    from aloft.execution.plan import ExecutionPlan

__all__ = ["LiveProgress", "print_json", "result_to_json", "run_and_report", "summarize"]

_MARKS = {StepStatus.SUCCESS: "ok", StepStatus.FAILURE: "FAILED", StepStatus.SKIPPED: "skipped"}


class LiveProgress:
    """Prints a line as each step starts and ends (only when stdout is a terminal)."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.total = total
        self.done = 0
        self.started = time.perf_counter()
        self._lock = threading.Lock()

    def on_start(self, step_key: str) -> None:
        """A step started."""
        with self._lock:
            print(f"  [{self.done}/{self.total}] {step_key} ...", file=self.stream, flush=True)

    def on_outcome(self, outcome: StepOutcome) -> None:
        """A step ended."""
        with self._lock:
            self.done += 1
            print(
                f"  [{self.done}/{self.total}] {outcome.step_key} {_MARKS[outcome.status]}"
                f" ({outcome.duration:.2f}s)",
                file=self.stream,
                flush=True,
            )


def _metadata_text(outcome: StepOutcome) -> str:
    parts = []
    for record in outcome.materializations:
        for label, value in record.metadata.items():
            if label == "path" or value.get("type") in ("md", "table", "json"):
                continue
            parts.append(f"{label}={value.get('value')}")
    return ", ".join(parts)


def summarize(result: ExecuteInProcessResult, stream: TextIO | None = None) -> None:
    """A readable summary: one row per step, then the run's status."""
    out = stream or sys.stdout
    rows = [("step", "status", "seconds", "metadata")]
    for outcome in result.outcomes.values():
        rows.append(
            (outcome.step_key, _MARKS[outcome.status], f"{outcome.duration:.3f}", _metadata_text(outcome))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(f"  {row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}".rstrip(), file=out)
    for outcome in result.outcomes.values():
        if outcome.error is not None:
            print(f"\n  {outcome.step_key} failed: {outcome.error.error_type}: {outcome.error.message}", file=out)
    status = "SUCCESS" if result.success else "FAILURE"
    print(f"\nrun {result.run_id} {status}: {len(result.get_step_success_events())} of "
          f"{len(result.outcomes)} steps succeeded", file=out)


def result_to_json(result: ExecuteInProcessResult) -> dict[str, Any]:
    """The machine-readable form of a run."""
    return {
        "run_id": result.run_id,
        "job": result.run.job_name,
        "status": result.run.status.value,
        "success": result.success,
        "steps": [
            {
                "step": o.step_key,
                "status": o.status.value,
                "attempt": o.attempt,
                "duration": round(o.duration, 6),
                "error": None if o.error is None else {"type": o.error.error_type, "message": o.error.message},
                "materializations": [
                    {
                        "asset": r.asset_key.to_user_string(),
                        "partition": r.partition_key,
                        "metadata": dict(r.metadata),
                    }
                    for r in o.materializations
                ],
            }
            for o in result.outcomes.values()
        ],
    }


def print_json(data: Any, stream: TextIO | None = None) -> None:
    """Pretty JSON on stdout."""
    print(json.dumps(data, indent=2, sort_keys=True, default=str), file=stream or sys.stdout)


def run_and_report(
    plan: ExecutionPlan,
    *,
    resources: Mapping[str, Any],
    store: Any,
    run_config: Mapping[str, Any],
    partition_key: str | None,
    as_json: bool,
    tags: Mapping[str, str] | None = None,
) -> int:
    """Run ``plan`` in this process with live lines on a terminal, then print the summary or JSON.

    Returns the command's exit code: 0 when every step succeeded, 1 otherwise.
    """
    from aloft.execution.materialize import validate_partition_key
    from aloft.execution.run import execute_run

    validate_partition_key(plan, partition_key)
    live = LiveProgress(len(plan.steps)) if sys.stdout.isatty() and not as_json else None
    result = execute_run(
        plan,
        resources=resources,
        store=store,
        run_config=run_config,
        partition_key=partition_key,
        tags=tags,
        raise_on_error=False,
        on_start=live.on_start if live else None,
        on_outcome=live.on_outcome if live else None,
    )
    if as_json:
        print_json(result_to_json(result))
    else:
        summarize(result)
    return 0 if result.success else 1
