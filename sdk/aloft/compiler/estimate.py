"""Estimates checked at compile time: history events, state transitions, invocations, size, cost.

The estimate follows the happy path of one execution (every step selected,
none failing, no retries): it enters each state on that path once. Step
Functions records, per state entered: a Lambda task 5 history events
(entered, scheduled, started, succeeded, exited), a ``.waitForTaskToken``
task 6 (plus "submitted"), a Parallel 4, a Choice, Pass or Succeed 2, a
Fail 1; an execution adds 2 (started, ended). Each state entered is one
billed state transition.

Example:
    >>> from aloft.compiler.asl import Pass, StateMachine, Succeed
    >>> machine = StateMachine("A", (Pass("A", next="B"), Succeed("B")))
    >>> estimate_machine(machine)
    ExecutionEstimate(state_transitions=2, history_events=6, lambda_invocations=0, definition_bytes=80)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aloft.compiler import asl
from aloft.compiler.asl import Branch, State, StateMachine

__all__ = [
    "ASSUMED_ARN_LENGTH",
    "LAMBDA_PRICE_PER_GB_SECOND",
    "LAMBDA_PRICE_PER_REQUEST",
    "STANDARD_PRICE_PER_TRANSITION",
    "ExecutionEstimate",
    "RunCost",
    "estimate_cost",
    "estimate_machine",
]

# Placeholders become ARNs at deploy time; size the definition as if they were this long.
ASSUMED_ARN_LENGTH = 140

# List prices (us-east-1, x86), USD.
STANDARD_PRICE_PER_TRANSITION = 0.025 / 1000
LAMBDA_PRICE_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_PRICE_PER_GB_SECOND = 0.0000166667

_EVENTS = {"Choice": 2, "Pass": 2, "Succeed": 2, "Fail": 1, "Parallel": 4, "Map": 4, "Wait": 2}


@dataclass(frozen=True)
class ExecutionEstimate:
    """What one execution of a state machine costs on its happy path."""

    state_transitions: int
    history_events: int
    lambda_invocations: int
    definition_bytes: int

    def to_json(self) -> dict[str, int]:
        return {
            "state_transitions": self.state_transitions,
            "history_events": self.history_events,
            "lambda_invocations": self.lambda_invocations,
            "definition_bytes": self.definition_bytes,
        }


def _walk(scope: Branch, totals: list[int]) -> None:
    by_name = {state.name: state for state in scope.states}
    name: str | None = scope.start_at
    while name is not None:
        state: State = by_name[name]
        totals[0] += 1
        if isinstance(state, asl.Task):
            waits = state.resource.endswith(".waitForTaskToken")
            totals[1] += 6 if waits else 5
            if ":lambda:" in state.resource:
                totals[2] += 1
            name = state.next
        elif isinstance(state, asl.Choice):
            totals[1] += _EVENTS["Choice"]
            name = state.default
        elif isinstance(state, asl.Parallel | asl.Map):
            totals[1] += _EVENTS[state.type_name()]
            for child in state.children():
                _walk(child, totals)
            name = state.next
        elif isinstance(state, asl.Pass):
            totals[1] += _EVENTS["Pass"]
            name = state.next
        else:
            totals[1] += _EVENTS.get(state.type_name(), 2)
            name = None


def definition_bytes(definition: Mapping[str, Any]) -> int:
    """The size of the deployed definition: compact JSON, placeholders as full ARNs."""
    text = json.dumps(definition, separators=(",", ":"))
    placeholders = text.count("${")
    # each "${Name}" is replaced by an ARN of about ASSUMED_ARN_LENGTH characters
    return len(text.encode()) + placeholders * ASSUMED_ARN_LENGTH


def estimate_machine(
    machine: StateMachine, definition: Mapping[str, Any] | None = None
) -> ExecutionEstimate:
    """Transitions, history events and Lambda invocations of one happy-path execution.

    ``definition`` is ``machine.to_dict()`` when the caller already has it.
    """
    totals = [0, 2, 0]  # transitions, events (execution started + succeeded), invocations
    _walk(machine.root, totals)
    return ExecutionEstimate(
        state_transitions=totals[0],
        history_events=totals[1],
        lambda_invocations=totals[2],
        definition_bytes=definition_bytes(
            definition if definition is not None else machine.to_dict()
        ),
    )


@dataclass(frozen=True)
class RunCost:
    """The list-price cost of one run (Step Functions Standard + Lambda)."""

    state_transitions: int
    lambda_invocations: int
    step_functions_usd: float
    lambda_requests_usd: float
    lambda_compute_usd: float

    @property
    def total_usd(self) -> float:
        """Everything together."""
        return self.step_functions_usd + self.lambda_requests_usd + self.lambda_compute_usd


def estimate_cost(
    state_transitions: int,
    lambda_invocations: int,
    *,
    seconds_per_invocation: float = 1.0,
    memory_mb: int = 1024,
) -> RunCost:
    """The cost of one run at list prices, given how long each Lambda invocation takes.

    Example:
        >>> round(estimate_cost(1000, 100).total_usd, 6)
        0.026687
    """
    compute = (
        lambda_invocations
        * seconds_per_invocation
        * (memory_mb / 1024)
        * LAMBDA_PRICE_PER_GB_SECOND
    )
    return RunCost(
        state_transitions=state_transitions,
        lambda_invocations=lambda_invocations,
        step_functions_usd=state_transitions * STANDARD_PRICE_PER_TRANSITION,
        lambda_requests_usd=lambda_invocations * LAMBDA_PRICE_PER_REQUEST,
        lambda_compute_usd=compute,
    )
