"""Sensors with cursors, SensorResult, failures that keep the cursor, asset and run status sensors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from automation_project import ingest, make_defs, orders

from aloft import asset, define_asset_job
from aloft.automation.errors import CursorError, SensorEvaluationError
from aloft.automation.launcher import InProcessRunLauncher
from aloft.automation.run_request import DefaultSensorStatus, RunRequest, SensorResult, SkipReason
from aloft.automation.run_status_sensor import (
    RunFailureSensorContext,
    build_run_status_sensor_context,
    run_failure_sensor,
    run_status_sensor,
)
from aloft.automation.sensor import (
    SensorDefinition,
    asset_sensor,
    build_sensor_context,
    read_versioned_cursor,
    sensor,
)
from aloft.automation.tick import evaluate_sensor
from aloft.errors import DefinitionError
from aloft.partitions import AddDynamicPartitionsRequest, DynamicPartitionsDefinition
from aloft.storage.records import RunRecord, RunStatus, TickStatus

FILES: list[str] = []


@sensor(job=ingest, minimum_interval_seconds=10)
def new_files(context: Any) -> Any:
    """Asks for a run per file it has not seen (the cursor is the last file)."""
    seen = context.cursor or ""
    fresh = sorted(f for f in FILES if f > seen)
    for name in fresh:
        yield RunRequest(run_key=name, tags={"file": name})
    if fresh:
        context.update_cursor(fresh[-1])


@pytest.fixture(autouse=True)
def _reset_files() -> None:
    FILES.clear()


class TestDefinition:
    def test_defaults_follow_dagster(self) -> None:
        @sensor(job=ingest)
        def watch(context: Any) -> None:
            return None

        assert (watch.name, watch.minimum_interval_seconds, watch.default_status) == (
            "watch",
            30,
            DefaultSensorStatus.STOPPED,
        )
        assert watch.job_name == "ingest" and watch.sensor_type == "standard"

    def test_bad_interval_and_names(self) -> None:
        with pytest.raises(DefinitionError, match="minimum_interval_seconds must be a positive integer"):
            SensorDefinition("s", evaluation_fn=lambda c: None, minimum_interval_seconds=0)
        with pytest.raises(DefinitionError, match="only letters, digits"):
            SensorDefinition("bad name", evaluation_fn=lambda c: None)

    def test_direct_invocation_for_unit_tests(self) -> None:
        FILES.extend(["a.csv", "b.csv"])
        context = build_sensor_context(cursor="a.csv")
        requests = list(new_files(context))
        assert [r.run_key for r in requests] == ["b.csv"]
        assert context.cursor == "b.csv"


class TestCursors:
    def test_cursor_advances_across_ticks_and_each_file_runs_once(self, store: Any) -> None:
        defs = make_defs(sensors=[new_files])
        launcher = InProcessRunLauncher(defs, store)
        FILES.extend(["2024-01-01.csv", "2024-01-02.csv"])
        first = evaluate_sensor(defs, new_files, store, launcher)
        assert first.tick.status == TickStatus.SUCCESS and len(first.new_run_ids) == 2
        assert store.get_sensor_cursor("new_files") == "2024-01-02.csv"
        assert evaluate_sensor(defs, new_files, store, launcher).tick.status == TickStatus.SKIPPED
        FILES.append("2024-01-03.csv")
        third = evaluate_sensor(defs, new_files, store, launcher)
        assert [store.get_run(r).tags["file"] for r in third.new_run_ids] == ["2024-01-03.csv"]
        assert len(store.list_runs()) == 3
        assert all(r.status == RunStatus.SUCCESS for r in store.list_runs())

    def test_sensor_result_sets_the_cursor(self, store: Any) -> None:
        @sensor(job=ingest)
        def with_result(context: Any) -> SensorResult:
            n = int(context.cursor or 0) + 1
            return SensorResult(run_requests=[RunRequest(run_key=str(n))], cursor=str(n))

        defs = make_defs(sensors=[with_result])
        launcher = InProcessRunLauncher(defs, store)
        for _ in range(3):
            evaluate_sensor(defs, with_result, store, launcher)
        assert store.get_sensor_cursor("with_result") == "3"
        assert len(store.list_runs()) == 3

    def test_both_cursor_styles_at_once_is_an_error(self) -> None:
        @sensor(job=ingest)
        def confused(context: Any) -> SensorResult:
            context.update_cursor("a")
            return SensorResult(cursor="b")

        with pytest.raises(SensorEvaluationError, match="use one of the two"):
            confused.evaluate_tick(build_sensor_context())

    def test_a_sensor_that_raises_records_the_error_and_keeps_its_cursor(self, store: Any) -> None:
        calls = []

        @sensor(job=ingest)
        def flaky(context: Any) -> Any:
            calls.append(context.cursor)
            context.update_cursor("moved")
            if len(calls) == 1:
                yield RunRequest(run_key="before-the-crash")
                raise ConnectionError("bucket listing timed out")
            yield RunRequest(run_key="after-recovery")

        defs = make_defs(sensors=[flaky])
        store.set_sensor_cursor("flaky", "start")
        launcher = InProcessRunLauncher(defs, store)
        failed = evaluate_sensor(defs, flaky, store, launcher)
        assert failed.failed
        assert "ConnectionError: bucket listing timed out" in (failed.tick.error or "")
        assert failed.tick.cursor == "start"
        assert store.get_sensor_cursor("flaky") == "start"
        assert store.list_runs() == []  # nothing launched from a failed evaluation
        recovered = evaluate_sensor(defs, flaky, store, launcher)
        assert calls == ["start", "start"]  # the retry saw the same input
        assert recovered.tick.status == TickStatus.SUCCESS
        assert store.get_sensor_cursor("flaky") == "moved"
        ticks = store.list_ticks("flaky")
        assert [t.status for t in ticks] == [TickStatus.SUCCESS, TickStatus.FAILURE]

    def test_a_launch_failure_keeps_the_cursor(self, store: Any) -> None:
        # Definitions rejects a sensor whose own job is missing; a request can still name one.
        @sensor(job=ingest)
        def misrouted(context: Any) -> Any:
            context.update_cursor("next")
            return RunRequest(run_key="x", job_name="no_such_job")

        defs = make_defs(sensors=[misrouted])
        result = evaluate_sensor(defs, misrouted, store, InProcessRunLauncher(defs, store))
        assert result.failed and "no job named 'no_such_job'" in (result.tick.error or "")
        assert store.get_sensor_cursor("misrouted") is None

    def test_a_sensor_without_a_job_must_name_one_in_its_requests(self, store: Any) -> None:
        @sensor()
        def jobless(context: Any) -> RunRequest:
            return RunRequest()

        defs = make_defs(sensors=[jobless])
        result = evaluate_sensor(defs, jobless, store, InProcessRunLauncher(defs, store))
        assert "targets no job" in (result.tick.error or "")

    def test_requests_name_another_job_or_assets(self, store: Any) -> None:
        other = define_asset_job("only_orders", selection="orders")

        @sensor(job=ingest)
        def routing(context: Any) -> Any:
            yield RunRequest(run_key="a", job_name="only_orders")
            yield RunRequest(run_key="b", asset_selection=["revenue"])

        defs = make_defs(jobs=[ingest, other], sensors=[routing])
        evaluate_sensor(defs, routing, store, InProcessRunLauncher(defs, store))
        by_key = {r.run_key: r for r in store.list_runs()}
        assert by_key["sensor:routing:a"].selection == ("orders",)
        assert by_key["sensor:routing:b"].selection == ("revenue",)

    def test_a_cursor_from_an_older_version_is_a_clear_error_and_is_kept(self, store: Any) -> None:
        @asset_sensor(asset_key="orders", job=ingest)
        def orders_changed(context: Any, asset_event: Any) -> RunRequest:
            return RunRequest(run_key=asset_event.run_id)

        defs = make_defs(sensors=[orders_changed])
        store.set_sensor_cursor("orders_changed", "1700000000.0")  # a bare timestamp from an older aloft
        result = evaluate_sensor(defs, orders_changed, store, InProcessRunLauncher(defs, store))
        assert result.failed
        error = result.tick.error or ""
        assert "not written by this version of aloft" in error
        assert "aloft sensor cursor orders_changed --set" in error
        assert store.get_sensor_cursor("orders_changed") == "1700000000.0"
        newer = json.dumps({"v": 9, "t": 1, "run": "r"})
        with pytest.raises(CursorError, match="written by a newer aloft"):
            read_versioned_cursor(newer, 1, owner="sensor 'x'", required=["t"])


class TestDynamicPartitions:
    def test_partitions_are_added_before_runs_launch(self, store: Any) -> None:
        customers = DynamicPartitionsDefinition(name="customers")

        @asset(partitions_def=customers)
        def customer_report(context: Any) -> str:
            return context.partition_key

        job = define_asset_job("reports", selection="customer_report", partitions_def=customers)

        @sensor(job=job)
        def new_customers(context: Any) -> SensorResult:
            return SensorResult(
                run_requests=[RunRequest(run_key="acme", partition_key="acme")],
                dynamic_partitions_requests=[AddDynamicPartitionsRequest("customers", ["acme"])],
            )

        defs = make_defs(assets=[customer_report], jobs=[job], sensors=[new_customers])
        result = evaluate_sensor(defs, new_customers, store, InProcessRunLauncher(defs, store))
        assert not result.failed, result.tick.error
        assert store.get_dynamic_partitions("customers") == ["acme"]
        (run,) = store.list_runs()
        assert (run.partition_key, run.status) == ("acme", RunStatus.SUCCESS)

    def test_an_unknown_partition_fails_the_tick(self, store: Any) -> None:
        customers = DynamicPartitionsDefinition(name="customers")

        @asset(partitions_def=customers)
        def customer_report(context: Any) -> str:
            return context.partition_key

        job = define_asset_job("reports", selection="customer_report", partitions_def=customers)

        @sensor(job=job)
        def typo(context: Any) -> RunRequest:
            return RunRequest(run_key="x", partition_key="acme")

        defs = make_defs(assets=[customer_report], jobs=[job], sensors=[typo])
        result = evaluate_sensor(defs, typo, store, InProcessRunLauncher(defs, store))
        assert result.failed and "acme" in (result.tick.error or "")


class TestAssetSensor:
    def test_fires_once_per_new_materialization(self, store: Any) -> None:
        report = define_asset_job("report", selection="revenue")

        @asset_sensor(asset_key="orders", job=report)
        def orders_updated(context: Any, asset_event: Any) -> RunRequest:
            return RunRequest(run_key=asset_event.run_id, tags={"upstream_run": asset_event.run_id})

        defs = make_defs(jobs=[ingest, report], sensors=[orders_updated])
        launcher = InProcessRunLauncher(defs, store)
        assert "never been materialized" in (evaluate_sensor(defs, orders_updated, store, launcher).tick.skip_reason or "")
        from aloft.execution.plan import build_asset_plan
        from aloft.execution.run import execute_run

        plan = build_asset_plan(defs.get_asset_graph(), [orders.key], "load")
        execute_run(plan, resources=defs.resources, store=store)
        fired = evaluate_sensor(defs, orders_updated, store, launcher)
        assert len(fired.new_run_ids) == 1
        assert evaluate_sensor(defs, orders_updated, store, launcher).tick.status == TickStatus.SKIPPED
        assert store.get_run(fired.new_run_ids[0]).selection == ("revenue",)


class TestRunStatusSensors:
    def _finish(self, store: Any, run_id: str, status: RunStatus, job: str = "ingest") -> None:
        store.create_run(RunRecord(run_id, job))
        store.update_run_status(run_id, RunStatus.STARTED)
        store.update_run_status(run_id, status)

    def test_failure_sensor_sees_each_failed_run_once(self, store: Any) -> None:
        seen: list[str] = []

        @run_failure_sensor
        def alert(context: RunFailureSensorContext) -> None:
            seen.append(context.dagster_run.run_id)

        defs = make_defs(sensors=[alert])
        launcher = InProcessRunLauncher(defs, store)
        self._finish(store, "old", RunStatus.FAILURE)
        first = evaluate_sensor(defs, alert, store, launcher)
        assert "started watching" in (first.tick.skip_reason or "") and seen == []
        self._finish(store, "r1", RunStatus.FAILURE)
        self._finish(store, "r2", RunStatus.SUCCESS)
        self._finish(store, "r3", RunStatus.FAILURE)
        evaluate_sensor(defs, alert, store, launcher)
        evaluate_sensor(defs, alert, store, launcher)
        assert seen == ["r1", "r3"]

    def test_status_sensor_requests_a_job_and_filters_monitored_jobs(self, store: Any) -> None:
        report = define_asset_job("report", selection="revenue")

        @run_status_sensor(RunStatus.SUCCESS, monitored_jobs=[ingest], request_job=report)
        def after_ingest(context: Any) -> RunRequest:
            return RunRequest()

        defs = make_defs(jobs=[ingest, report], sensors=[after_ingest])
        launcher = InProcessRunLauncher(defs, store)
        evaluate_sensor(defs, after_ingest, store, launcher)
        self._finish(store, "a", RunStatus.SUCCESS, job="ingest")
        self._finish(store, "b", RunStatus.SUCCESS, job="elsewhere")
        result = evaluate_sensor(defs, after_ingest, store, launcher)
        (new,) = result.new_run_ids
        assert store.get_run(new).run_key == "sensor:after_ingest:a"

    def test_a_cursor_it_cannot_read_fails_the_tick_and_is_kept(self, store: Any) -> None:
        seen: list[str] = []

        @run_failure_sensor
        def paged(context: RunFailureSensorContext) -> None:
            seen.append(context.dagster_run.run_id)

        defs = make_defs(sensors=[paged])
        store.set_sensor_cursor("paged", "r1")  # a run id, as an older aloft might have stored
        self._finish(store, "r2", RunStatus.FAILURE)
        result = evaluate_sensor(defs, paged, store, InProcessRunLauncher(defs, store))
        assert result.failed and "aloft sensor cursor paged --set ''" in (result.tick.error or "")
        assert store.get_sensor_cursor("paged") == "r1" and seen == []

    def test_context_builder_for_unit_tests(self) -> None:
        run = RunRecord("r9", "ingest", status=RunStatus.FAILURE)
        context = build_run_status_sensor_context("alert", run)
        assert isinstance(context, RunFailureSensorContext) and context.dagster_run is run

    def test_unknown_status(self) -> None:
        with pytest.raises(DefinitionError, match="unknown run status 'DONE'"):
            run_status_sensor("DONE")


def test_skip_reason_is_recorded(store: Any) -> None:
    @sensor(job=ingest)
    def quiet(context: Any) -> SkipReason:
        return SkipReason("nothing new in the bucket")

    defs = make_defs(sensors=[quiet])
    result = evaluate_sensor(defs, quiet, store, InProcessRunLauncher(defs, store))
    assert (result.tick.status, result.tick.skip_reason) == (TickStatus.SKIPPED, "nothing new in the bucket")


def test_an_aws_error_while_launching_fails_the_tick_and_keeps_the_cursor(store: Any) -> None:
    class Unreachable:
        def launch(self, request: Any) -> Any:
            raise ConnectionError("states.eu-west-1.amazonaws.com unreachable")

    @sensor(job=ingest)
    def eager_sensor(context: Any) -> RunRequest:
        context.update_cursor("after")
        return RunRequest(run_key="k")

    defs = make_defs(sensors=[eager_sensor])
    result = evaluate_sensor(defs, eager_sensor, store, Unreachable())
    assert result.failed and "unreachable" in (result.tick.error or "")
    assert store.get_sensor_cursor("eager_sensor") is None
