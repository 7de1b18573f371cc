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
from aloft.storage.records import RunStatus, RunTrigger, TickRecord, TickStatus

__all__ = [
    "AUTOMATION_CURSOR",
    "AssetEvaluation",
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
class AssetEvaluation:
    """The decision for one asset (partition): requested or not, and why.

    ``bundle`` lists the assets requested with it (a freshness refresh brings its
    stale upstreams); ``trigger`` identifies what caused the request.
    """

    asset_key: AssetKey
    partition_key: str | None
    condition: str
    requested: bool
    reason: str
    trigger: str | None = None
    bundle: tuple[AssetKey, ...] = ()

    @property
    def ident(self) -> str:
        """``asset`` or ``asset|partition``."""
        return _ident(self.asset_key, self.partition_key)


@dataclass
class AutomationState:
    """What the evaluator remembers between evaluations (stored as the ``automation`` cursor).

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

    def to_cursor(self) -> str:
        """The versioned JSON cursor."""
        return write_versioned_cursor(
            _STATE_VERSION,
            t=self.last_evaluation,
            requested=self.requested,
            cron_done=self.cron_done,
            cron_pending=self.cron_pending,
            reasons=self.reasons,
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


class _Evaluator:
    def __init__(
        self, defs: Definitions, snapshot: _Snapshot, state: AutomationState, now: datetime
    ) -> None:
        self.defs = defs
        self.graph = snapshot.graph
        self.snap = snapshot
        self.state = state
        self.now = now
        self.now_ts = now.timestamp()
        # Requested earlier in this evaluation (upstreams first) -> what triggered them.
        self.requested_now: dict[tuple[AssetKey, str | None], str] = {}

    # -- helpers ---------------------------------------------------------------------------
    def partitions_of(self, key: AssetKey) -> list[str | None]:
        partitions_def = self.graph.get(key).partitions_def
        if partitions_def is None:
            return [None]
        if hasattr(partitions_def, "cron_schedule"):
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

    # -- conditions ------------------------------------------------------------------------
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
        self.state.cron_done[slot] = tick_iso
        self.state.cron_pending.pop(slot, None)
        return AssetEvaluation(key, partition, label, True, f"cron tick at {tick_iso}, upstreams updated since",
                               trigger=f"cron:{tick_iso}")

    def freshness(self, key: AssetKey, policy: FreshnessPolicy) -> AssetEvaluation:
        label = policy.label
        if self.graph.get(key).partitions_def is not None:
            return AssetEvaluation(key, None, label, False, "freshness of partitioned assets is not evaluated yet")
        if policy.cron_schedule is None:
            bound = self.now_ts - policy.lag.total_seconds()
        else:
            bounds = []
            lag = policy.lag.total_seconds()
            before = previous_tick(policy.cron_schedule, self.now, timezone=policy.cron_schedule_timezone)
            if before is not None:
                bounds.append(before.timestamp() - lag)
            upcoming = next_ticks(policy.cron_schedule, self.now, 1, timezone=policy.cron_schedule_timezone)[0]
            if self.now_ts >= upcoming.timestamp() - lag:
                bounds.append(upcoming.timestamp() - lag)
            if not bounds:
                return AssetEvaluation(key, None, label, False, "no freshness deadline in effect yet")
            bound = max(bounds)
        # External assets are not materialized by aloft: their age is not ours to fix.
        lineage = self.graph.upstream_closure([key]) & self.graph.materializable_keys
        times = {k: self.snap.materialized_at(k, None) for k in lineage}
        known = [t for t in times.values() if t is not None]
        if len(known) == len(times) and min(known) >= bound:
            return AssetEvaluation(key, None, label, False,
                                   f"fresh: its data is from {_show(min(known))}, within {label}")
        fixable = {k for k, t in times.items() if t is None or t < bound}
        between = self.graph.downstream_closure(fixable) & lineage & self.graph.materializable_keys
        bundle = tuple(sorted(between | {key}))
        for member in bundle:
            run_id = self.snap.run_in_progress(member, None)
            if run_id is not None:
                return AssetEvaluation(key, None, label, False,
                                       f"a refresh is in progress ('{member.to_user_string()}' in run {run_id})")
        asked = self.state.requested.get(_ident(key, None))
        if asked is not None and asked >= bound:
            return AssetEvaluation(key, None, label, False,
                                   f"refresh requested at {_show(asked)}; waiting for it")
        data = "never materialized" if not known or len(known) < len(times) else f"from {_show(min(known))}"
        names = ", ".join(k.to_user_string() for k in bundle if k != key)
        reason = f"stale: data {data}, older than {_show(bound)} ({label})"
        if names:
            reason += f"; refreshing stale upstream(s) {names} too"
        return AssetEvaluation(key, None, label, True, reason, trigger=f"fresh:{bound}", bundle=bundle)

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
                    continue
                outcomes = []
                for leaf in condition.leaves():
                    if leaf.kind == "eager":
                        outcomes.append(self.eager(key, partition))
                    elif leaf.kind == "on_missing":
                        outcomes.append(self.on_missing(key, partition))
                    elif leaf.kind == "on_cron":
                        outcomes.append(self.on_cron(key, partition, leaf))
                chosen = next((o for o in outcomes if o.requested), None)
                if chosen is None:
                    reason = "; ".join(f"{o.condition}: {o.reason}" for o in outcomes) if len(outcomes) > 1 else outcomes[0].reason
                    chosen = AssetEvaluation(key, partition, condition.label, False, reason)
                results.append(chosen)
        if policy is not None and not any(r.requested for r in results):
            results.append(self.freshness(key, policy))
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
    working = AutomationState(
        last_evaluation=state.last_evaluation,
        requested=dict(state.requested),
        cron_done=dict(state.cron_done),
        cron_pending=dict(state.cron_pending),
        reasons=dict(state.reasons),
    )
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
        conditions = ",".join(sorted({e.condition.split("(")[0] for e in chosen}))
        requests.append(
            RunRequest(
                run_key=digest,
                asset_selection=keys,
                partition_key=partition,
                tags={TAG_AUTOMATION: conditions},
            )
        )
    working.last_evaluation = now.timestamp()
    return AutomationDecision(tuple(evaluations), tuple(requests), working)


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
        line = f"{evaluation.condition}: {evaluation.reason}"
        changed = state.reasons.get(evaluation.ident) != line
        new_state.reasons[evaluation.ident] = line
        if evaluation.requested:
            run_id = run_of.get(evaluation.ident)
            store.add_tick(TickRecord(f"automation:{evaluation.ident}", TickStatus.SUCCESS, timestamp=timestamp,
                                      run_ids=(run_id,) if run_id else (), skip_reason=line))
        elif changed:
            store.add_tick(TickRecord(f"automation:{evaluation.ident}", TickStatus.SKIPPED, timestamp=timestamp,
                                      skip_reason=line))
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

