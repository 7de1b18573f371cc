"""Typed Amazon States Language objects: each state is a small value with ``to_json()``.

The compiler builds these objects and never splices dicts by hand, so every
state it emits has a known shape, names are checked in one place and the
JSON is deterministic (``StateMachine.to_json`` sorts keys).

Example:
    >>> machine = StateMachine(
    ...     start_at="Hello",
    ...     states=(Pass("Hello", next="Done"), Succeed("Done")),
    ... )
    >>> machine.to_dict()["States"]["Hello"]
    {'Type': 'Pass', 'Next': 'Done'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aloft.compiler.exceptions import CompileError

__all__ = [
    "KEEP_INPUT",
    "NO_RESULT",
    "And",
    "BooleanEquals",
    "Branch",
    "Catcher",
    "Choice",
    "ChoiceRule",
    "Condition",
    "Fail",
    "IsPresent",
    "Map",
    "Not",
    "Or",
    "Parallel",
    "Pass",
    "Retrier",
    "State",
    "StateMachine",
    "StringEquals",
    "Succeed",
    "Task",
    "is_legal_name",
]

JSON = dict[str, Any]

# ``ResultPath`` default: the result replaces the input. ``None`` means ``"ResultPath": null``
# (the result is discarded and the input passes through).
KEEP_INPUT = "$"
_DEFAULT_PATH = "$"


class _NoResult:
    def __repr__(self) -> str:
        return "NO_RESULT"


# ``Pass(result=...)`` default: no ``Result`` field (``None`` is a legal result: JSON null).
NO_RESULT: Any = _NoResult()

MAX_NAME_LENGTH = 80
_ILLEGAL = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def is_legal_name(name: str) -> bool:
    """Whether ``name`` is a legal state (or state machine, or execution) name.

    Example:
        >>> is_legal_name("Run_orders"), is_legal_name("Run orders"), is_legal_name("x" * 81)
        (True, False, False)
    """
    return 0 < len(name) <= MAX_NAME_LENGTH and not _ILLEGAL.search(name)


# -- error handling ------------------------------------------------------------------------


@dataclass(frozen=True)
class Retrier:
    """One ``Retry`` entry: which errors, how often, how long to wait."""

    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    jitter_strategy: Literal["FULL", "NONE"] | None = None
    max_delay_seconds: int | None = None

    def to_json(self) -> JSON:
        body: JSON = {
            "ErrorEquals": list(self.error_equals),
            "IntervalSeconds": self.interval_seconds,
            "MaxAttempts": self.max_attempts,
            "BackoffRate": self.backoff_rate,
        }
        if self.jitter_strategy is not None:
            body["JitterStrategy"] = self.jitter_strategy
        if self.max_delay_seconds is not None:
            body["MaxDelaySeconds"] = self.max_delay_seconds
        return body


@dataclass(frozen=True)
class Catcher:
    """One ``Catch`` entry: on these errors, go to ``next`` (the error lands at ``result_path``)."""

    error_equals: tuple[str, ...]
    next: str
    result_path: str | None = KEEP_INPUT

    def to_json(self) -> JSON:
        body: JSON = {"ErrorEquals": list(self.error_equals), "Next": self.next}
        if self.result_path != _DEFAULT_PATH:
            body["ResultPath"] = self.result_path
        return body


# -- Choice conditions -------------------------------------------------------------------------


class Condition:
    """A test on the state input, used by a ``Choice`` rule."""

    def to_json(self) -> JSON:
        raise NotImplementedError


@dataclass(frozen=True)
class IsPresent(Condition):
    """``{"Variable": path, "IsPresent": value}``."""

    variable: str
    value: bool = True

    def to_json(self) -> JSON:
        return {"Variable": self.variable, "IsPresent": self.value}


@dataclass(frozen=True)
class BooleanEquals(Condition):
    """``{"Variable": path, "BooleanEquals": value}``."""

    variable: str
    value: bool

    def to_json(self) -> JSON:
        return {"Variable": self.variable, "BooleanEquals": self.value}


@dataclass(frozen=True)
class StringEquals(Condition):
    """``{"Variable": path, "StringEquals": value}``."""

    variable: str
    value: str

    def to_json(self) -> JSON:
        return {"Variable": self.variable, "StringEquals": self.value}


@dataclass(frozen=True)
class Not(Condition):
    """The negation of a condition."""

    condition: Condition

    def to_json(self) -> JSON:
        return {"Not": self.condition.to_json()}


@dataclass(frozen=True)
class And(Condition):
    """Every condition holds."""

    conditions: tuple[Condition, ...]

    def to_json(self) -> JSON:
        return {"And": [c.to_json() for c in self.conditions]}


@dataclass(frozen=True)
class Or(Condition):
    """At least one condition holds."""

    conditions: tuple[Condition, ...]

    def to_json(self) -> JSON:
        return {"Or": [c.to_json() for c in self.conditions]}


@dataclass(frozen=True)
class ChoiceRule:
    """A top-level ``Choices`` entry: when ``condition`` holds, go to ``next``."""

    condition: Condition
    next: str

    def to_json(self) -> JSON:
        return {**self.condition.to_json(), "Next": self.next}


# -- states ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """Base of every state: a name, an optional comment, input/output filters."""

    name: str

    def type_name(self) -> str:
        return type(self).__name__

    def body(self) -> JSON:
        """The state's fields besides ``Type``."""
        return {}

    def to_json(self) -> JSON:
        return {"Type": self.type_name(), **self.body()}

    def targets(self) -> list[str]:
        """Every state name this state can transition to (in its own scope)."""
        return []

    def children(self) -> Sequence[Branch]:
        """Nested scopes (Parallel branches, Map processors)."""
        return ()


