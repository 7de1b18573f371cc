"""Errors of aloft's cloud runtime.

The Lambda runtime reports an exception's class name as ``errorType``, and
the compiled state machines match those names in ``Retry`` and ``Catch``.
So the class names below ARE the contract (``aloft.compiler.contract``);
a unit test keeps them equal.

Example:
    >>> from aloft.compiler import contract
    >>> AloftStepRetry.__name__ == contract.ERROR_STEP_RETRY
    True
"""

from __future__ import annotations

from aloft.errors import AloftError, ExecutionError

__all__ = [
    "AloftMalformedEvent",
    "AloftStepFailed",
    "AloftStepRetry",
    "CloudError",
    "CloudSetupError",
]


class CloudError(AloftError):
    """Something aloft's cloud runtime cannot do."""


class CloudSetupError(CloudError):
    """The environment of a function is incomplete (no definitions, no bucket...); the message says what to set."""


class AloftStepRetry(ExecutionError):
    """User code failed and its ``RetryPolicy`` allows another attempt: the state machine retries the task."""


class AloftStepFailed(ExecutionError):
    """User code failed for good; the failure and the skipped downstream are already recorded."""


class AloftMalformedEvent(CloudError):
    """An event a function cannot understand. Never retried: retrying would not fix it."""
