"""``RunProgress``: how far each step of a run got, read from the run's step events.

Gates and releases decide with it whether every upstream of a step is done.
A step is *done* when its last terminal event is SUCCEEDED, *blocked* when
it FAILED or was SKIPPED; a step the run does not select counts as done
(its stored output is used).

Example:
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> from aloft.storage.records import StepEvent, StepEventType
    >>> store = InMemoryStateStore()
    >>> store.add_step_event(StepEvent("r1", "a", StepEventType.STARTED))
    >>> store.add_step_event(StepEvent("r1", "a", StepEventType.SUCCEEDED))
    >>> store.add_step_event(StepEvent("r1", "b", StepEventType.STARTED))
    >>> progress = RunProgress.read(store, "r1")
    >>> progress.readiness(["a"], skip={}), progress.readiness(["a", "b"], skip={}), sorted(progress.in_flight)
    ('ready', 'waiting', ['b'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from aloft.storage.base import StateStore
from aloft.storage.records import StepEventType

__all__ = ["TERMINAL", "Readiness", "RunProgress"]

TERMINAL = frozenset({StepEventType.SUCCEEDED, StepEventType.FAILED, StepEventType.SKIPPED})

Readiness = Literal["ready", "waiting", "blocked"]


@dataclass(frozen=True)
class RunProgress:
    """The terminal status of each finished step, and the steps that started but did not finish."""

    terminal: Mapping[str, StepEventType]
    in_flight: frozenset[str]

    @classmethod
    def read(cls, store: StateStore, run_id: str) -> RunProgress:
        """Read a run's events (one Query)."""
        terminal: dict[str, StepEventType] = {}
        started: set[str] = set()
        for event in store.get_step_events(run_id):
            if event.event_type in TERMINAL:
                terminal[event.step_key] = event.event_type
            else:
                started.add(event.step_key)
        return cls(terminal, frozenset(started - set(terminal)))

    def readiness(self, upstream: Iterable[str], skip: Mapping[str, bool]) -> Readiness:
        """``ready`` when every upstream is done, ``blocked`` when one cannot be, else ``waiting``."""
        waiting = False
        for key in upstream:
            if key in skip:
                continue
            status = self.terminal.get(key)
            if status is StepEventType.SUCCEEDED:
                continue
            if status is not None:
                return "blocked"
            waiting = True
        return "waiting" if waiting else "ready"

    def blocker(self, upstream: Iterable[str]) -> str | None:
        """The first upstream that failed or was skipped, if any."""
        for key in upstream:
            status = self.terminal.get(key)
            if status is not None and status is not StepEventType.SUCCEEDED:
                return key
        return None
