"""The Lambda handlers' runtime functions (schedule_tick, sensor, automation) with an in-memory store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from automation_project import ingest, make_defs, orders, revenue

from aloft import asset
from aloft.automation.conditions import AutomationCondition
from aloft.automation.launcher import CloudRunLauncher, InProcessRunLauncher
from aloft.automation.run_request import DefaultSensorStatus, RunRequest
from aloft.automation.runtime import (
    AutomationRuntime,
    automation_stream_filter,
    handle_automation_event,
    handle_schedule_tick,
    handle_sensor_event,
    runtime_from_environment,
    updated_assets_from_stream,
)
from aloft.automation.s3 import s3_sensor
from aloft.automation.schedule import ScheduleDefinition, schedule
from aloft.automation.sensor import sensor
from aloft.errors import DefinitionError, ExecutionError

Load = Callable[[str], Any]
nightly = ScheduleDefinition(name="nightly", job=ingest, cron_schedule="0 3 * * *", execution_timezone="Europe/Berlin")


@s3_sensor(bucket="landing-bucket", prefix="orders/", job=ingest)
def drops(context: Any, s3_event: Any) -> RunRequest:
    if "poison" in s3_event.key:
        raise ValueError("cannot parse the file")
    return RunRequest()


def _runtime(store: Any, **kwargs: Any) -> AutomationRuntime:
    kwargs.setdefault("schedules", [nightly])
    kwargs.setdefault("sensors", [drops])
    defs = make_defs(**kwargs)
    return AutomationRuntime(defs, store, InProcessRunLauncher(defs, store))


class TestScheduleTick:
    EVENT = {
        "schedule_name": "nightly",
        "job_name": "ingest",
        "scheduled_time": "2024-03-31T01:00:00Z",
        "scheduler_execution_id": "a1b2",
    }

    def test_a_retried_tick_is_one_run(self, store: Any) -> None:
        runtime = _runtime(store)
        first = handle_schedule_tick(self.EVENT, runtime)
        second = handle_schedule_tick(self.EVENT, runtime)
        assert first["status"] == "SUCCESS" and len(first["run_ids"]) == 1
        assert second["status"] == "SKIPPED" and second["run_ids"] == []
        assert len(store.list_runs()) == 1

    def test_bad_events(self, store: Any) -> None:
        runtime = _runtime(store)
        with pytest.raises(DefinitionError, match="Did you mean 'nightly'"):
            handle_schedule_tick({**self.EVENT, "schedule_name": "nightyl"}, runtime)
        with pytest.raises(DefinitionError, match="not an ISO 8601 time"):
            handle_schedule_tick({**self.EVENT, "scheduled_time": "yesterday"}, runtime)
        with pytest.raises(DefinitionError, match="no schedule_name"):
            handle_schedule_tick({}, runtime)

    def test_a_failed_tick_raises_so_scheduler_retries(self, store: Any) -> None:
        # Definitions rejects a schedule whose own job is missing; a request can still name one.
        @schedule(name="nightly", job=ingest, cron_schedule="0 3 * * *")
        def broken(context: Any) -> RunRequest:
            return RunRequest(job_name="missing_job")

        runtime = _runtime(store, schedules=[broken])
        with pytest.raises(ExecutionError, match="no job named 'missing_job'"):
            handle_schedule_tick(self.EVENT, runtime)


class TestSensorEvent:
    def test_single_event_five_times_one_run(self, store: Any, load_event: Load) -> None:
        runtime = _runtime(store)
        results = [handle_sensor_event(load_event("eventbridge_object_created"), runtime) for _ in range(5)]
        assert [len(r["run_ids"]) for r in results] == [1, 0, 0, 0, 0]
        assert len(store.list_runs()) == 1

    def test_sqs_batches_report_only_failed_messages(self, store: Any, load_event: Load) -> None:
        runtime = _runtime(store)
        batch = load_event("sqs_batch_of_eventbridge")
        poisoned = batch["Records"][2]["body"].replace("orders/2021-11-12.csv", "orders/poison.csv")
        batch["Records"][2]["body"] = poisoned
        result = handle_sensor_event(batch, runtime)
        assert result["batchItemFailures"] == [{"itemIdentifier": "4a1f3a8e-1c2b-4f5e-9a1d-0f6e7b8c9d10"}]
        assert len(result["run_ids"]) == 1

    def test_a_failed_single_event_raises_for_a_retry(self, store: Any, load_event: Load) -> None:
        runtime = _runtime(store)
        event = load_event("eventbridge_object_created")
        event["detail"]["object"]["key"] = "orders/poison.csv"
        with pytest.raises(ExecutionError, match="cannot parse the file"):
            handle_sensor_event(event, runtime)

    def test_malformed_and_unknown_events_are_reported_not_retried(self, store: Any, load_event: Load) -> None:
        runtime = _runtime(store)
        result = handle_sensor_event(load_event("malformed_missing_key"), runtime)
        assert result["malformed"] and result["run_ids"] == []
        other = load_event("eventbridge_object_created")
        other["detail"]["bucket"]["name"] = "unknown-bucket"
        assert handle_sensor_event(other, runtime)["unmatched"] == ["s3://unknown-bucket/orders/2021-11-11.csv"]

    def test_a_polled_sensor_on_demand(self, store: Any) -> None:
        @sensor(job=ingest)
        def once(context: Any) -> RunRequest:
            return RunRequest(run_key="once")

        runtime = _runtime(store, sensors=[drops, once])
        assert handle_sensor_event({"sensor_name": "once"}, runtime)["status"] == "SUCCESS"
        with pytest.raises(DefinitionError, match="not a polled sensor"):
            handle_sensor_event({"sensor_name": "drops"}, runtime)


class TestAutomationEvent:
    @staticmethod
    def _stream(*items: tuple[str, str, str]) -> dict[str, Any]:
        return {
            "Records": [
                {"eventName": name, "dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": sk}}, "SequenceNumber": str(i)}}
                for i, (name, pk, sk) in enumerate(items)
            ]
        }

    def test_stream_records_name_the_updated_assets(self) -> None:
        event = self._stream(
            ("INSERT", "ASSET#orders", "LATEST"),
            ("MODIFY", "ASSET#orders", "PLATEST#2024-01-01"),
            ("INSERT", "ASSET#warehouse/revenue", "MAT#1#r"),
            ("INSERT", "RUN#r1", "RUN"),
            ("REMOVE", "ASSET#gone", "LATEST"),
        )
        assert [k.to_user_string() for k in updated_assets_from_stream(event["Records"])] == ["orders"]

    def test_the_stream_filter_passes_exactly_the_records_automation_reads(self) -> None:
        def matches(pattern: Any, value: Any) -> bool:  # Lambda event filtering: exact values and prefixes
            if isinstance(pattern, dict):
                return isinstance(value, dict) and all(matches(p, value.get(k)) for k, p in pattern.items())
            return any(
                (isinstance(option, dict) and isinstance(value, str) and value.startswith(option["prefix"]))
                or option == value
                for option in pattern
            )

        event = self._stream(
            ("INSERT", "ASSET#orders", "LATEST"),
            ("MODIFY", "ASSET#orders", "PLATEST#2024-01-01"),
            ("INSERT", "ASSET#warehouse/revenue", "MAT#1#r"),
            ("INSERT", "RUN#r1", "RUN"),
            ("MODIFY", "SENSOR#automation", "CURSOR"),
            ("REMOVE", "ASSET#gone", "LATEST"),
        )
        passed = [r for r in event["Records"] if matches(automation_stream_filter(), r)]
        assert len(passed) == 2
        assert updated_assets_from_stream(passed) == updated_assets_from_stream(event["Records"])

    def test_a_new_materialization_launches_eager_downstream(self, store: Any) -> None:
        @asset(automation_condition=AutomationCondition.eager())
        def summary(revenue: int) -> str:
            return str(revenue)

        runtime = _runtime(store, assets=[orders, revenue, summary], schedules=[], sensors=[])
        from aloft.execution.plan import build_asset_plan
        from aloft.execution.run import execute_run

        plan = build_asset_plan(runtime.definitions.get_asset_graph(), [orders.key, revenue.key], "load")
        execute_run(plan, resources=runtime.definitions.resources, store=store)
        result = handle_automation_event(self._stream(("MODIFY", "ASSET#revenue", "LATEST")), runtime)
        assert result["updated"] == ["revenue"] and len(result["run_ids"]) == 1
        assert result["batchItemFailures"] == []
        assert store.get_run(result["run_ids"][0]).selection == ("summary",)

    def test_the_periodic_tick_runs_due_sensors_and_automation(self, store: Any) -> None:
        @sensor(job=ingest, default_status=DefaultSensorStatus.RUNNING, minimum_interval_seconds=600)
        def poll(context: Any) -> RunRequest:
            return RunRequest(run_key="p")

        runtime = _runtime(store, sensors=[poll])
        event = {"source": "tick", "scheduled_time": "2024-01-01T00:00:00Z"}
        first = handle_automation_event(event, runtime)
        assert [s["sensor"] for s in first["sensors"]] == ["poll"]
        assert handle_automation_event({**event, "scheduled_time": "2024-01-01T00:05:00Z"}, runtime)["sensors"] == []

    def test_other_events_are_errors(self, store: Any) -> None:
        with pytest.raises(DefinitionError, match="neither a DynamoDB Streams batch nor a periodic tick"):
            handle_automation_event({"hello": 1}, _runtime(store))


class TestRuntimeFromEnvironment:
    def test_local_launcher(self, in_tmp: Any) -> None:
        (in_tmp / "proj_defs.py").write_text(
            "from aloft import Definitions, asset\n@asset\ndef a() -> int:\n    return 1\ndefs = Definitions(assets=[a])\n"
        )
        runtime = runtime_from_environment(
            {"ALOFT_DEFINITIONS": "proj_defs:defs", "ALOFT_STATE": "memory:", "ALOFT_LAUNCHER": "local"}
        )
        assert isinstance(runtime.launcher, InProcessRunLauncher)

    def test_cloud_launcher_needs_the_deployment_names(self, in_tmp: Any) -> None:
        pytest.importorskip("aloft.cloud.launcher")
        (in_tmp / "proj_defs2.py").write_text("from aloft import Definitions\ndefs = Definitions()\n")
        env = {"ALOFT_DEFINITIONS": "proj_defs2:defs", "ALOFT_STATE": "memory:"}
        with pytest.raises(DefinitionError, match="ALOFT_NAME_PREFIX, ALOFT_STATE_MACHINE_ARN_PREFIX"):
            runtime_from_environment(env)
        env.update(ALOFT_NAME_PREFIX="p-dev", ALOFT_STATE_MACHINE_ARN_PREFIX="arn:aws:states:eu-west-1:1:stateMachine:")
        assert isinstance(runtime_from_environment(env).launcher, CloudRunLauncher)

    def test_missing_settings(self) -> None:
        with pytest.raises(DefinitionError, match="ALOFT_DEFINITIONS is not set"):
            runtime_from_environment({})
