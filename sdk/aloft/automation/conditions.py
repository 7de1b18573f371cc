"""Declarative automation: ``AutomationCondition`` and ``FreshnessPolicy`` on assets.

Attach them with ``@asset(automation_condition=..., freshness_policy=...)``; the
evaluator (``aloft.automation.evaluator``) decides which assets to run.

The recommended conditions, as in Dagster:

- ``AutomationCondition.eager()``: when an upstream updates (and none is
  missing or running), run the asset; a missing asset runs once its upstreams exist;
- ``AutomationCondition.on_cron(cron)``: after each cron tick, run the asset
  once all its upstreams have updated since that tick;
- ``AutomationCondition.on_missing()``: run a missing asset (partition) once,
  when its upstreams exist.

They combine with ``&`` (all), ``|`` (any) and ``~`` (not), together with
Dagster's operands: ``missing()``, ``in_progress()``, ``execution_failed()``,
``newly_updated()``, ``newly_requested()``, ``initial_evaluation()``,
``in_latest_time_window()``, ``cron_tick_passed(cron)``, ``any_deps_updated()``,
``any_deps_missing()``, ``any_deps_in_progress()``; ``with_label`` names a
condition in evaluation records.

``FreshnessPolicy(maximum_lag_minutes, cron_schedule=None)``: the asset's data
must never be older than the lag (or, with a cron, be that fresh by every
tick); when it is not, run it together with its stale upstreams.

Example:
    >>> from aloft import asset
    >>> @asset(automation_condition=AutomationCondition.eager() & ~AutomationCondition.execution_failed(),
    ...        freshness_policy=FreshnessPolicy(maximum_lag_minutes=60))
    ... def revenue() -> int:
    ...     return 1
    >>> revenue.automation_condition.label, revenue.freshness_policy.maximum_lag_minutes
    ('eager & ~execution_failed', 60.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from aloft.automation.cron import parse_cron, resolve_timezone
from aloft.errors import DefinitionError

__all__ = ["AutomationCondition", "FreshnessPolicy"]

ConditionKind = Literal[
    # the recommended conditions: they keep state so that one trigger asks for one run
    "eager",
    "on_cron",
    "on_missing",
    # operands: facts about the asset partition (or its upstreams) at evaluation time
    "missing",
    "in_progress",
    "execution_failed",
    "newly_updated",
    "newly_requested",
    "initial_evaluation",
    "in_latest_time_window",
    "cron_tick_passed",
    "any_deps_updated",
    "any_deps_missing",
    "any_deps_in_progress",
    # operators
    "any_of",
    "all_of",
    "not",
]
OPERATORS: frozenset[str] = frozenset({"any_of", "all_of", "not"})
_SYMBOLS = {"any_of": " | ", "all_of": " & "}


@dataclass(frozen=True)
class AutomationCondition:
    """When an asset should be materialized automatically (build with the static methods and ``& | ~``).

    Example:
        >>> condition = AutomationCondition.on_cron("0 9 * * 1-5", "Europe/Berlin") | AutomationCondition.on_missing()
        >>> [c.label for c in condition.leaves()]
        ['on_cron(0 9 * * 1-5 Europe/Berlin)', 'on_missing']
        >>> (AutomationCondition.eager() & ~AutomationCondition.any_deps_in_progress()).label
        'eager & ~any_deps_in_progress'
    """

    kind: ConditionKind
    cron_schedule: str | None = None
    cron_timezone: str = "UTC"
    operands: tuple[AutomationCondition, ...] = ()
    name: str | None = None

    # -- the recommended conditions ------------------------------------------------------------
    @staticmethod
    def eager() -> AutomationCondition:
        """Run after any upstream updates; run when missing once upstreams exist."""
        return AutomationCondition("eager")

    @staticmethod
    def on_cron(cron_schedule: str, cron_timezone: str = "UTC") -> AutomationCondition:
        """Run once per cron tick, after every upstream has updated since the tick.

        Example:
            >>> AutomationCondition.on_cron("@daily").cron_schedule
            '@daily'
        """
        parse_cron(cron_schedule)
        resolve_timezone(cron_timezone, owner="AutomationCondition.on_cron")
        return AutomationCondition("on_cron", cron_schedule=cron_schedule, cron_timezone=cron_timezone)

    @staticmethod
    def on_missing() -> AutomationCondition:
        """Run a missing asset (or partition) once, when its upstreams exist."""
        return AutomationCondition("on_missing")

    # -- operands --------------------------------------------------------------------------------
    @staticmethod
    def missing() -> AutomationCondition:
        """True when the asset partition has never been materialized."""
        return AutomationCondition("missing")

    @staticmethod
    def in_progress() -> AutomationCondition:
        """True when a QUEUED or STARTED run materializes the asset partition."""
        return AutomationCondition("in_progress")

    @staticmethod
    def execution_failed() -> AutomationCondition:
        """True when the latest run that targeted the asset partition failed without materializing it."""
        return AutomationCondition("execution_failed")

    @staticmethod
    def newly_updated() -> AutomationCondition:
        """True when the asset partition was materialized since its previous evaluation."""
        return AutomationCondition("newly_updated")

    @staticmethod
    def newly_requested() -> AutomationCondition:
        """True when the previous evaluation requested the asset partition."""
        return AutomationCondition("newly_requested")

    @staticmethod
    def initial_evaluation() -> AutomationCondition:
        """True the first time the asset partition is evaluated."""
        return AutomationCondition("initial_evaluation")

    @staticmethod
    def in_latest_time_window() -> AutomationCondition:
        """True for unpartitioned assets, non-time partitions, and the latest time window."""
        return AutomationCondition("in_latest_time_window")

    @staticmethod
    def cron_tick_passed(cron_schedule: str, cron_timezone: str = "UTC") -> AutomationCondition:
        """True when a tick of the cron passed since the asset partition's previous evaluation.

        Example:
            >>> AutomationCondition.cron_tick_passed("0 * * * *").label
            'cron_tick_passed(0 * * * * UTC)'
        """
        parse_cron(cron_schedule)
        resolve_timezone(cron_timezone, owner="AutomationCondition.cron_tick_passed")
        return AutomationCondition("cron_tick_passed", cron_schedule=cron_schedule, cron_timezone=cron_timezone)

    @staticmethod
    def any_deps_updated() -> AutomationCondition:
        """True when an upstream updated since the previous evaluation, or is requested in this one."""
        return AutomationCondition("any_deps_updated")

    @staticmethod
    def any_deps_missing() -> AutomationCondition:
        """True when an upstream is missing and not requested in this evaluation."""
        return AutomationCondition("any_deps_missing")

    @staticmethod
    def any_deps_in_progress() -> AutomationCondition:
        """True when a run in progress materializes an upstream."""
        return AutomationCondition("any_deps_in_progress")

    # -- operators -------------------------------------------------------------------------------
    def _flat(self, kind: str) -> tuple[AutomationCondition, ...]:
        # Unlabeled a | (b | c) is a | b | c (Dagster consolidates the same way).
        return self.operands if self.kind == kind and self.name is None else (self,)

    def __or__(self, other: AutomationCondition) -> AutomationCondition:
        if not isinstance(other, AutomationCondition):
            return NotImplemented
        return AutomationCondition("any_of", operands=(*self._flat("any_of"), *other._flat("any_of")))

    def __and__(self, other: AutomationCondition) -> AutomationCondition:
        if not isinstance(other, AutomationCondition):
            return NotImplemented
        return AutomationCondition("all_of", operands=(*self._flat("all_of"), *other._flat("all_of")))

    def __invert__(self) -> AutomationCondition:
        return AutomationCondition("not", operands=(self,))

    def with_label(self, label: str | None) -> AutomationCondition:
        """The same condition, named ``label`` in evaluation records.

        Example:
            >>> (AutomationCondition.missing() & ~AutomationCondition.in_progress()).with_label("backfill_me").label
            'backfill_me'
        """
        if label is not None and (not isinstance(label, str) or not label.strip()):
            raise DefinitionError(f"AutomationCondition.with_label needs a non-empty string, got {label!r}")
        return AutomationCondition(self.kind, self.cron_schedule, self.cron_timezone, self.operands, label)

    @property
    def is_operator(self) -> bool:
        """Whether this is ``&``, ``|`` or ``~`` over other conditions."""
        return self.kind in OPERATORS

    def leaves(self) -> tuple[AutomationCondition, ...]:
        """The conditions that are not operators, left to right.

        Example:
            >>> [c.kind for c in (AutomationCondition.eager() & ~AutomationCondition.missing()).leaves()]
            ['eager', 'missing']
        """
        if not self.is_operator:
            return (self,)
        return tuple(leaf for operand in self.operands for leaf in operand.leaves())

    @property
    def label(self) -> str:
        """How evaluations name the condition."""
        if self.name is not None:
            return self.name
        if self.kind in ("on_cron", "cron_tick_passed"):
            return f"{self.kind}({self.cron_schedule} {self.cron_timezone})"
        if self.kind == "not":
            return f"~{self.operands[0]._operand_label()}"
        if self.kind in _SYMBOLS:
            return _SYMBOLS[self.kind].join(o._operand_label() for o in self.operands)
        return self.kind

    def _operand_label(self) -> str:
        composite = self.name is None and self.kind in _SYMBOLS
        return f"({self.label})" if composite else self.label


@dataclass(frozen=True, init=False)
class FreshnessPolicy:
    """How old an asset's data may get: ``maximum_lag_minutes``, optionally by each tick of a cron.

    The data time of an asset is the oldest materialization among the asset and
    its upstreams (what its current value was computed from).

    Example:
        >>> FreshnessPolicy(maximum_lag_minutes=30, cron_schedule="0 9 * * *").lag
        datetime.timedelta(seconds=1800)
    """

    maximum_lag_minutes: float
    cron_schedule: str | None
    cron_schedule_timezone: str

    def __init__(
        self,
        maximum_lag_minutes: float,
        cron_schedule: str | None = None,
        cron_schedule_timezone: str | None = None,
    ) -> None:
        if isinstance(maximum_lag_minutes, bool) or not isinstance(maximum_lag_minutes, (int, float)):
            raise DefinitionError(f"FreshnessPolicy maximum_lag_minutes must be a number, got {maximum_lag_minutes!r}")
        if maximum_lag_minutes < 0:
            raise DefinitionError(f"FreshnessPolicy maximum_lag_minutes must be >= 0, got {maximum_lag_minutes}")
        if cron_schedule is not None:
            parse_cron(cron_schedule)
        timezone = cron_schedule_timezone or "UTC"
        resolve_timezone(timezone, owner="FreshnessPolicy")
        object.__setattr__(self, "maximum_lag_minutes", float(maximum_lag_minutes))
        object.__setattr__(self, "cron_schedule", cron_schedule)
        object.__setattr__(self, "cron_schedule_timezone", timezone)

    @property
    def lag(self) -> timedelta:
        """``maximum_lag_minutes`` as a ``timedelta``."""
        return timedelta(minutes=self.maximum_lag_minutes)

    @property
    def label(self) -> str:
        """How evaluations name the policy."""
        lag = f"{self.maximum_lag_minutes:g} min"
        return f"freshness({lag} by {self.cron_schedule} {self.cron_schedule_timezone})" if self.cron_schedule else f"freshness({lag})"
