"""The two error families of aloft.

Definition errors are found when user code is loaded, validated or compiled;
they name the culprit and say how to fix it. Execution errors wrap a failure
of user code at one boundary (the step runner) and keep the original
exception as ``__cause__``.

Example:
    >>> from aloft import DefinitionError
    >>> issubclass(DefinitionError, AloftError)
    True
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AloftError",
    "DefinitionError",
    "ExecutionError",
    "RunConfigError",
    "StepExecutionError",
    "did_you_mean",
]


class AloftError(Exception):
    """Base class of every error aloft raises on purpose."""


class DefinitionError(AloftError):
    """Something in the user's definitions is wrong (found at load or compile time).

    Example:
        >>> raise DefinitionError("asset 'b' depends on 'a', which is not defined")
        Traceback (most recent call last):
        ...
        aloft.errors.DefinitionError: asset 'b' depends on 'a', which is not defined
    """


class RunConfigError(DefinitionError):
    """The run configuration does not match the config schema of a node.

    ``path`` is the dotted location of the first problem, e.g.
    ``ops.filtered_sales.config.min_score``.
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ExecutionError(AloftError):
    """A run could not complete (orchestration-level failure)."""


class StepExecutionError(ExecutionError):
    """User code raised while materializing a step; the user's exception is ``__cause__``.

    Example:
        >>> try:
        ...     raise StepExecutionError("asset 'a' failed", step_key="a") from ValueError("x")
        ... except StepExecutionError as err:
        ...     type(err.__cause__).__name__
        'ValueError'
    """

    def __init__(self, message: str, *, step_key: str) -> None:
        super().__init__(message)
        self.step_key = step_key


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A suggestion suffix for a misspelled ``name``, or an empty string.

    Example:
        >>> did_you_mean("revnue", ["revenue", "orders"])
        " Did you mean 'revenue'?"
    """
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean '{matches[0]}'?" if matches else ""