def _transition(next_: str | None, end: bool) -> JSON:
    if (next_ is None) == (not end):
        raise CompileError(
            f"a state needs exactly one of Next and End (got Next={next_!r}, End={end})"
        )
    return {"Next": next_} if next_ is not None else {"End": True}


def _paths(
    input_path: str | None,
    output_path: str | None,
    result_path: str | None,
    result_selector: JSON | None,
) -> JSON:
    body: JSON = {}
    if input_path != _DEFAULT_PATH:
        body["InputPath"] = input_path
    if output_path != _DEFAULT_PATH:
        body["OutputPath"] = output_path
    if result_path != _DEFAULT_PATH:
        body["ResultPath"] = result_path
    if result_selector is not None:
        body["ResultSelector"] = result_selector
    return body


@dataclass(frozen=True)
class Task(State):
    """A ``Task`` state: call a resource (a Lambda function, a service integration)."""

    resource: str = ""
    parameters: JSON | None = None
    next: str | None = None
    end: bool = False
    result_path: str | None = KEEP_INPUT
    result_selector: JSON | None = None
    output_path: str | None = KEEP_INPUT
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    timeout_seconds: int | None = None
    heartbeat_seconds: int | None = None
    comment: str | None = None

    def body(self) -> JSON:
        body: JSON = {"Resource": self.resource}
        if self.parameters is not None:
            body["Parameters"] = self.parameters
        body.update(_paths(KEEP_INPUT, self.output_path, self.result_path, self.result_selector))
        if self.retry:
            body["Retry"] = [r.to_json() for r in self.retry]
        if self.catch:
            body["Catch"] = [c.to_json() for c in self.catch]
        if self.timeout_seconds is not None:
            body["TimeoutSeconds"] = self.timeout_seconds
        if self.heartbeat_seconds is not None:
            body["HeartbeatSeconds"] = self.heartbeat_seconds
        if self.comment:
            body["Comment"] = self.comment
        body.update(_transition(self.next, self.end))
        return body

    def targets(self) -> list[str]:
        return [t for t in [self.next, *(c.next for c in self.catch)] if t is not None]


