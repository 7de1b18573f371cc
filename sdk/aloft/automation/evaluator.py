"""The declarative automation evaluator: which assets to run now, and why.

``evaluate_automation`` is pure given a snapshot of the store: it reads the
latest materializations and the runs in progress, evaluates every asset's
``AutomationCondition`` and ``FreshnessPolicy`` in topological order, and
returns one ``AssetEvaluation`` per asset (partition) with its reason, plus
the run requests (one per partition, every requested asset in one run).

``run_automation_tick`` adds the effects: it launches the requests, remembers
what it requested (the ``automation`` cursor), and records the evaluation as
ticks. It runs when a materialization is recorded (``updated=`` the new keys:
only their downstream assets are evaluated; DynamoDB Streams -> the
``automation`` Lambda in the cloud, after each run locally) and periodically
(cron and freshness conditions).

Guarantees: an asset (partition) that a QUEUED or STARTED run materializes is
never requested again until that run ends; a request is made at most once for
one trigger (the upstream update, the cron tick, the freshness deadline), so a
failed run is not retried in a loop.

Example:
    >>> from aloft import Definitions, asset
    >>> from aloft.automation.conditions import AutomationCondition
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> @asset
    ... def raw() -> int:
    ...     return 1
    >>> @asset(automation_condition=AutomationCondition.eager())
    ... def clean(raw: int) -> int:
    ...     return raw
    >>> decision = evaluate_automation(Definitions(assets=[raw, clean]), InMemoryStateStore(),
    ...                                now=datetime(2024, 1, 1, tzinfo=UTC), state=AutomationState())
    >>> [(e.asset_key.to_user_string(), e.requested, e.reason) for e in decision.evaluations]
    [('clean', False, "waiting for upstream 'raw' (never materialized)")]
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aloft.automation.conditions import AutomationCondition, FreshnessPolicy
from aloft.automation.cron import next_ticks, previous_tick
from aloft.automation.launcher import LaunchResult, RunLauncher
from aloft.automation.run_request import RunRequest
from aloft.automation.sensor import read_versioned_cursor, write_versioned_cursor
from aloft.automation.tick import submit_run_requests
from aloft.definitions.asset_key import AssetKey
from aloft.definitions.definitions import IMPLICIT_JOB_NAME, Definitions
from aloft.errors import AloftError
from aloft.storage.base import StateStore
from aloft.storage.records import RunRecord, RunStatus, RunTrigger, TickRecord, TickStatus

__all__ = [
    "AUTOMATION_CURSOR",
    "AssetEvaluation",
    "ConditionResult",
    "AutomationDecision",
    "AutomationState",
    "AutomationTickResult",
    "automated_assets",
    "evaluate_automation",
    "run_automation_tick",
]

_log = logging.getLogger("aloft.automation.evaluator")
AUTOMATION_CURSOR = "automation"
_STATE_VERSION = 1
# Partitions evaluated per asset for static/dynamic partitions (time windows: the latest one).
_MAX_PARTITIONS = 100
# Runs examined to find what is in progress.
_RUNS_IN_PROGRESS_LIMIT = 500
TAG_AUTOMATION = "aloft/automation"


def _ident(key: AssetKey, partition: str | None) -> str:
    return key.to_user_string() if partition is None else f"{key.to_user_string()}|{partition}"


def _show(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class ConditionResult:
    """How one node of an ``AutomationCondition`` evaluated for one asset partition, with its operands.

    ``trigger`` identifies what made a true node true (an upstream
    materialization, a cron tick, a failed run...): requests hash it into their
    run key, so the same trigger never launches twice.

    Example:
        >>> leaf = ConditionResult("missing", "missing", True, "never materialized", trigger="missing")
        >>> print(ConditionResult("~missing", "not", False, children=(leaf,)).render())
        [ ] ~missing
          [x] missing: never materialized
    """

    label: str
    kind: str
    true: bool
    detail: str = ""
    trigger: str | None = None
    children: tuple[ConditionResult, ...] = ()

    def lines(self, depth: int = 0) -> list[str]:
        """The tree, one node per line, operands indented under their operator."""
        text = f"{'  ' * depth}[{'x' if self.true else ' '}] {self.label}"
        if self.detail:
            text += f": {self.detail}"
        return [text, *(line for child in self.children for line in child.lines(depth + 1))]

    def render(self) -> str:
        """``lines()`` joined."""
        return "\n".join(self.lines())

    def summary(self) -> str:
        """The part of the tree that decided the result, in one line."""
        if not self.children:
            return f"{self.label}: {self.detail}" if self.detail else self.label
        if self.kind == "not":
            child = self.children[0]
            return f"not {child.label}" if self.true else child.summary()
        if self.kind == "all_of":
            if not self.true:
                return next(c for c in self.children if not c.true).summary()
            decisive = [c.summary() for c in self.children if c.trigger] or [self.children[0].summary()]
            return "; ".join(decisive)
        if self.true:
            return next(c for c in self.children if c.true).summary()
        return "none of: " + "; ".join(c.summary() for c in self.children)

    def because(self) -> tuple[str, ...]:
        """The kinds of the conditions that made this node true (not counting negated ones)."""
        if not self.true or self.kind == "not":
            return ()
        if not self.children:
            return (self.kind,)
        return tuple(kind for child in self.children for kind in child.because())


@dataclass(frozen=True)
class AssetEvaluation:
    """The decision for one asset (partition): requested or not, and why.

    ``bundle`` lists the assets requested with it (a freshness refresh brings its
    stale upstreams); ``trigger`` identifies what caused the request; ``tree``
    is the evaluation of every node of a combined condition (``& | ~``).
    """

    asset_key: AssetKey
    partition_key: str | None
    condition: str
    requested: bool
    reason: str
    trigger: str | None = None
    bundle: tuple[AssetKey, ...] = ()
    tree: ConditionResult | None = None
    because: tuple[str, ...] = ()

    @property
    def ident(self) -> str:
        """``asset`` or ``asset|partition``."""
        return _ident(self.asset_key, self.partition_key)

    @property
    def line(self) -> str:
        """``condition: reason`` in one line (what ``aloft automation status`` lists)."""
        return f"{self.condition}: {self.reason}"

    def explain(self) -> str:
        """The line, and under it the evaluation tree of a combined condition."""
        if self.tree is None or not self.tree.children:
            return self.line
        return f"{self.line}\n{self.tree.render()}"


@dataclass
class AutomationState:
    """What the evaluator remembers between evaluations (stored as the ``automation`` cursor).

    ``evaluated`` is when each asset partition was last evaluated (what
    ``newly_updated``, ``any_deps_updated`` and ``cron_tick_passed`` compare with).

    Example:
        >>> state = AutomationState(last_evaluation=5.0, requested={"a": 4.0})
        >>> AutomationState.from_cursor(state.to_cursor()).requested
        {'a': 4.0}
    """

    last_evaluation: float | None = None
    requested: dict[str, float] = field(default_factory=dict)
    cron_done: dict[str, str] = field(default_factory=dict)
    cron_pending: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    evaluated: dict[str, float] = field(default_factory=dict)

    def to_cursor(self) -> str:
        """The versioned JSON cursor."""
        return write_versioned_cursor(
            _STATE_VERSION,
            t=self.last_evaluation,
            requested=self.requested,
            cron_done=self.cron_done,
            cron_pending=self.cron_pending,
            reasons=self.reasons,
            evaluated=self.evaluated,
        )

    @staticmethod
    def from_cursor(cursor: str | None) -> AutomationState:
        """Read the cursor (``CursorError`` for one this version cannot read)."""
        data = read_versioned_cursor(
            cursor, _STATE_VERSION, owner=f"sensor '{AUTOMATION_CURSOR}'", required=["t", "requested"]
        )
        if data is None:
            return AutomationState()
        return AutomationState(
            last_evaluation=data["t"],
            requested={str(k): float(v) for k, v in dict(data["requested"]).items()},
            cron_done={str(k): str(v) for k, v in dict(data.get("cron_done", {})).items()},
            cron_pending={str(k): str(v) for k, v in dict(data.get("cron_pending", {})).items()},
            reasons={str(k): str(v) for k, v in dict(data.get("reasons", {})).items()},
            evaluated={str(k): float(v) for k, v in dict(data.get("evaluated", {})).items()},
        )

    def copy(self) -> AutomationState:
        """An independent copy (evaluations work on a copy; the tick stores it)."""
        return AutomationState(
            last_evaluation=self.last_evaluation,
            requested=dict(self.requested),
            cron_done=dict(self.cron_done),
            cron_pending=dict(self.cron_pending),
            reasons=dict(self.reasons),
            evaluated=dict(self.evaluated),
        )


@dataclass(frozen=True)
class AutomationDecision:
    """Every evaluation, the run requests they add up to, and the state to store after launching."""

    evaluations: tuple[AssetEvaluation, ...]
    run_requests: tuple[RunRequest, ...]
    state: AutomationState

    @property
    def requested(self) -> tuple[AssetEvaluation, ...]:
        """The evaluations that asked for a run."""
        return tuple(e for e in self.evaluations if e.requested)


class _Snapshot:
    """What the evaluator reads from the store, read once per evaluation."""

    def __init__(self, defs: Definitions, store: StateStore) -> None:
        self.graph = defs.get_asset_graph()
        self.store = store
        keys = sorted(self.graph.materializable_keys)
        self.latest = {k: r.timestamp for k, r in store.latest_materializations(keys).items()}
        self._partition_cache: dict[tuple[AssetKey, str], float | None] = {}
        self.running: dict[tuple[str, str | None], str] = {}
        for status in (RunStatus.QUEUED, RunStatus.STARTED):
            for run in store.list_runs(status=status, limit=_RUNS_IN_PROGRESS_LIMIT):
                for asset in run.selection:
                    self.running.setdefault((asset, run.partition_key), run.run_id)
        self._failed: dict[tuple[str, str | None], RunRecord] | None = None

    def materialized_at(self, key: AssetKey, partition: str | None) -> float | None:
        if partition is None:
            return self.latest.get(key)
        cached = (key, partition)
        if cached not in self._partition_cache:
            record = self.store.latest_materialization(key, partition)
            self._partition_cache[cached] = None if record is None else record.timestamp
        return self._partition_cache[cached]

    def run_in_progress(self, key: AssetKey, partition: str | None) -> str | None:
        name = key.to_user_string()
        return self.running.get((name, partition)) or self.running.get((name, None))

    def failed_run(self, key: AssetKey, partition: str | None) -> RunRecord | None:
        """The newest failed run that targeted the asset partition (read on first use)."""
        if self._failed is None:
            self._failed = {}
            for run in self.store.list_runs(status=RunStatus.FAILURE, limit=_RUNS_IN_PROGRESS_LIMIT):
                for asset in run.selection:
                    self._failed.setdefault((asset, run.partition_key), run)
        return self._failed.get((key.to_user_string(), partition))

    def newest_window(self, key: AssetKey, partitions_def: Any) -> str | None:
        """The materialized partition of a time-partitioned asset whose window ends last."""
        known = []
        for partition in self.store.partition_status_records(key):
            try:
                known.append((partitions_def.end_time_for_partition_key(partition), partition))
            except AloftError:  # a key of an older partitions definition
                continue
        for _, partition in sorted(known, reverse=True):
            if self.materialized_at(key, partition) is not None:
                return str(partition)
        return None


def _is_time_window(partitions_def: Any) -> bool:
    return partitions_def is not None and hasattr(partitions_def, "end_time_for_partition_key")


class _Evaluator:
    def __init__(
        self, defs: Definitions, snapshot: _Snapshot, state: AutomationState, now: datetime
    ) -> None:
        self.defs = defs
        self.graph = snapshot.graph
        self.snap = snapshot
        self.state = state
        self.previous = dict(state.evaluated)
        self.now = now
        self.now_ts = now.timestamp()
        # Requested earlier in this evaluation (upstreams first) -> what triggered them.
        self.requested_now: dict[tuple[AssetKey, str | None], str] = {}
        # on_cron ticks seen true while evaluating one condition: handled if the asset is requested.
        self.cron_seen: list[tuple[str, str]] = []

    # -- helpers ---------------------------------------------------------------------------
    def partitions_of(self, key: AssetKey) -> list[str | None]:
        partitions_def = self.graph.get(key).partitions_def
        if partitions_def is None:
            return [None]
        if _is_time_window(partitions_def):
            last = partitions_def.get_last_partition_key(current_time=self.now)
            return [] if last is None else [last]
        keys = partitions_def.get_partition_keys(current_time=self.now, dynamic_partitions_store=self.snap.store)
        return list(keys)[:_MAX_PARTITIONS]

    def upstreams(self, key: AssetKey) -> list[AssetKey]:
        return [u for u in self.graph.upstream(key) if self.graph.has(u) and u in self.graph.materializable_keys]

    def upstream_partition(self, upstream: AssetKey, key: AssetKey, partition: str | None) -> tuple[bool, str | None]:
        """``(supported, the upstream partition a partition reads)``; None for an unpartitioned upstream."""
        upstream_def = self.graph.get(upstream).partitions_def
        if upstream_def is None:
            return True, None
        if partition is not None and upstream_def == self.graph.get(key).partitions_def:
            return True, partition
        return False, None

    def followed_upstreams(self, key: AssetKey, partition: str | None) -> list[tuple[AssetKey, str | None]]:
        """The upstream partitions automation follows (identical partitions, or unpartitioned)."""
        found = []
        for upstream in self.upstreams(key):
            supported, up_partition = self.upstream_partition(upstream, key, partition)
            if supported:
                found.append((upstream, up_partition))
        return found

    def check_upstreams(
        self, key: AssetKey, partition: str | None
    ) -> tuple[str | None, tuple[float, str, str] | None]:
        """A reason to wait (or None), and the newest upstream update ``(time, name, identity)``.

        The identity names the materialization (or the request) so that two
        evaluations of the same update agree on the run key.
        """
        newest: tuple[float, str, str] | None = None
        for upstream in self.upstreams(key):
            supported, up_partition = self.upstream_partition(upstream, key, partition)
            name = upstream.to_user_string()
            if not supported:
                return (
                    f"upstream '{name}' is partitioned differently; automation only follows identical "
                    "partitions", None,
                )
            if (upstream, up_partition) in self.requested_now:
                candidate = (self.now_ts, name, f"{name}<-{self.requested_now[(upstream, up_partition)]}")
            else:
                run_id = self.snap.run_in_progress(upstream, up_partition)
                if run_id is not None:
                    return f"upstream '{name}' is being materialized by run {run_id}", None
                when = self.snap.materialized_at(upstream, up_partition)
                if when is None:
                    return f"waiting for upstream '{name}' (never materialized)", None
                candidate = (when, name, f"{name}@{when}")
            if newest is None or candidate > newest:
                newest = candidate
        return None, newest

    def upstream_stamp(self, key: AssetKey, partition: str | None) -> str:
        """The newest materialization (or request) among the followed upstreams, as an identity."""
        stamps = []
        for upstream, up_partition in self.followed_upstreams(key, partition):
            name = upstream.to_user_string()
            if (upstream, up_partition) in self.requested_now:
                stamps.append((self.now_ts, f"{name}<-{self.requested_now[(upstream, up_partition)]}"))
            else:
                when = self.snap.materialized_at(upstream, up_partition)
                if when is not None:
                    stamps.append((when, f"{name}@{when}"))
        return max(stamps)[1] if stamps else ""

    # -- the recommended conditions ----------------------------------------------------------
    def eager(self, key: AssetKey, partition: str | None) -> AssetEvaluation:
        wait, newest = self.check_upstreams(key, partition)
        ident = _ident(key, partition)
        if wait is not None:
            return AssetEvaluation(key, partition, "eager", False, wait)
        mine = self.snap.materialized_at(key, partition)
        asked = self.state.requested.get(ident)
        if mine is None:
            if asked is not None and (newest is None or newest[0] <= asked):
                return AssetEvaluation(
                    key, partition, "eager", False,
                    f"requested at {_show(asked)} and still missing; waiting for an upstream update to retry",
                )
            return AssetEvaluation(key, partition, "eager", True, "missing, and every upstream exists",
                                   trigger=f"missing:{newest[2] if newest else ''}")
        if newest is None:
            return AssetEvaluation(key, partition, "eager", False, "materialized; it has no upstream to react to")
        if newest[0] > mine and (asked is None or newest[0] > asked):
            when = "in this evaluation" if newest[0] == self.now_ts else f"at {_show(newest[0])}"
            return AssetEvaluation(
                key, partition, "eager", True,
                f"upstream '{newest[1]}' updated {when}, after this asset ({_show(mine)})",
                trigger=f"eager:{newest[2]}",
            )
        if newest[0] > mine and asked is not None:
            return AssetEvaluation(key, partition, "eager", False,
                                   f"requested at {_show(asked)} after the latest upstream update")
        return AssetEvaluation(key, partition, "eager", False, "up to date with its upstreams")

    def on_missing(self, key: AssetKey, partition: str | None) -> AssetEvaluation:
        ident = _ident(key, partition)
        if self.snap.materialized_at(key, partition) is not None:
            return AssetEvaluation(key, partition, "on_missing", False, "materialized")
        wait, _ = self.check_upstreams(key, partition)
        if wait is not None:
            return AssetEvaluation(key, partition, "on_missing", False, wait)
        asked = self.state.requested.get(ident)
        if asked is not None:
            return AssetEvaluation(key, partition, "on_missing", False,
                                   f"requested at {_show(asked)}; on_missing asks once")
        return AssetEvaluation(key, partition, "on_missing", True, "missing, and every upstream exists",
                               trigger="missing")

    def on_cron(self, key: AssetKey, partition: str | None, condition: AutomationCondition) -> AssetEvaluation:
        label = condition.label
        tick = previous_tick(condition.cron_schedule, self.now, timezone=condition.cron_timezone)
        slot = f"{_ident(key, partition)}|{label}"
        if tick is None:
            return AssetEvaluation(key, partition, label, False, "the cron has not ticked yet")
        tick_iso = tick.isoformat()
        if self.state.cron_done.get(slot) == tick_iso:
            return AssetEvaluation(key, partition, label, False, f"already handled the tick at {tick_iso}")
        last = self.state.last_evaluation
        if self.state.cron_pending.get(slot) != tick_iso and (last is None or tick.timestamp() <= last):
            self.state.cron_done[slot] = tick_iso
            why = "automation started after" if last is None else "this condition appeared after"
            return AssetEvaluation(key, partition, label, False, f"{why} the tick at {tick_iso}; waiting for the next")
        mine = self.snap.materialized_at(key, partition)
        if mine is not None and mine >= tick.timestamp():
            self.state.cron_done[slot] = tick_iso
            self.state.cron_pending.pop(slot, None)
            return AssetEvaluation(key, partition, label, False, f"already materialized since the tick at {tick_iso}")
        wait, _ = self.check_upstreams(key, partition)
        if wait is None:
            for upstream in self.upstreams(key):
                supported, up_partition = self.upstream_partition(upstream, key, partition)
                if (upstream, up_partition) in self.requested_now or not supported:
                    continue
                when = self.snap.materialized_at(upstream, up_partition)
                if when is not None and when < tick.timestamp():
                    wait = f"waiting for upstream '{upstream.to_user_string()}' to update after the tick at {tick_iso}"
                    break
        if wait is not None:
            self.state.cron_pending[slot] = tick_iso
            return AssetEvaluation(key, partition, label, False, wait)
        # Handled only if the asset is requested (another operand of an '&' may say no).
        self.cron_seen.append((slot, tick_iso))
        return AssetEvaluation(key, partition, label, True, f"cron tick at {tick_iso}, upstreams updated since",
                               trigger=f"cron:{tick_iso}")

    # -- operands ------------------------------------------------------------------------------
    def operand(self, key: AssetKey, partition: str | None, condition: AutomationCondition) -> ConditionResult:
        kind = condition.kind
        ident = _ident(key, partition)
        previous = self.previous.get(ident)
        mine = self.snap.materialized_at(key, partition)

        def result(true: bool, detail: str, trigger: str | None = None) -> ConditionResult:
            return ConditionResult(condition.label, kind, true, detail, trigger if true else None)

        if kind == "missing":
            if mine is None:
                return result(True, "never materialized", f"missing:{self.upstream_stamp(key, partition)}")
            return result(False, f"materialized at {_show(mine)}")
        if kind == "in_progress":
            run_id = self.snap.run_in_progress(key, partition)
            return result(run_id is not None, f"run {run_id} materializes it" if run_id else "no run in progress")
        if kind == "execution_failed":
            failed = self.snap.failed_run(key, partition)
            if failed is not None and (mine is None or mine < failed.created_at):
                return result(True, f"run {failed.run_id} failed at {_show(failed.ended_at or failed.created_at)}",
                              f"failed:{failed.run_id}")
            return result(False, "its latest run did not fail")
        if kind == "newly_updated":
            if previous is not None and mine is not None and mine > previous:
                return result(True, f"materialized at {_show(mine)}, after the previous evaluation",
                              f"updated:{mine}")
            return result(False, "not materialized since the previous evaluation")
        if kind == "newly_requested":
            asked = self.state.requested.get(ident)
            if previous is not None and asked == previous:
                return result(True, f"requested by the previous evaluation ({_show(asked)})")
            return result(False, "not requested by the previous evaluation")
        if kind == "initial_evaluation":
            if previous is None:
                return result(True, "first evaluation", "initial")
            return result(False, f"evaluated before ({_show(previous)})")
        if kind == "in_latest_time_window":
            partitions_def = self.graph.get(key).partitions_def
            if not _is_time_window(partitions_def):
                return result(True, "not time-partitioned")
            last = partitions_def.get_last_partition_key(current_time=self.now)
            return result(partition == last, f"the latest time window is {last}")
        if kind == "cron_tick_passed":
            tick = previous_tick(condition.cron_schedule, self.now, timezone=condition.cron_timezone)
            if tick is not None and previous is not None and tick.timestamp() > previous:
                return result(True, f"ticked at {tick.isoformat()}", f"cron:{tick.isoformat()}")
            return result(False, "no tick since the previous evaluation")
        return self.deps_operand(key, partition, condition, previous)

    def deps_operand(
        self, key: AssetKey, partition: str | None, condition: AutomationCondition, previous: float | None
    ) -> ConditionResult:
        kind = condition.kind
        matches: list[tuple[str, str]] = []  # (detail, identity)
        for upstream, up_partition in self.followed_upstreams(key, partition):
            name = upstream.to_user_string()
            requested = self.requested_now.get((upstream, up_partition))
            when = self.snap.materialized_at(upstream, up_partition)
            if kind == "any_deps_updated":
                if requested is not None:
                    matches.append((f"'{name}' is requested in this evaluation", f"{name}<-{requested}"))
                elif previous is not None and when is not None and when > previous:
                    matches.append((f"'{name}' updated at {_show(when)}", f"{name}@{when}"))
            elif kind == "any_deps_missing":
                if when is None and requested is None:
                    matches.append((f"'{name}' was never materialized", name))
            elif kind == "any_deps_in_progress":
                run_id = self.snap.run_in_progress(upstream, up_partition)
                if run_id is not None:
                    matches.append((f"'{name}' is being materialized by run {run_id}", name))
        if not matches:
            return ConditionResult(condition.label, kind, False, "no upstream matches")
        trigger = f"deps:{','.join(sorted(i for _, i in matches))}" if kind == "any_deps_updated" else None
        return ConditionResult(condition.label, kind, True, "; ".join(d for d, _ in matches), trigger)

    # -- combined conditions -----------------------------------------------------------------------
    def node(self, key: AssetKey, partition: str | None, condition: AutomationCondition) -> ConditionResult:
        kind = condition.kind
        if condition.is_operator:
            children = tuple(self.node(key, partition, o) for o in condition.operands)
            if kind == "not":
                return ConditionResult(condition.label, kind, not children[0].true, children=children)
            true = all(c.true for c in children) if kind == "all_of" else any(c.true for c in children)
            triggers = [c.trigger for c in children if c.true and c.trigger]
            return ConditionResult(condition.label, kind, true, trigger="&".join(triggers) if true else None,
                                   children=children)
        if kind in ("eager", "on_missing", "on_cron"):
            if kind == "eager":
                outcome = self.eager(key, partition)
            elif kind == "on_missing":
                outcome = self.on_missing(key, partition)
            else:
                outcome = self.on_cron(key, partition, condition)
            return ConditionResult(condition.label, kind, outcome.requested, outcome.reason, outcome.trigger)
        return self.operand(key, partition, condition)

    def condition(self, key: AssetKey, partition: str | None, condition: AutomationCondition) -> AssetEvaluation:
        self.cron_seen = []
        tree = self.node(key, partition, condition)
        for slot, tick_iso in self.cron_seen:
            if tree.true:
                self.state.cron_done[slot] = tick_iso
                self.state.cron_pending.pop(slot, None)
            else:  # the tick still counts at the next evaluation
                self.state.cron_pending[slot] = tick_iso
        because = tree.because()
        if not tree.children:
            return AssetEvaluation(key, partition, condition.label, tree.true, tree.detail,
                                   trigger=tree.trigger, because=because)
        verdict = "requested" if tree.true else "not requested"
        return AssetEvaluation(key, partition, condition.label, tree.true, f"{verdict}: {tree.summary()}",
                               trigger=tree.trigger or ("" if tree.true else None), tree=tree, because=because)

    # -- freshness -------------------------------------------------------------------------------
    def freshness_bound(self, policy: FreshnessPolicy) -> float | None:
        """The oldest data time the policy accepts now (None: no deadline in effect yet)."""
        lag = policy.lag.total_seconds()
        if policy.cron_schedule is None:
            return self.now_ts - lag
        bounds = []
        before = previous_tick(policy.cron_schedule, self.now, timezone=policy.cron_schedule_timezone)
        if before is not None:
            bounds.append(before.timestamp() - lag)
        upcoming = next_ticks(policy.cron_schedule, self.now, 1, timezone=policy.cron_schedule_timezone)[0]
        if self.now_ts >= upcoming.timestamp() - lag:
            bounds.append(upcoming.timestamp() - lag)
        return max(bounds) if bounds else None

    def freshness(self, key: AssetKey, policy: FreshnessPolicy) -> list[AssetEvaluation]:
        partitions_def = self.graph.get(key).partitions_def
        bound = self.freshness_bound(policy)
        if bound is None:
            return [AssetEvaluation(key, p, policy.label, False, "no freshness deadline in effect yet")
                    for p in ([None] if partitions_def is None else self.partitions_of(key))]
        if partitions_def is None:
            return [self.fresh_unpartitioned(key, policy, bound)]
        if _is_time_window(partitions_def):
            return [self.fresh_latest_window(key, policy, bound, partitions_def)]
        return [self.fresh_partition(key, partition, policy, bound) for partition in self.partitions_of(key)]

    def refresh(
        self, key: AssetKey, partition: str | None, policy: FreshnessPolicy, bound: float,
        stale: set[AssetKey], lineage: set[AssetKey], reason: str,
    ) -> AssetEvaluation:
        """Request ``key`` with its stale upstreams and the assets between them, unless that is under way."""
        label = policy.label
        between = self.graph.downstream_closure(stale) & lineage
        bundle = tuple(sorted(between | {key}))
        for member in bundle:
            run_id = self.snap.run_in_progress(member, partition)
            if run_id is not None:
                return AssetEvaluation(key, partition, label, False,
                                       f"a refresh is in progress ('{member.to_user_string()}' in run {run_id})")
        # A partitioned run materializes partitioned assets only: its other inputs must already exist.
        for member in bundle:
            for upstream in self.upstreams(member):
                if upstream in bundle:
                    continue
                supported, up_partition = self.upstream_partition(upstream, member, partition)
                if supported and self.snap.materialized_at(upstream, up_partition) is None:
                    return AssetEvaluation(key, partition, label, False,
                                           f"waiting for upstream '{upstream.to_user_string()}' (never materialized)")
        asked = self.state.requested.get(_ident(key, partition))
        if asked is not None and asked >= bound:
            return AssetEvaluation(key, partition, label, False, f"refresh requested at {_show(asked)}; waiting for it")
        names = ", ".join(k.to_user_string() for k in bundle if k != key)
        if names:
            reason += f"; refreshing stale upstream(s) {names} too"
        return AssetEvaluation(key, partition, label, True, reason, trigger=f"fresh:{bound}", bundle=bundle,
                               because=("freshness",))

    def fresh_unpartitioned(self, key: AssetKey, policy: FreshnessPolicy, bound: float) -> AssetEvaluation:
        label = policy.label
        # External assets are not materialized by aloft: their age is not ours to fix.
        lineage = self.graph.upstream_closure([key]) & self.graph.materializable_keys
        times = {k: self.snap.materialized_at(k, None) for k in lineage}
        known = [t for t in times.values() if t is not None]
        if len(known) == len(times) and min(known) >= bound:
            return AssetEvaluation(key, None, label, False,
                                   f"fresh: its data is from {_show(min(known))}, within {label}")
        stale = {k for k, t in times.items() if t is None or t < bound}
        data = "never materialized" if not known or len(known) < len(times) else f"from {_show(min(known))}"
        reason = f"stale: data {data}, older than {_show(bound)} ({label})"
        return self.refresh(key, None, policy, bound, stale, lineage, reason)

    def same_partitioned_lineage(self, key: AssetKey) -> set[AssetKey]:
        partitions_def = self.graph.get(key).partitions_def
        lineage = self.graph.upstream_closure([key]) & self.graph.materializable_keys
        return {k for k in lineage if self.graph.get(k).partitions_def == partitions_def}

    def fresh_latest_window(
        self, key: AssetKey, policy: FreshnessPolicy, bound: float, partitions_def: Any
    ) -> AssetEvaluation:
        """Freshness by the latest partition: the data reaches the end of the newest materialized window."""
        label = policy.label
        latest = partitions_def.get_last_partition_key(current_time=self.now)
        if latest is None:
            return AssetEvaluation(key, None, label, False, "no time window has ended yet")
        newest = self.snap.newest_window(key, partitions_def)
        data_time = None if newest is None else partitions_def.end_time_for_partition_key(newest).timestamp()
        lineage = self.same_partitioned_lineage(key)
        stale = {k for k in lineage if self.snap.materialized_at(k, latest) is None}
        if data_time is not None and data_time >= bound:
            return AssetEvaluation(key, latest, label, False,
                                   f"fresh: partition {newest} has data up to {_show(data_time)}, within {label}")
        if not stale:
            return AssetEvaluation(
                key, latest, label, False,
                f"as fresh as its partitions allow: the latest partition {latest} is materialized",
            )
        data = "no partition materialized" if newest is None else (
            f"partition {newest} has data up to {_show(data_time or 0)}"
        )
        reason = f"stale: {data}, older than {_show(bound)} ({label}); the latest partition is {latest}"
        return self.refresh(key, latest, policy, bound, stale, lineage, reason)

    def fresh_partition(
        self, key: AssetKey, partition: str | None, policy: FreshnessPolicy, bound: float
    ) -> AssetEvaluation:
        """Freshness of one static or dynamic partition: as an unpartitioned asset, partition by partition."""
        label = policy.label
        lineage = self.same_partitioned_lineage(key)
        times = {k: self.snap.materialized_at(k, partition) for k in lineage}
        known = [t for t in times.values() if t is not None]
        if len(known) == len(times) and min(known) >= bound:
            return AssetEvaluation(key, partition, label, False,
                                   f"fresh: its data is from {_show(min(known))}, within {label}")
        stale = {k for k, t in times.items() if t is None or t < bound}
        data = "never materialized" if len(known) < len(times) else f"from {_show(min(known))}"
        reason = f"stale: data {data}, older than {_show(bound)} ({label})"
        return self.refresh(key, partition, policy, bound, stale, lineage, reason)

    # -- one asset ---------------------------------------------------------------------------
    def evaluate(self, key: AssetKey) -> list[AssetEvaluation]:
        assets_def = self.graph.get(key)
        condition: AutomationCondition | None = assets_def.automation_condition
        policy: FreshnessPolicy | None = assets_def.freshness_policy
        results: list[AssetEvaluation] = []
        if condition is not None:
            for partition in self.partitions_of(key):
                in_progress = self.snap.run_in_progress(key, partition)
                if in_progress is not None:
                    results.append(AssetEvaluation(key, partition, condition.label, False,
                                                   f"already being materialized by run {in_progress}"))
                else:
                    results.append(self.condition(key, partition, condition))
                self.state.evaluated[_ident(key, partition)] = self.now_ts
        if policy is not None:
            requested = {r.partition_key for r in results if r.requested}
            results.extend(r for r in self.freshness(key, policy) if r.partition_key not in requested)
        for result in results:
            if result.requested:
                for member in (*result.bundle, key):
                    self.requested_now[(member, result.partition_key)] = result.trigger or ""
        return results


def _candidates(defs: Definitions, updated: Iterable[AssetKey] | None) -> list[AssetKey]:
    graph = defs.get_asset_graph()
    automated = {
        k
        for k in graph.materializable_keys
        if graph.get(k).automation_condition is not None or graph.get(k).freshness_policy is not None
    }
    if updated is not None:
        automated &= graph.downstream_closure([k for k in updated if graph.has(k)]) - set(updated)
    return [k for k in graph.toposort() if k in automated]


def evaluate_automation(
    defs: Definitions,
    store: StateStore,
    *,
    now: datetime,
    state: AutomationState,
    updated: Iterable[AssetKey] | None = None,
) -> AutomationDecision:
    """Decide which assets to run at ``now`` (pure given the store; ``state`` is copied, not changed).

    ``updated`` limits the evaluation to the assets downstream of those keys
    (the event-driven path); without it every automated asset is evaluated.
    """
    working = state.copy()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    evaluator = _Evaluator(defs, _Snapshot(defs, store), working, now)
    evaluations: list[AssetEvaluation] = []
    for key in _candidates(defs, updated):
        evaluations.extend(evaluator.evaluate(key))
    by_partition: dict[str | None, list[AssetEvaluation]] = {}
    for evaluation in evaluations:
        if evaluation.requested:
            by_partition.setdefault(evaluation.partition_key, []).append(evaluation)
    requests = []
    for partition, chosen in sorted(by_partition.items(), key=lambda item: item[0] or ""):
        keys = sorted({k for e in chosen for k in (*e.bundle, e.asset_key)})
        triggers = sorted(f"{e.ident}:{e.trigger}" for e in chosen)
        digest = hashlib.sha256("\n".join(triggers).encode()).hexdigest()[:32]
        conditions = ",".join(sorted({kind for e in chosen for kind in e.because} or {"automation"}))
        requests.append(
            RunRequest(
                run_key=digest,
                asset_selection=keys,
                partition_key=partition,
                tags={TAG_AUTOMATION: conditions},
            )
        )
    working.last_evaluation = now.timestamp()
    if updated is None:
        _forget_unevaluated(working, {e.ident for e in evaluations})
    return AutomationDecision(tuple(evaluations), tuple(requests), working)


def _forget_unevaluated(state: AutomationState, live: set[str]) -> None:
    """Drop what the state keeps for asset partitions a full evaluation no longer covers.

    Time windows move on (yesterday's window is not evaluated again), and assets
    lose their conditions: without this the cursor would grow by one entry per
    window forever. ``run_automation_tick`` adds the requests it launches after.
    """
    for mapping in (state.evaluated, state.reasons, state.requested):
        for ident in [i for i in mapping if i not in live]:
            del mapping[ident]
    for slots in (state.cron_done, state.cron_pending):
        # a slot is "<ident>|<condition label>"; idents and labels may both contain "|"
        for slot in list(slots):
            cuts = [i for i, char in enumerate(slot) if char == "|"]
            if not any(slot[:i] in live for i in cuts):
                del slots[slot]


@dataclass(frozen=True)
class AutomationTickResult:
    """One automation tick: the decision, the launches, the summary tick (and its error, if any)."""

    decision: AutomationDecision | None
    launches: tuple[LaunchResult, ...]
    tick: TickRecord
    error: BaseException | None = None


def run_automation_tick(
    defs: Definitions,
    store: StateStore,
    launcher: RunLauncher,
    *,
    now: datetime | None = None,
    updated: Sequence[AssetKey] | None = None,
) -> AutomationTickResult:
    """Evaluate, launch what was decided, record the evaluation, store the state.

    Every evaluation writes a summary tick named ``automation``; each asset gets
    its own tick (``automation:<asset>``) when it is requested or its reason
    changed, and the latest reason of every asset is kept in the state. If
    anything fails, the state is not advanced (the next tick decides again).
    """
    moment = now or datetime.now(UTC)
    timestamp = moment.timestamp()
    try:
        state = AutomationState.from_cursor(store.get_sensor_cursor(AUTOMATION_CURSOR))
        decision = evaluate_automation(defs, store, now=moment, state=state, updated=updated)
        launches = submit_run_requests(
            decision.run_requests,
            launcher,
            origin="automation",
            label="automation",
            default_job=IMPLICIT_JOB_NAME,
            trigger=RunTrigger.AUTOMATION,
        )
    except AloftError as err:
        tick = TickRecord(AUTOMATION_CURSOR, TickStatus.FAILURE, timestamp=timestamp, error=str(err))
        store.add_tick(tick)
        _log.error("automation tick failed: %s", err)
        return AutomationTickResult(None, (), tick, err)
    new_state = decision.state
    run_of: dict[str, str] = {}
    for request, launch in zip(decision.run_requests, launches, strict=True):
        for key in request.asset_selection or ():
            run_of[_ident(key, request.partition_key)] = launch.run.run_id
            new_state.requested[_ident(key, request.partition_key)] = timestamp
    for evaluation in decision.evaluations:
        line = evaluation.line
        changed = state.reasons.get(evaluation.ident) != line
        new_state.reasons[evaluation.ident] = line
        # The cursor keeps one line per asset partition; the tick keeps the whole evaluation tree.
        if evaluation.requested:
            run_id = run_of.get(evaluation.ident)
            store.add_tick(TickRecord(f"automation:{evaluation.ident}", TickStatus.SUCCESS, timestamp=timestamp,
                                      run_ids=(run_id,) if run_id else (), skip_reason=evaluation.explain()))
        elif changed:
            store.add_tick(TickRecord(f"automation:{evaluation.ident}", TickStatus.SKIPPED, timestamp=timestamp,
                                      skip_reason=evaluation.explain()))
    new_ids = tuple(launch.run.run_id for launch in launches if launch.created)
    summary = (
        f"evaluated {len(decision.evaluations)} asset partition(s), requested {len(decision.requested)}"
    )
    tick = TickRecord(AUTOMATION_CURSOR, TickStatus.SUCCESS if new_ids else TickStatus.SKIPPED,
                      timestamp=timestamp, run_ids=new_ids, skip_reason=summary)
    store.add_tick(tick)
    store.set_sensor_cursor(AUTOMATION_CURSOR, new_state.to_cursor())
    return AutomationTickResult(decision, tuple(launches), tick)


def automated_assets(defs: Definitions) -> Mapping[AssetKey, tuple[str, ...]]:
    """Each asset with a condition or freshness policy, and their labels (for listings).

    Example:
        >>> from aloft import Definitions
        >>> automated_assets(Definitions())
        {}
    """
    graph = defs.get_asset_graph()
    result: dict[AssetKey, tuple[str, ...]] = {}
    for key in graph.toposort():
        if not graph.has(key):
            continue
        assets_def: Any = graph.get(key)
        labels = []
        if assets_def.automation_condition is not None:
            labels.append(assets_def.automation_condition.label)
        if assets_def.freshness_policy is not None:
            labels.append(assets_def.freshness_policy.label)
        if labels:
            result[key] = tuple(labels)
    return result

