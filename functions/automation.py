"""Lambda ``automation``: new materializations (DynamoDB Streams) and periodic ticks -> automation.

A stream batch evaluates the eager/on_missing conditions downstream of the
assets it updated; ``{"source": "tick", "scheduled_time": ...}`` evaluates due
polled sensors, cron conditions and freshness policies. Returns
``batchItemFailures`` for the stream (a failed evaluation is retried, then
dead-lettered).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aloft.automation.runtime import (
    AutomationRuntime,
    handle_automation_event,
    runtime_from_environment,
)


@cache
def runtime() -> AutomationRuntime:
    """Definitions, state store and launcher: built once per Lambda container."""
    return runtime_from_environment()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Evaluate automation for the batch or the tick."""
    return handle_automation_event(event, runtime())