@dataclass(frozen=True)
class Pass(State):
    """A ``Pass`` state: inject a fixed ``result`` (or pass the input on)."""

    next: str | None = None
    end: bool = False
    result: Any = NO_RESULT
    result_path: str | None = KEEP_INPUT
    output_path: str | None = KEEP_INPUT
    parameters: JSON | None = None
    comment: str | None = None

    def body(self) -> JSON:
        body: JSON = {}
        if self.result is not NO_RESULT:
            body["Result"] = self.result
        if self.parameters is not None:
            body["Parameters"] = self.parameters
        body.update(_paths(KEEP_INPUT, self.output_path, self.result_path, None))
        if self.comment:
            body["Comment"] = self.comment
        body.update(_transition(self.next, self.end))
        return body

    def targets(self) -> list[str]:
        return [self.next] if self.next is not None else []


@dataclass(frozen=True)
class Choice(State):
    """A ``Choice`` state: the first rule that holds picks the next state, else ``default``."""

    choices: tuple[ChoiceRule, ...] = ()
    default: str | None = None
    comment: str | None = None

    def body(self) -> JSON:
        if not self.choices:
            raise CompileError(f"Choice state '{self.name}' has no rules")
        body: JSON = {"Choices": [rule.to_json() for rule in self.choices]}
        if self.default is not None:
            body["Default"] = self.default
        if self.comment:
            body["Comment"] = self.comment
        return body

    def targets(self) -> list[str]:
        return [rule.next for rule in self.choices] + ([self.default] if self.default else [])


@dataclass(frozen=True)
class Succeed(State):
    """A ``Succeed`` state: end the execution (or the branch) successfully."""

    output_path: str | None = KEEP_INPUT
    comment: str | None = None

    def body(self) -> JSON:
        body = _paths(KEEP_INPUT, self.output_path, KEEP_INPUT, None)
        if self.comment:
            body["Comment"] = self.comment
        return body


@dataclass(frozen=True)
class Fail(State):
    """A ``Fail`` state: end the execution with ``error`` and ``cause``."""

    error: str = "Failed"
    cause: str | None = None

    def body(self) -> JSON:
        body: JSON = {"Error": self.error}
        if self.cause:
            body["Cause"] = self.cause
        return body


@dataclass(frozen=True)
class Branch:
    """A scope of states (a Parallel branch, a Map processor, or a whole machine)."""

    start_at: str
    states: tuple[State, ...]

    def to_json(self) -> JSON:
        return {"StartAt": self.start_at, "States": {s.name: s.to_json() for s in self.states}}

    def walk(self) -> Iterator[State]:
        """Every state of this scope and of the scopes nested in it."""
        for state in self.states:
            yield state
            for child in state.children():
                yield from child.walk()


@dataclass(frozen=True)
class Parallel(State):
    """A ``Parallel`` state: run every branch on the same input, wait for all of them."""

    branches: tuple[Branch, ...] = ()
    next: str | None = None
    end: bool = False
    result_path: str | None = KEEP_INPUT
    result_selector: JSON | None = None
    output_path: str | None = KEEP_INPUT
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    comment: str | None = None

    def body(self) -> JSON:
        body: JSON = {"Branches": [b.to_json() for b in self.branches]}
        body.update(_paths(KEEP_INPUT, self.output_path, self.result_path, self.result_selector))
        if self.retry:
            body["Retry"] = [r.to_json() for r in self.retry]
        if self.catch:
            body["Catch"] = [c.to_json() for c in self.catch]
        if self.comment:
            body["Comment"] = self.comment
        body.update(_transition(self.next, self.end))
        return body

    def targets(self) -> list[str]:
        return [t for t in [self.next, *(c.next for c in self.catch)] if t is not None]

    def children(self) -> Sequence[Branch]:
        return self.branches


