"""AutomationCondition combinators (``& | ~``) and operands, and the evaluation trees they record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aloft import Definitions, asset
from aloft.automation.conditions import AutomationCondition
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
from aloft.storage.records import MaterializationRecord, RunRecord, RunStatus

A = AutomationCondition
T0 = datetime(2024, 3, 4, 10, tzinfo=UTC)
FAIL = {"on": False}


@pytest.fixture(autouse=True)
def _reset() -> None:
    FAIL["on"] = False


@asset
def source() -> int:
    return 1


def _defs(*assets: Any) -> Definitions:
    return Definitions(assets=[source, *assets], resources={"io_manager": InMemoryIOManager()})


def _record(store: Any, name: str, at: datetime) -> None:
    store.record_materialization(MaterializationRecord(AssetKey(name), f"run-{name}-{at}", name, timestamp=at.timestamp()))


def _materialize(defs: Definitions, store: Any, name: str) -> None:
    plan = build_asset_plan(defs.get_asset_graph(), [AssetKey(name)], "manual")
    execute_run(plan, resources=defs.resources, store=store, raise_on_error=False)


def _tick(defs: Definitions, store: Any, at: datetime, **kwargs: Any) -> Any:
    return run_automation_tick(defs, store, InProcessRunLauncher(defs, store), now=at, **kwargs)


def _evaluation(result: Any, ident: str) -> Any:
    return next(e for e in result.decision.evaluations if e.ident == ident)


class TestBuilding:
    def test_labels_follow_dagster_and_operators_flatten(self) -> None:
        condition = A.eager() & ~A.in_progress() & ~(A.any_deps_missing() | A.execution_failed())
        assert condition.kind == "all_of" and len(condition.operands) == 3
        assert condition.label == "eager & ~in_progress & ~(any_deps_missing | execution_failed)"
        assert [leaf.kind for leaf in condition.leaves()] == ["eager", "in_progress", "any_deps_missing", "execution_failed"]
        assert (A.missing() | A.on_missing() | A.eager()).label == "missing | on_missing | eager"

    def test_a_labeled_condition_is_one_operand(self) -> None:
        named = (A.missing() & ~A.in_progress()).with_label("fill_gaps")
        combined = named & A.in_latest_time_window()
        assert combined.label == "fill_gaps & in_latest_time_window"
        assert len(combined.operands) == 2
        with pytest.raises(DefinitionError, match="non-empty string"):
            A.missing().with_label("  ")

    def test_conditions_are_values(self) -> None:
        assert A.eager() & ~A.missing() == A.eager() & ~A.missing()
        assert A.cron_tick_passed("@hourly").label == "cron_tick_passed(@hourly UTC)"
        with pytest.raises(DefinitionError, match="invalid"):
            A.cron_tick_passed("61 * * * *")
        with pytest.raises(TypeError):
            A.eager() & "eager"  # type: ignore[operator]


class TestCombinedEvaluation:
    def test_eager_unless_the_last_run_failed(self, store: Any) -> None:
        @asset(automation_condition=A.eager() & ~A.execution_failed())
        def guarded(source: int) -> int:
            if FAIL["on"]:
                raise RuntimeError("bad data")
            return source

        defs = _defs(guarded)
        _materialize(defs, store, "source")
        FAIL["on"] = True
        first = _tick(defs, store, datetime.now(UTC), updated=[source.key])
        (launch,) = first.launches
        assert store.get_run(launch.run.run_id).status == RunStatus.FAILURE
        assert launch.run.tags["aloft/automation"] == "eager"
        FAIL["on"] = False
        _materialize(defs, store, "source")  # eager alone would retry now
        second = _tick(defs, store, datetime.now(UTC), updated=[source.key])
        assert second.launches == ()
        evaluation = _evaluation(second, "guarded")
        assert evaluation.reason.startswith("not requested: execution_failed: run ")
        lines = evaluation.explain().splitlines()
        assert lines[0].startswith("eager & ~execution_failed: not requested")
        assert lines[1].startswith("[ ] eager & ~execution_failed")
        assert lines[2] == "  [x] eager: missing, and every upstream exists"
        assert lines[3] == "  [ ] ~execution_failed"
        assert lines[4].startswith(f"    [x] execution_failed: run {launch.run.run_id} failed at")
        # the cursor keeps one line per asset, the tick the whole tree
        state = AutomationState.from_cursor(store.get_sensor_cursor(AUTOMATION_CURSOR))
        assert state.reasons["guarded"] == evaluation.line and "\n" not in evaluation.line
        assert store.list_ticks("automation:guarded")[0].skip_reason == evaluation.explain()

    def test_a_condition_of_operands_requests_once_per_trigger(self, store: Any) -> None:
        @asset(automation_condition=A.missing() & ~A.any_deps_missing() & ~A.any_deps_in_progress())
        def filled(source: int) -> int:
            raise RuntimeError("never works")

        defs = _defs(filled)
        waiting = _tick(defs, store, T0)
        assert _evaluation(waiting, "filled").reason == "not requested: any_deps_missing: 'source' was never materialized"
        _record(store, "source", T0)
        store.create_run(RunRecord("busy", "manual", selection=("source",)))
        busy = _tick(defs, store, T0 + timedelta(minutes=1))
        assert "any_deps_in_progress: 'source' is being materialized by run busy" in _evaluation(busy, "filled").reason
        store.update_run_status("busy", RunStatus.SUCCESS)
        first = _tick(defs, store, T0 + timedelta(minutes=2))
        assert [launch.created for launch in first.launches] == [True]
        # still missing (the run failed), same upstream data: the same run key, no new run
        again = _tick(defs, store, T0 + timedelta(minutes=3))
        assert [launch.created for launch in again.launches] == [False]
        _record(store, "source", T0 + timedelta(minutes=4))  # a new trigger: one more try
        retry = _tick(defs, store, T0 + timedelta(minutes=5))
        assert [launch.created for launch in retry.launches] == [True]

    def test_on_cron_blocked_by_another_operand_keeps_its_tick(self, store: Any) -> None:
        # "at 09:00, once upstreams updated, but not before 09:15"
        @asset(automation_condition=A.on_cron("0 9 * * *") & A.cron_tick_passed("15 9 * * *"))
        def morning(source: int) -> int:
            return source

        defs = _defs(morning)
        day = datetime(2024, 3, 4, tzinfo=UTC)
        _tick(defs, store, day + timedelta(hours=8))  # automation starts before the 09:00 tick
        _record(store, "source", day + timedelta(hours=9, minutes=5))
        blocked = _tick(defs, store, day + timedelta(hours=9, minutes=10))
        assert blocked.launches == ()
        tree = _evaluation(blocked, "morning").tree
        assert [c.true for c in tree.children] == [True, False]
        fired = _tick(defs, store, day + timedelta(hours=9, minutes=20))
        assert len(fired.launches) == 1
        assert "cron tick at 2024-03-04T09:00:00+00:00" in _evaluation(fired, "morning").reason
        assert fired.launches[0].run.tags["aloft/automation"] == "cron_tick_passed,on_cron"
        assert _tick(defs, store, day + timedelta(hours=9, minutes=30)).launches == ()

    def test_any_deps_updated_and_newly_updated_compare_with_the_previous_evaluation(self, store: Any) -> None:
        @asset(automation_condition=(A.any_deps_updated() | A.initial_evaluation()) & ~A.newly_updated())
        def follower(source: int) -> int:
            return source

        defs = _defs(follower)
        _record(store, "source", T0 - timedelta(hours=1))
        decision = evaluate_automation(defs, store, now=T0, state=AutomationState())
        (evaluation,) = decision.evaluations
        assert evaluation.requested and evaluation.because == ("initial_evaluation",)
        state = AutomationState(evaluated={"follower": T0.timestamp()})
        quiet = evaluate_automation(defs, store, now=T0 + timedelta(minutes=5), state=state)
        assert not quiet.evaluations[0].requested
        _record(store, "source", T0 + timedelta(minutes=6))
        updated = evaluate_automation(defs, store, now=T0 + timedelta(minutes=7), state=state)
        assert updated.evaluations[0].requested and updated.evaluations[0].because == ("any_deps_updated",)
        assert "'source' updated at 2024-03-04 10:06:00 UTC" in updated.evaluations[0].reason
        _record(store, "follower", T0 + timedelta(minutes=8))
        mine = evaluate_automation(defs, store, now=T0 + timedelta(minutes=9), state=state)
        assert not mine.evaluations[0].requested and "newly_updated" in mine.evaluations[0].reason

    def test_cron_tick_passed_and_newly_requested(self, store: Any) -> None:
        @asset(automation_condition=A.cron_tick_passed("0 * * * *") & ~A.newly_requested())
        def hourly() -> int:
            return 1

        defs = _defs(hourly)
        first = _tick(defs, store, T0 + timedelta(minutes=10))
        assert first.launches == ()  # nothing passed since a previous evaluation: there was none
        fired = _tick(defs, store, T0 + timedelta(hours=1, minutes=1))
        assert len(fired.launches) == 1 and fired.decision.evaluations[0].because == ("cron_tick_passed",)
        state = AutomationState.from_cursor(store.get_sensor_cursor(AUTOMATION_CURSOR))
        state.evaluated["hourly"] = (T0 + timedelta(hours=1, minutes=1)).timestamp()
        # an hour later both a tick passed and the previous evaluation requested it: blocked
        later = evaluate_automation(defs, store, now=T0 + timedelta(hours=2, minutes=1), state=state)
        assert not later.evaluations[0].requested
        assert "newly_requested: requested by the previous evaluation" in later.evaluations[0].reason

    def test_an_in_progress_asset_is_never_requested_whatever_the_condition(self, store: Any) -> None:
        @asset(automation_condition=A.missing() | A.in_progress())
        def always() -> int:
            return 1

        defs = _defs(always)
        store.create_run(RunRecord("running", "manual", selection=("always",)))
        decision = evaluate_automation(defs, store, now=T0, state=AutomationState())
        assert decision.run_requests == ()
        assert decision.evaluations[0].reason == "already being materialized by run running"

    def test_either_of_the_recommended_conditions(self, store: Any) -> None:
        @asset(automation_condition=A.on_cron("0 9 * * *") | A.on_missing())
        def either(source: int) -> int:
            return source

        defs = _defs(either)
        _record(store, "source", T0)
        result = _tick(defs, store, T0 + timedelta(minutes=1))
        (launch,) = result.launches
        assert launch.run.tags["aloft/automation"] == "on_missing"
        evaluation = _evaluation(result, "either")
        assert evaluation.reason == "requested: on_missing: missing, and every upstream exists"
        assert [c.true for c in evaluation.tree.children] == [False, True]
