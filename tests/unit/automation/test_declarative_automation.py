"""Declarative automation: eager, on_missing, on_cron, freshness; in-progress runs block duplicates."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aloft import Definitions, asset
from aloft.automation.conditions import AutomationCondition, FreshnessPolicy
from aloft.automation.evaluator import (
    AUTOMATION_CURSOR,
    AutomationState,
    evaluate_automation,
    run_automation_tick,
)
from aloft.automation.launcher import InProcessRunLauncher
from aloft.definitions.asset_key import AssetKey
from aloft.errors import DefinitionError
from aloft.execution.plan import build_asset_plan
from aloft.execution.run import execute_run
from aloft.io.memory import InMemoryIOManager
from aloft.storage.records import MaterializationRecord, RunRecord, RunStatus, TickStatus

FAIL = {"clean": False}


@asset
def raw() -> list[int]:
    return [1, 2, 3]


@asset(automation_condition=AutomationCondition.eager())
def clean(raw: list[int]) -> list[int]:
    if FAIL["clean"]:
        raise RuntimeError("bad data")
    return [x for x in raw if x > 1]


@asset(automation_condition=AutomationCondition.eager())
def report(clean: list[int]) -> int:
    return len(clean)


@pytest.fixture(autouse=True)
def _reset() -> None:
    FAIL["clean"] = False


def _defs(*assets: Any) -> Definitions:
    return Definitions(assets=list(assets) or [raw, clean, report], resources={"io_manager": InMemoryIOManager()})


def _materialize(defs: Definitions, store: Any, *names: str) -> None:
    plan = build_asset_plan(defs.get_asset_graph(), [AssetKey(n) for n in names], "manual")
    execute_run(plan, resources=defs.resources, store=store, raise_on_error=False)


def _record(store: Any, name: str, at: float) -> None:
    store.record_materialization(MaterializationRecord(AssetKey(name), f"run-{name}-{at}", name, timestamp=at))


def _record_newer(store: Any, name: str) -> None:
    """A materialization of ``name`` one second after the newest one of any asset (no sleeping for the clock)."""
    keys = [AssetKey(n) for n in ("raw", "clean", "report")]
    newest = max(record.timestamp for record in store.latest_materializations(keys).values())
    _record(store, name, newest + 1)


def _reasons(decision: Any) -> dict[str, tuple[bool, str]]:
    return {e.ident: (e.requested, e.reason) for e in decision.evaluations}


def _now() -> datetime:
    return datetime.now(UTC)


class TestEager:
    def test_waits_for_missing_upstreams(self, store: Any) -> None:
        decision = evaluate_automation(_defs(), store, now=_now(), state=AutomationState())
        assert _reasons(decision)["clean"] == (False, "waiting for upstream 'raw' (never materialized)")
        assert decision.run_requests == ()

    def test_an_upstream_update_runs_the_eager_chain_in_one_run(self, store: Any) -> None:
        defs = _defs()
        launcher = InProcessRunLauncher(defs, store)
        _materialize(defs, store, "raw")
        result = run_automation_tick(defs, store, launcher, updated=[AssetKey("raw")])
        (launch,) = result.launches
        assert sorted(launch.run.selection) == ["clean", "report"]
        assert store.get_run(launch.run.run_id).status == RunStatus.SUCCESS
        reasons = _reasons(result.decision)
        assert reasons["clean"][0] and "missing" in reasons["clean"][1]
        assert reasons["report"][0]
        # Everything is up to date now: another evaluation asks for nothing.
        again = run_automation_tick(defs, store, launcher)
        assert again.launches == () and again.tick.status == TickStatus.SKIPPED
        assert _reasons(again.decision)["clean"] == (False, "up to date with its upstreams")
        # A new upstream materialization triggers both again.
        _record_newer(store, "raw")  # the in-memory IO manager still holds raw's value
        third = run_automation_tick(defs, store, launcher, updated=[AssetKey("raw")])
        assert len(third.launches) == 1 and "upstream 'raw' updated" in _reasons(third.decision)["clean"][1]

    def test_updated_limits_the_evaluation_to_downstream_assets(self, store: Any) -> None:
        decision = evaluate_automation(_defs(), store, now=_now(), state=AutomationState(), updated=[AssetKey("clean")])
        assert [e.ident for e in decision.evaluations] == ["report"]

    def test_an_in_progress_run_blocks_a_duplicate(self, store: Any) -> None:
        defs = _defs()
        _materialize(defs, store, "raw")
        store.create_run(RunRecord("busy", "__ASSET_JOB", selection=("clean", "report")))
        store.update_run_status("busy", RunStatus.STARTED)
        decision = evaluate_automation(defs, store, now=_now(), state=AutomationState())
        assert _reasons(decision)["clean"] == (False, "already being materialized by run busy")
        assert _reasons(decision)["report"] == (False, "already being materialized by run busy")
        assert decision.run_requests == ()
        store.update_run_status("busy", RunStatus.FAILURE)
        assert evaluate_automation(defs, store, now=_now(), state=AutomationState()).run_requests

    def test_a_failed_run_is_not_retried_in_a_loop(self, store: Any) -> None:
        defs = _defs()
        launcher = InProcessRunLauncher(defs, store)
        _materialize(defs, store, "raw")
        FAIL["clean"] = True
        first = run_automation_tick(defs, store, launcher, updated=[AssetKey("raw")])
        assert store.get_run(first.launches[0].run.run_id).status == RunStatus.FAILURE
        second = run_automation_tick(defs, store, launcher)
        assert second.launches == ()
        assert "still missing; waiting for an upstream update" in _reasons(second.decision)["clean"][1]
        FAIL["clean"] = False
        _record_newer(store, "raw")
        assert len(run_automation_tick(defs, store, launcher, updated=[AssetKey("raw")]).launches) == 1

    def test_concurrent_evaluations_of_one_update_launch_one_run(self, store: Any) -> None:
        # Two automation Lambdas see the same materialization before either launched.
        from aloft.automation.tick import submit_run_requests
        from aloft.storage.records import RunTrigger

        defs = _defs()
        launcher = InProcessRunLauncher(defs, store)
        _materialize(defs, store, "raw")
        first = evaluate_automation(defs, store, now=_now(), state=AutomationState())
        second = evaluate_automation(defs, store, now=_now() + timedelta(seconds=5), state=AutomationState())
        assert first.run_requests[0].run_key == second.run_requests[0].run_key
        launches = [
            submit_run_requests(d.run_requests, launcher, origin="automation", label="automation",
                                default_job="__ASSET_JOB", trigger=RunTrigger.AUTOMATION)[0]
            for d in (first, second)
        ]
        assert [launch.created for launch in launches] == [True, False]
        assert len(store.list_runs(job_name="__ASSET_JOB")) == 1


class TestOnMissing:
    def test_requests_a_missing_asset_once(self, store: Any) -> None:
        @asset(automation_condition=AutomationCondition.on_missing())
        def seed() -> int:
            raise RuntimeError("source unavailable")

        defs = _defs(seed)
        launcher = InProcessRunLauncher(defs, store)
        first = run_automation_tick(defs, store, launcher)
        assert len(first.launches) == 1
        second = run_automation_tick(defs, store, launcher)
        assert second.launches == ()
        assert "on_missing asks once" in _reasons(second.decision)["seed"][1]


class TestOnCron:
    def test_runs_once_per_tick_after_upstreams_update(self, store: Any) -> None:
        @asset(automation_condition=AutomationCondition.on_cron("0 9 * * *", "Europe/Berlin"))
        def daily_summary(raw: list[int]) -> int:
            return sum(raw)

        defs = _defs(raw, daily_summary)
        launcher = InProcessRunLauncher(defs, store)
        day = datetime(2024, 3, 4, tzinfo=UTC)
        started = run_automation_tick(defs, store, launcher, now=day + timedelta(hours=7))
        assert "automation started after the tick" in _reasons(started.decision)["daily_summary"][1]
        before_upstream = run_automation_tick(defs, store, launcher, now=day + timedelta(days=1, hours=8, minutes=1))
        reason = _reasons(before_upstream.decision)["daily_summary"][1]
        assert reason.startswith("waiting for upstream 'raw'")
        _record(store, "raw", (day + timedelta(days=1, hours=8, minutes=30)).timestamp())
        fired = run_automation_tick(defs, store, launcher, now=day + timedelta(days=1, hours=8, minutes=40))
        assert len(fired.launches) == 1
        assert "cron tick at 2024-03-05T09:00:00+01:00" in _reasons(fired.decision)["daily_summary"][1]
        again = run_automation_tick(defs, store, launcher, now=day + timedelta(days=1, hours=9))
        assert again.launches == ()

    def test_operators(self) -> None:
        either = AutomationCondition.eager() | AutomationCondition.on_missing()
        assert [c.kind for c in either.leaves()] == ["eager", "on_missing"]
        with pytest.raises(DefinitionError, match="invalid"):
            AutomationCondition.on_cron("0 25 * * *")


class TestFreshness:
    @staticmethod
    def _project() -> Definitions:
        @asset
        def source() -> int:
            return 1

        @asset
        def staged(source: int) -> int:
            return source

        @asset(freshness_policy=FreshnessPolicy(maximum_lag_minutes=60))
        def dashboard(staged: int) -> int:
            return staged

        return _defs(source, staged, dashboard)

    def test_a_stale_asset_runs_with_its_stale_upstreams(self, store: Any) -> None:
        defs = self._project()
        now = time.time()
        _record(store, "source", now - 3 * 3600)  # older than the policy allows
        _record(store, "staged", now - 3 * 3600 + 60)
        _record(store, "dashboard", now - 600)  # recent, but computed from old data
        launcher = InProcessRunLauncher(defs, store)
        result = run_automation_tick(defs, store, launcher)
        requested, reason = _reasons(result.decision)["dashboard"]
        assert requested and "stale" in reason and "source, staged" in reason
        (launch,) = result.launches
        assert sorted(launch.run.selection) == ["dashboard", "source", "staged"]
        assert store.get_run(launch.run.run_id).status == RunStatus.SUCCESS
        after = run_automation_tick(defs, store, launcher)
        assert after.launches == () and _reasons(after.decision)["dashboard"][1].startswith("fresh")

    def test_only_the_stale_part_is_refreshed(self, store: Any) -> None:
        defs = self._project()
        now = time.time()
        _record(store, "source", now - 60)
        _record(store, "staged", now - 50)
        _record(store, "dashboard", now - 2 * 3600)
        decision = evaluate_automation(defs, store, now=_now(), state=AutomationState())
        (request,) = decision.run_requests
        assert request.asset_selection == (AssetKey("dashboard"),)

    def test_a_missing_asset_is_not_fresh(self, store: Any) -> None:
        decision = evaluate_automation(self._project(), store, now=_now(), state=AutomationState())
        assert "never materialized" in _reasons(decision)["dashboard"][1]
        assert sorted(k.to_user_string() for k in decision.run_requests[0].asset_selection or ()) == [
            "dashboard", "source", "staged",
        ]

    def test_an_in_progress_refresh_blocks_a_duplicate(self, store: Any) -> None:
        defs = self._project()
        _record(store, "dashboard", time.time() - 2 * 3600)
        store.create_run(RunRecord("refreshing", "__ASSET_JOB", selection=("source",)))
        decision = evaluate_automation(defs, store, now=_now(), state=AutomationState())
        assert decision.run_requests == ()
        assert "in progress" in _reasons(decision)["dashboard"][1] and "refreshing" in _reasons(decision)["dashboard"][1]

    def test_requested_once_per_deadline(self, store: Any) -> None:
        defs = self._project()
        state = AutomationState(requested={"dashboard": time.time() - 60})
        _record(store, "source", time.time() - 2 * 3600)
        decision = evaluate_automation(defs, store, now=_now(), state=state)
        assert decision.run_requests == ()
        assert "refresh requested at" in _reasons(decision)["dashboard"][1]

    def test_cron_deadline_opens_a_lag_before_the_tick(self, store: Any) -> None:
        @asset(freshness_policy=FreshnessPolicy(maximum_lag_minutes=60, cron_schedule="0 9 * * *"))
        def morning_report() -> int:
            return 1

        defs = _defs(morning_report)
        _record(store, "morning_report", datetime(2024, 3, 5, 7, tzinfo=UTC).timestamp())
        early = evaluate_automation(defs, store, now=datetime(2024, 3, 5, 7, 30, tzinfo=UTC), state=AutomationState())
        assert early.run_requests == ()
        due = evaluate_automation(defs, store, now=datetime(2024, 3, 5, 8, 30, tzinfo=UTC), state=AutomationState())
        assert len(due.run_requests) == 1


class TestRecording:
    def test_every_decision_is_recorded_with_its_reason(self, store: Any) -> None:
        defs = _defs()
        launcher = InProcessRunLauncher(defs, store)
        run_automation_tick(defs, store, launcher)
        (summary,) = store.list_ticks(AUTOMATION_CURSOR)
        assert summary.status == TickStatus.SKIPPED and "evaluated 2" in (summary.skip_reason or "")
        (clean_tick,) = store.list_ticks("automation:clean")
        assert clean_tick.skip_reason == "eager: waiting for upstream 'raw' (never materialized)"
        run_automation_tick(defs, store, launcher)  # same reasons: no new per-asset tick
        assert len(store.list_ticks("automation:clean")) == 1
        state = AutomationState.from_cursor(store.get_sensor_cursor(AUTOMATION_CURSOR))
        assert state.reasons["report"] == "eager: waiting for upstream 'clean' (never materialized)"
        _materialize(defs, store, "raw")
        run_automation_tick(defs, store, launcher)
        latest = store.list_ticks("automation:clean")[0]
        assert latest.status == TickStatus.SUCCESS and latest.run_ids

    def test_an_unreadable_state_fails_the_tick_and_keeps_it(self, store: Any) -> None:
        store.set_sensor_cursor(AUTOMATION_CURSOR, "garbage")
        result = run_automation_tick(_defs(), store, InProcessRunLauncher(_defs(), store))
        assert result.tick.status == TickStatus.FAILURE and "not written by this version" in (result.tick.error or "")
        assert store.get_sensor_cursor(AUTOMATION_CURSOR) == "garbage"
