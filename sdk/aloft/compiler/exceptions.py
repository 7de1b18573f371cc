"""Errors the compiler raises: always at compile time, never discovered at deploy time."""

from __future__ import annotations

from aloft.errors import DefinitionError

__all__ = ["CompileError", "LimitExceeded"]


class CompileError(DefinitionError):
    """The job cannot be expressed as a state machine (the message says why and how to fix it).

    Example:
        >>> raise CompileError("step key 'a b' has a space")
        Traceback (most recent call last):
        ...
        aloft.compiler.exceptions.CompileError: step key 'a b' has a space
    """


class LimitExceeded(CompileError):
    """A Step Functions quota would be exceeded even after splitting the job.

    ``limit`` names the quota (``definition_bytes``, ``history_events``...),
    ``value`` what the compiler estimated and ``maximum`` the quota.
    """

    def __init__(self, message: str, *, limit: str, value: float, maximum: float) -> None:
        super().__init__(message)
        self.limit = limit
        self.value = value
        self.maximum = maximum
