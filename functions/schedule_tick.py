"""Lambda ``schedule_tick``: one EventBridge Scheduler tick -> the schedule's run(s).

Input (the schedule's target input): ``{"schedule_name": ..., "scheduled_time":
"<aws.scheduler.scheduled-time>", ...}``. Run keys and execution names derive
from the scheduled time, so Scheduler's retries never start a second run.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aloft.automation.runtime import (
    AutomationRuntime,
    handle_schedule_tick,
    runtime_from_environment,
)


@cache
def runtime() -> AutomationRuntime:
    """Definitions, state store and launcher: built once per Lambda container."""
    return runtime_from_environment()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Evaluate the tick; raise (so Scheduler retries) if it failed."""
    return handle_schedule_tick(event, runtime())
