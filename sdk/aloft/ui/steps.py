"""The steps of a run as the UI shows them: one row per step, from its step events.

Example:
    >>> from aloft.storage.records import StepEvent, StepEventType
    >>> [r["status"] for r in step_summaries([StepEvent("r1", "orders", StepEventType.STARTED)])]
    ['STARTED']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aloft.storage.records import StepEvent, StepEventType
from aloft.storage.serialization import event_to_dict

__all__ = ["blank_step", "step_summaries"]


def blank_step(step_key: str, status: str) -> dict[str, Any]:
    """A step row with no events yet (a planned step of a run in progress).

    Example:
        >>> blank_step("orders", "PENDING")["attempts"]
        0
    """
    return {
        "step_key": step_key,
        "status": status,
        "attempts": 0,
        "started_at": None,
        "ended_at": None,
        "duration": None,
        "partition_key": None,
        "error": None,
        "log_lines": 0,
    }


_FINAL_STATUS = {
    StepEventType.SUCCEEDED: "SUCCEEDED",
    StepEventType.FAILED: "FAILED",
    StepEventType.SKIPPED: "SKIPPED",
    StepEventType.RETRIED: "RETRYING",
}


def step_summaries(events: Sequence[StepEvent]) -> list[dict[str, Any]]:
    """One row per step, in the order steps first appear: status, attempts, times, error.

    ``started_at`` is the first attempt's start, ``ended_at`` the last
    terminal event; a step whose last event is a retry is ``RETRYING`` until
    its next attempt starts (then ``STARTED``).

    Example:
        >>> from aloft.storage.records import StepError
        >>> rows = step_summaries([
        ...     StepEvent("r1", "orders", StepEventType.STARTED, timestamp=1.0),
        ...     StepEvent("r1", "orders", StepEventType.FAILED, timestamp=3.0, duration=2.0,
        ...               error=StepError("ValueError", "bad row")),
        ... ])
        >>> [(r["step_key"], r["status"], r["started_at"], r["ended_at"], r["error"]["error_type"]) for r in rows]
        [('orders', 'FAILED', 1.0, 3.0, 'ValueError')]
    """
    steps: dict[str, dict[str, Any]] = {}
    for event in events:
        step = steps.get(event.step_key)
        if step is None:
            step = steps[event.step_key] = blank_step(event.step_key, "STARTED")
        step["attempts"] = max(step["attempts"], event.attempt)
        step["partition_key"] = step["partition_key"] or event.partition_key
        step["log_lines"] += len(event.logs)
        if event.event_type == StepEventType.STARTED:
            if step["started_at"] is None:
                step["started_at"] = event.timestamp
            step["status"] = "STARTED"
            step["ended_at"] = None
            continue
        step["status"] = _FINAL_STATUS[event.event_type]
        if event.event_type != StepEventType.RETRIED:
            step["ended_at"] = event.timestamp
        step["duration"] = event.duration
        if event.error is not None:
            step["error"] = event_to_dict(event)["error"]
    for step in steps.values():
        if step["started_at"] is not None and step["ended_at"] is not None:
            step["duration"] = step["ended_at"] - step["started_at"]
    return list(steps.values())