@dataclass(frozen=True)
class Map(State):
    """A ``Map`` state: run ``processor`` for each item (inline, or distributed child executions)."""

    processor: Branch | None = None
    mode: Literal["INLINE", "DISTRIBUTED"] = "INLINE"
    execution_type: Literal["STANDARD", "EXPRESS"] | None = None
    items_path: str | None = None
    item_selector: JSON | None = None
    item_reader: JSON | None = None
    result_writer: JSON | None = None
    label: str | None = None
    max_concurrency: int | None = None
    tolerated_failure_percentage: float | None = None
    next: str | None = None
    end: bool = False
    result_path: str | None = KEEP_INPUT
    result_selector: JSON | None = None
    catch: tuple[Catcher, ...] = ()
    comment: str | None = None

    def body(self) -> JSON:
        if self.processor is None:
            raise CompileError(f"Map state '{self.name}' has no item processor")
        config: JSON = {"Mode": self.mode}
        if self.execution_type is not None:
            config["ExecutionType"] = self.execution_type
        body: JSON = {"ItemProcessor": {"ProcessorConfig": config, **self.processor.to_json()}}
        if self.items_path is not None:
            body["ItemsPath"] = self.items_path
        if self.item_selector is not None:
            body["ItemSelector"] = self.item_selector
        if self.item_reader is not None:
            body["ItemReader"] = self.item_reader
        if self.result_writer is not None:
            body["ResultWriter"] = self.result_writer
        if self.label is not None:
            body["Label"] = self.label
        if self.max_concurrency is not None:
            body["MaxConcurrency"] = self.max_concurrency
        if self.tolerated_failure_percentage is not None:
            body["ToleratedFailurePercentage"] = self.tolerated_failure_percentage
        body.update(_paths(KEEP_INPUT, KEEP_INPUT, self.result_path, self.result_selector))
        if self.catch:
            body["Catch"] = [c.to_json() for c in self.catch]
        if self.comment:
            body["Comment"] = self.comment
        body.update(_transition(self.next, self.end))
        return body

    def targets(self) -> list[str]:
        return [t for t in [self.next, *(c.next for c in self.catch)] if t is not None]

    def children(self) -> Sequence[Branch]:
        return (self.processor,) if self.processor is not None else ()


@dataclass(frozen=True)
class StateMachine:
    """A whole state machine definition.

    :meth:`validate` checks what Step Functions would reject at deploy time:
    duplicate or illegal state names and transitions to unknown states.
    """

    start_at: str
    states: tuple[State, ...]
    comment: str | None = None
    timeout_seconds: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Branch:
        """The top-level scope."""
        return Branch(self.start_at, self.states)

    def to_dict(self) -> JSON:
        """The definition as a JSON-ready dict."""
        body: JSON = {**self.root.to_json()}
        if self.comment:
            body["Comment"] = self.comment
        if self.timeout_seconds is not None:
            body["TimeoutSeconds"] = self.timeout_seconds
        body.update(self.extra)
        return body

    def to_json(self, *, indent: int | None = 2) -> str:
        """Deterministic JSON text (sorted keys); ``indent=None`` for the compact form."""
        separators = (",", ":") if indent is None else (",", ": ")
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent, separators=separators)

    def validate(self) -> None:
        """Raise :class:`CompileError` for anything Step Functions would reject structurally."""
        seen: set[str] = set()
        for state in self.root.walk():
            if not is_legal_name(state.name):
                raise CompileError(
                    f"illegal state name {state.name!r} (<= 80 chars, no spaces or special characters)"
                )
            if state.name in seen:
                raise CompileError(f"state name {state.name!r} is used twice")
            seen.add(state.name)
        _check_scope(self.root)


def _check_scope(scope: Branch) -> None:
    names = {s.name for s in scope.states}
    if scope.start_at not in names:
        raise CompileError(f"StartAt {scope.start_at!r} is not a state of its scope")
    for state in scope.states:
        for target in state.targets():
            if target not in names:
                raise CompileError(
                    f"state {state.name!r} goes to {target!r}, which is not in its scope"
                )
        for child in state.children():
            _check_scope(child)
