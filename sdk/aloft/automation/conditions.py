"""Declarative automation: ``AutomationCondition`` and ``FreshnessPolicy`` on assets.

Attach them with ``@asset(automation_condition=..., freshness_policy=...)``; the
evaluator (``aloft.automation.evaluator``) decides which assets to run:

- ``AutomationCondition.eager()``: when an upstream updates (and none is
  missing or running), run the asset; a missing asset runs once its upstreams exist;
- ``AutomationCondition.on_cron(cron)``: after each cron tick, run the asset
  once all its upstreams have updated since that tick;
- ``AutomationCondition.on_missing()``: run a missing asset (partition) once,
  when its upstreams exist;
- conditions combine with ``|`` (any of them);
- ``FreshnessPolicy(maximum_lag_minutes, cron_schedule=None)``: the asset's data
  must never be older than the lag (or, with a cron, be that fresh by every
  tick); when it is not, run it together with its stale upstreams.

Example:
    >>> from aloft import asset
    >>> @asset(automation_condition=AutomationCondition.eager(),
    ...        freshness_policy=FreshnessPolicy(maximum_lag_minutes=60))
    ... def revenue() -> int:
    ...     return 1
    >>> revenue.automation_condition.label, revenue.freshness_policy.maximum_lag_minutes
    ('eager', 60.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from aloft.automation.cron import parse_cron, resolve_timezone
from aloft.errors import DefinitionError

__all__ = ["AutomationCondition", "FreshnessPolicy"]

ConditionKind = Literal["eager", "on_cron", "on_missing", "any_of"]


@dataclass(frozen=True)
class AutomationCondition:
    """When an asset should be materialized automatically (build with the static methods).

    Example:
        >>> condition = AutomationCondition.on_cron("0 9 * * 1-5", "Europe/Berlin") | AutomationCondition.on_missing()
        >>> [c.label for c in condition.leaves()]
        ['on_cron(0 9 * * 1-5 Europe/Berlin)', 'on_missing']
    """

    kind: ConditionKind
    cron_schedule: str | None = None
    cron_timezone: str = "UTC"
    operands: tuple[AutomationCondition, ...] = ()

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

    def __or__(self, other: AutomationCondition) -> AutomationCondition:
        if not isinstance(other, AutomationCondition):
            return NotImplemented
        return AutomationCondition("any_of", operands=(*self.leaves(), *other.leaves()))

    def __and__(self, other: object) -> AutomationCondition:
        raise DefinitionError(
            "aloft's AutomationCondition supports eager(), on_cron(), on_missing() and '|' between them; "
            "'&' is not supported yet"
        )

    def __invert__(self) -> AutomationCondition:
        raise DefinitionError("aloft's AutomationCondition does not support '~' yet")

    def leaves(self) -> tuple[AutomationCondition, ...]:
        """The simple conditions this one is made of."""
        return self.operands if self.kind == "any_of" else (self,)

    @property
    def label(self) -> str:
        """How evaluations name the condition."""
        if self.kind == "on_cron":
            return f"on_cron({self.cron_schedule} {self.cron_timezone})"
        if self.kind == "any_of":
            return " | ".join(c.label for c in self.operands)
        return self.kind


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
