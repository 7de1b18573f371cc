"""Declarative automation on partitioned assets: eager and on_missing per partition, freshness by partition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aloft import DailyPartitionsDefinition, Definitions, StaticPartitionsDefinition, asset
from aloft.automation.conditions import AutomationCondition, FreshnessPolicy
from aloft.automation.evaluator import (
    AUTOMATION_CURSOR,
    AutomationState,
    evaluate_automation,
    run_automation_tick,
)
from aloft.automation.launcher import InProcessRunLauncher
from aloft.definitions.asset_key import AssetKey
from aloft.io.memory import InMemoryIOManager
from aloft.storage.records import MaterializationRecord, PartitionStatus, RunRecord, RunStatus

DAILY = DailyPartitionsDefinition(start_date="2024-03-01")
REGIONS = StaticPartitionsDefinition(["eu", "us"])
# 00:30 on March 5th: the latest complete daily window is March 4th.
NOW = datetime(2024, 3, 5, 0, 30, tzinfo=UTC)


def _defs(*assets: Any) -> Definitions:
    return Definitions(assets=list(assets), resources={"io_manager": InMemoryIOManager()})


def _record(store: Any, name: str, partition: str | None, at: datetime) -> None:
    store.record_materialization(
        MaterializationRecord(AssetKey(name), f"run-{name}-{partition}", name, timestamp=at.timestamp(),
                              partition_key=partition)
    )


def _materialize(defs: Definitions, store: Any, name: str, partition: str | None = None) -> None:
    from aloft.execution.plan import build_asset_plan
    from aloft.execution.run import execute_run

    plan = build_asset_plan(defs.get_asset_graph(), [AssetKey(name)], "manual")
    execute_run(plan, resources=defs.resources, store=store, partition_key=partition)


def _tick(defs: Definitions, store: Any, at: datetime, **kwargs: Any) -> Any:
    return run_automation_tick(defs, store, InProcessRunLauncher(defs, store), now=at, **kwargs)


def _reasons(result: Any) -> dict[str, tuple[bool, str]]:
    decision = result.decision if hasattr(result, "decision") else result
    return {e.ident: (e.requested, e.reason) for e in decision.evaluations}


class TestEagerPerPartition:
    @staticmethod
    def _project() -> Definitions:
        @asset(partitions_def=DAILY)
        def events(context: Any) -> str:
            return context.partition_key

        @asset(partitions_def=DAILY, automation_condition=AutomationCondition.eager())
        def sessions(events: str) -> str:
            return f"sessions of {events}"

        return _defs(events, sessions)

    def test_the_latest_partition_follows_its_upstream_partition(self, store: Any) -> None:
        defs = self._project()
        waiting = _tick(defs, store, NOW)
        assert _reasons(waiting) == {"sessions|2024-03-04": (False, "waiting for upstream 'events' (never materialized)")}
        _materialize(defs, store, "events", "2024-03-04")
        _materialize(defs, store, "events", "2024-03-02")  # an older window: eager follows the latest only
        result = _tick(defs, store, NOW + timedelta(minutes=1), updated=[AssetKey("events")])
        (launch,) = result.launches
        run = store.get_run(launch.run.run_id)
        assert (run.partition_key, run.selection, run.status) == ("2024-03-04", ("sessions",), RunStatus.SUCCESS)
        assert store.partition_statuses(AssetKey("sessions")) == {"2024-03-04": PartitionStatus.MATERIALIZED}
        assert _tick(defs, store, NOW + timedelta(minutes=2)).launches == ()
        # the next day's window: a new partition to follow
        tomorrow = NOW + timedelta(days=1)
        _materialize(defs, store, "events", "2024-03-05")
        later = _tick(defs, store, tomorrow + timedelta(minutes=1), updated=[AssetKey("events")])
        assert [launch.run.partition_key for launch in later.launches] == ["2024-03-05"]
        # The cursor forgets windows that are no longer evaluated: it does not grow a day at a time.
        _tick(defs, store, tomorrow + timedelta(minutes=2))
        state = AutomationState.from_cursor(store.get_sensor_cursor(AUTOMATION_CURSOR))
        assert set(state.evaluated) == set(state.reasons) == {"sessions|2024-03-05"}
        assert set(state.requested) == {"sessions|2024-03-05"}

    def test_a_run_of_one_partition_blocks_only_that_partition(self, store: Any) -> None:
        defs = self._project()
        _record(store, "events", "2024-03-04", NOW)
        store.create_run(RunRecord("busy", "__ASSET_JOB", selection=("sessions",), partition_key="2024-03-03"))
        decision = evaluate_automation(defs, store, now=NOW, state=AutomationState())
        assert [r.partition_key for r in decision.run_requests] == ["2024-03-04"]
        store.create_run(RunRecord("busy2", "__ASSET_JOB", selection=("sessions",), partition_key="2024-03-04"))
        blocked = evaluate_automation(defs, store, now=NOW, state=AutomationState())
        assert blocked.run_requests == ()
        assert _reasons(blocked)["sessions|2024-03-04"] == (False, "already being materialized by run busy2")


class TestOnMissingPerPartition:
    def test_each_missing_static_partition_runs_once_in_its_own_run(self, store: Any) -> None:
        @asset(partitions_def=REGIONS, automation_condition=AutomationCondition.on_missing())
        def customers(context: Any) -> str:
            return context.partition_key

        defs = _defs(customers)
        _record(store, "customers", "eu", NOW)
        first = _tick(defs, store, NOW)
        assert [(launch.run.partition_key, launch.run.selection) for launch in first.launches] == [("us", ("customers",))]
        assert _reasons(first)["customers|eu"] == (False, "materialized")
        assert store.latest_materialization(AssetKey("customers"), "us") is not None
        assert _tick(defs, store, NOW + timedelta(minutes=1)).launches == ()

    def test_dynamic_partitions_added_later_are_picked_up(self, store: Any) -> None:
        from aloft import DynamicPartitionsDefinition

        tenants = DynamicPartitionsDefinition(name="tenants")

        @asset(partitions_def=tenants, automation_condition=AutomationCondition.on_missing())
        def tenant_report(context: Any) -> str:
            return context.partition_key

        defs = _defs(tenant_report)
        assert _tick(defs, store, NOW).decision.evaluations == ()
        store.add_dynamic_partitions("tenants", ["acme", "globex"])
        result = _tick(defs, store, NOW + timedelta(minutes=1))
        assert sorted(launch.run.partition_key or "" for launch in result.launches) == ["acme", "globex"]


class TestFreshnessByTheLatestPartition:
    @staticmethod
    def _project(lag_minutes: float = 60) -> Definitions:
        @asset
        def fx_rates() -> float:
            return 1.1

        @asset(partitions_def=DAILY)
        def orders(context: Any) -> str:
            return context.partition_key

        @asset(partitions_def=DAILY, freshness_policy=FreshnessPolicy(maximum_lag_minutes=lag_minutes))
        def revenue(orders: str, fx_rates: float) -> str:
            return f"{orders} x {fx_rates}"

        return _defs(fx_rates, orders, revenue)

    def test_a_stale_asset_gets_its_latest_partition_with_its_stale_upstream_partition(self, store: Any) -> None:
        defs = self._project()
        _materialize(defs, store, "fx_rates")  # unpartitioned: read by the refresh, not refreshed
        _record(store, "orders", "2024-03-03", NOW - timedelta(days=1))
        _record(store, "revenue", "2024-03-03", NOW - timedelta(days=1))
        result = _tick(defs, store, NOW)
        requested, reason = _reasons(result)["revenue|2024-03-04"]
        assert requested
        assert reason == (
            "stale: partition 2024-03-03 has data up to 2024-03-04 00:00:00 UTC, older than "
            "2024-03-04 23:30:00 UTC (freshness(60 min)); the latest partition is 2024-03-04; "
            "refreshing stale upstream(s) orders too"
        )
        (launch,) = result.launches
        run = store.get_run(launch.run.run_id)
        assert (run.partition_key, sorted(run.selection), run.status) == (
            "2024-03-04", ["orders", "revenue"], RunStatus.SUCCESS,
        )
        assert launch.run.tags["aloft/automation"] == "freshness"
        # The latest window is materialized: as fresh as daily partitions can be, all day long.
        for hours in (1, 12, 23):
            later = _tick(defs, store, NOW + timedelta(hours=hours))
            assert later.launches == ()
            assert _reasons(later)["revenue|2024-03-04"] == (
                False, "as fresh as its partitions allow: the latest partition 2024-03-04 is materialized",
            )
        # When March 5th closes, the policy asks for it.
        next_day = _tick(defs, store, NOW + timedelta(days=1))
        assert [launch.run.partition_key for launch in next_day.launches] == ["2024-03-05"]

    def test_a_lag_longer_than_a_window_tolerates_a_missing_day(self, store: Any) -> None:
        defs = self._project(lag_minutes=2 * 24 * 60)
        _record(store, "orders", "2024-03-03", NOW)
        _record(store, "revenue", "2024-03-03", NOW)
        decision = evaluate_automation(defs, store, now=NOW, state=AutomationState())
        assert decision.run_requests == ()
        assert _reasons(decision)["revenue|2024-03-04"][1].startswith("fresh: partition 2024-03-03 has data up to")

    def test_an_in_progress_refresh_of_the_partition_blocks_a_duplicate(self, store: Any) -> None:
        defs = self._project()
        _record(store, "fx_rates", None, NOW)
        store.create_run(RunRecord("loading", "__ASSET_JOB", selection=("orders",), partition_key="2024-03-04"))
        decision = evaluate_automation(defs, store, now=NOW, state=AutomationState())
        assert decision.run_requests == ()
        assert _reasons(decision)["revenue|2024-03-04"] == (
            False, "a refresh is in progress ('orders' in run loading)",
        )

    def test_an_unpartitioned_upstream_that_never_ran_is_waited_for(self, store: Any) -> None:
        decision = evaluate_automation(self._project(), store, now=NOW, state=AutomationState())
        assert _reasons(decision)["revenue|2024-03-04"] == (False, "waiting for upstream 'fx_rates' (never materialized)")

    def test_requested_once_per_deadline(self, store: Any) -> None:
        defs = self._project()
        _record(store, "fx_rates", None, NOW)
        state = AutomationState(requested={"revenue|2024-03-04": NOW.timestamp() - 60})
        decision = evaluate_automation(defs, store, now=NOW, state=state)
        assert decision.run_requests == ()
        assert "refresh requested at" in _reasons(decision)["revenue|2024-03-04"][1]


class TestFreshnessOfStaticPartitions:
    def test_each_partition_is_as_fresh_as_its_own_data(self, store: Any) -> None:
        @asset(partitions_def=REGIONS)
        def ledger(context: Any) -> str:
            return context.partition_key

        @asset(partitions_def=REGIONS, freshness_policy=FreshnessPolicy(maximum_lag_minutes=60))
        def balances(ledger: str) -> str:
            return ledger

        defs = _defs(ledger, balances)
        for name in ("ledger", "balances"):
            _record(store, name, "eu", NOW - timedelta(minutes=10))
            _record(store, name, "us", NOW - timedelta(hours=3))
        result = _tick(defs, store, NOW)
        assert _reasons(result)["balances|eu"][1].startswith("fresh: its data is from")
        (launch,) = result.launches
        assert (launch.run.partition_key, sorted(launch.run.selection)) == ("us", ["balances", "ledger"])
        assert store.get_run(launch.run.run_id).status == RunStatus.SUCCESS

    def test_a_condition_and_a_policy_on_one_partitioned_asset_ask_once(self, store: Any) -> None:
        @asset(partitions_def=REGIONS, automation_condition=AutomationCondition.on_missing(),
               freshness_policy=FreshnessPolicy(maximum_lag_minutes=60))
        def snapshot(context: Any) -> str:
            return context.partition_key

        defs = _defs(snapshot)
        _record(store, "snapshot", "eu", NOW - timedelta(hours=2))
        decision = evaluate_automation(defs, store, now=NOW, state=AutomationState())
        requested = sorted((e.partition_key, e.condition) for e in decision.evaluations if e.requested)
        assert requested == [("eu", "freshness(60 min)"), ("us", "on_missing")]
        assert sorted(r.partition_key or "" for r in decision.run_requests) == ["eu", "us"]
