"""Lambda ``sensor``: S3 "Object Created" events (EventBridge, or an SQS batch) -> aloft's S3 sensors.

Environment: ``ALOFT_DEFINITIONS``, ``ALOFT_STATE``, ``ALOFT_LAUNCHER`` (see
``aloft.automation.runtime``). A failed sensor raises, so the asynchronous
invocation is retried and then dead-lettered; run keys make retries harmless.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aloft.automation.runtime import (
    AutomationRuntime,
    handle_sensor_event,
    runtime_from_environment,
)


@cache
def runtime() -> AutomationRuntime:
    """Definitions, state store and launcher: built once per Lambda container."""
    return runtime_from_environment()


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Dispatch the event's S3 objects to the sensors that watch them."""
    return handle_sensor_event(event, runtime())
