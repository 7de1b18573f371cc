"""The errors of schedules, sensors and declarative automation.

Definition mistakes (a cron EventBridge cannot express, a sensor on no job)
are ``DefinitionError`` subclasses found when the project loads. Failures of
user code during an evaluation are wrapped once, keeping the cause. Bad
input from the outside world (a malformed S3 event, a cursor written by an
older version) gets its own class so handlers can tell "retry" from "drop".

Example:
    >>> from aloft.errors import DefinitionError
    >>> issubclass(CronError, DefinitionError)
    True
"""

from __future__ import annotations

from aloft.errors import AloftError, DefinitionError, ExecutionError

__all__ = [
    "CronError",
    "CursorError",
    "S3EventError",
    "ScheduleEvaluationError",
    "SensorEvaluationError",
    "UnsupportedCronError",
]


class CronError(DefinitionError):
    """A cron string croniter (or aloft) cannot read.

    Example:
        >>> raise CronError("cron '61 * * * *' is invalid: minute 61 is out of range 0-59")
        Traceback (most recent call last):
        ...
        aloft.automation.errors.CronError: cron '61 * * * *' is invalid: minute 61 is out of range 0-59
    """


class UnsupportedCronError(CronError):
    """A valid cron string that EventBridge Scheduler cannot express (so it cannot be deployed)."""


class SensorEvaluationError(ExecutionError):
    """A sensor's function raised; the user's exception is ``__cause__``.

    Example:
        >>> err = SensorEvaluationError("sensor 'drops' raised ValueError: boom", sensor_name="drops")
        >>> err.sensor_name
        'drops'
    """

    def __init__(self, message: str, *, sensor_name: str) -> None:
        super().__init__(message)
        self.sensor_name = sensor_name


class ScheduleEvaluationError(ExecutionError):
    """A schedule's function raised; the user's exception is ``__cause__``."""

    def __init__(self, message: str, *, schedule_name: str) -> None:
        super().__init__(message)
        self.schedule_name = schedule_name


class S3EventError(AloftError):
    """An event that is not a well-formed S3 "Object Created" notification.

    Retrying such an event cannot help: handlers report it (and, for SQS
    batches, leave it to the queue's dead-letter queue) instead of raising.
    """


class CursorError(AloftError):
    """A stored cursor aloft cannot read (written by another version, or by hand).

    The cursor is left as it is; fix it with ``aloft sensor cursor NAME --set VALUE``.
    """
