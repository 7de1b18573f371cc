"""Schedules: definitions, @schedule, partitioned schedules, idempotent ticks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from automation_project import ingest, make_defs

from aloft import define_asset_job
from aloft.automation.errors import ScheduleEvaluationError, UnsupportedCronError
from aloft.automation.launcher import InProcessRunLauncher
from aloft.automation.run_request import DefaultScheduleStatus, RunRequest, SkipReason
from aloft.automation.schedule import (
    ScheduleDefinition,
    build_schedule_context,
    build_schedule_from_partitioned_job,
    schedule,
)
from aloft.automation.tick import evaluate_schedule
from aloft.errors import DefinitionError
from aloft.partitions import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    StaticPartitionsDefinition,
)
from aloft.storage.records import RunStatus, RunTrigger, TickStatus


class TestDefinition:
    def test_name_derives_from_the_job_as_in_dagster(self) -> None:
        assert ScheduleDefinition(job=ingest, cron_schedule="@daily").name == "ingest_schedule"
        assert ScheduleDefinition(job_name="other", cron_schedule="@daily").name == "other_schedule"
        assert ScheduleDefinition("mine", job=ingest, cron_schedule="@daily").name == "mine"

    def test_defaults(self) -> None:
        s = ScheduleDefinition(job=ingest, cron_schedule="0 3 * * *")
        assert s.execution_timezone == "UTC"
        assert s.default_status is DefaultScheduleStatus.STOPPED
        assert s.eventbridge_expressions == ("cron(0 3 * * ? *)",)
        assert not s.is_running_by_default

    def test_unexpressible_cron_fails_at_definition_naming_the_schedule(self) -> None:
        with pytest.raises(UnsupportedCronError, match="schedule 'ingest_schedule': cron '0 0 1 \\* 1'"):
            ScheduleDefinition(job=ingest, cron_schedule="0 0 1 * 1")

    def test_bad_timezone_and_missing_target(self) -> None:
        with pytest.raises(DefinitionError, match="Did you mean 'Europe/Paris'"):
            ScheduleDefinition(job=ingest, cron_schedule="@daily", execution_timezone="Europe/Pari")
        with pytest.raises(DefinitionError, match="needs a target"):
            ScheduleDefinition(cron_schedule="@daily")
        with pytest.raises(DefinitionError, match="run_config or a schedule function"):
            ScheduleDefinition(job=ingest, cron_schedule="@daily", run_config={"a": 1}, execution_fn=lambda c: None)

    def test_is_immutable(self) -> None:
        s = ScheduleDefinition(job=ingest, cron_schedule="@daily")
        with pytest.raises(AttributeError):
            s.name = "other"  # type: ignore[misc]

    def test_plain_schedule_asks_for_one_run_with_its_config_and_tags(self) -> None:
        s = ScheduleDefinition(job=ingest, cron_schedule="@daily", run_config={"ops": {}}, tags={"team": "x"})
        evaluation = s.evaluate_tick(build_schedule_context())
        assert evaluation.run_requests == (RunRequest(run_config={"ops": {}}, tags={"team": "x"}),)


class TestDecorator:
    def test_function_gets_the_scheduled_time(self) -> None:
        @schedule(cron_schedule="0 6 * * *", job=ingest, execution_timezone="Europe/Berlin", tags={"t": "1"})
        def morning(context: Any) -> RunRequest:
            return RunRequest(run_key=context.scheduled_execution_time.isoformat())

        moment = datetime(2024, 3, 31, 4, tzinfo=UTC)
        evaluation = morning.evaluate_tick(build_schedule_context(scheduled_execution_time=moment))
        assert evaluation.run_requests[0].run_key == moment.isoformat()
        assert evaluation.run_requests[0].tags == {"t": "1"}
        assert morning.name == "morning"
        assert morning(build_schedule_context(scheduled_execution_time=moment)).run_key == moment.isoformat()

    def test_yields_and_skips(self) -> None:
        @schedule(cron_schedule="@hourly", job=ingest)
        def several(context: Any) -> Any:
            yield RunRequest(run_key="a")
            yield RunRequest(run_key="b")

        @schedule(cron_schedule="@hourly", job=ingest)
        def skipping(context: Any) -> SkipReason:
            return SkipReason("holiday")

        assert [r.run_key for r in several.evaluate_tick(build_schedule_context()).run_requests] == ["a", "b"]
        assert skipping.evaluate_tick(build_schedule_context()).skip_message == "holiday"

    def test_resources_are_injected_by_name(self) -> None:
        @schedule(cron_schedule="@hourly", job=ingest)
        def with_resource(context: Any, calendar: Any) -> Any:
            return None if calendar.is_holiday else RunRequest()

        class Calendar:
            is_holiday = True

        context = build_schedule_context(resources={"calendar": Calendar()})
        assert with_resource.evaluate_tick(context).run_requests == ()

    def test_a_function_that_raises_is_wrapped_with_its_cause(self) -> None:
        @schedule(cron_schedule="@hourly", job=ingest)
        def broken(context: Any) -> Any:
            raise KeyError("calendar")

        with pytest.raises(ScheduleEvaluationError, match="schedule 'broken' raised KeyError") as raised:
            broken.evaluate_tick(build_schedule_context())
        assert isinstance(raised.value.__cause__, KeyError)


class TestPartitionedSchedules:
    def test_daily_targets_the_partition_that_just_closed(self) -> None:
        job = define_asset_job("daily", partitions_def=DailyPartitionsDefinition("2024-01-01"))
        s = build_schedule_from_partitioned_job(job)
        assert (s.name, s.cron_schedule, s.execution_timezone) == ("daily_schedule", "0 0 * * *", "UTC")
        context = build_schedule_context(scheduled_execution_time=datetime(2024, 3, 5, tzinfo=UTC))
        request = s.evaluate_tick(context).run_requests[0]
        assert (request.partition_key, request.run_key) == ("2024-03-04", "2024-03-04")

    def test_time_of_day_and_timezone_come_from_the_partitions(self) -> None:
        partitions = DailyPartitionsDefinition("2024-01-01", timezone="Europe/Berlin")
        s = build_schedule_from_partitioned_job(define_asset_job("daily", partitions_def=partitions), hour_of_day=2)
        assert (s.cron_schedule, s.execution_timezone) == ("0 2 * * *", "Europe/Berlin")
        context = build_schedule_context(scheduled_execution_time=datetime(2024, 3, 31, 0, 5, tzinfo=UTC))
        assert s.evaluate_tick(context).run_requests[0].partition_key == "2024-03-30"

    def test_hourly(self) -> None:
        job = define_asset_job("hourly", partitions_def=HourlyPartitionsDefinition("2024-01-01-00:00"))
        s = build_schedule_from_partitioned_job(job, minute_of_hour=5)
        assert s.cron_schedule == "5 * * * *"
        context = build_schedule_context(scheduled_execution_time=datetime(2024, 1, 2, 7, 5, tzinfo=UTC))
        assert s.evaluate_tick(context).run_requests[0].partition_key == "2024-01-02-06:00"

    def test_before_the_first_partition_ends_it_skips(self) -> None:
        job = define_asset_job("daily", partitions_def=DailyPartitionsDefinition("2024-01-01"))
        s = build_schedule_from_partitioned_job(job)
        context = build_schedule_context(scheduled_execution_time=datetime(2024, 1, 1, 12, tzinfo=UTC))
        assert "no partition" in (s.evaluate_tick(context).skip_message or "")

    def test_static_partitions_need_a_cron_and_run_every_partition(self) -> None:
        job = define_asset_job("regions", partitions_def=StaticPartitionsDefinition(["eu", "us"]))
        with pytest.raises(DefinitionError, match="pass cron_schedule"):
            build_schedule_from_partitioned_job(job)
        s = build_schedule_from_partitioned_job(job, cron_schedule="@daily")
        assert [r.partition_key for r in s.evaluate_tick(build_schedule_context()).run_requests] == ["eu", "us"]

    def test_unpartitioned_job_is_a_definition_error(self) -> None:
        with pytest.raises(DefinitionError, match="has no partitions_def"):
            build_schedule_from_partitioned_job(ingest)


class TestTicks:
    def test_a_retried_tick_never_starts_a_second_run(self, store: Any) -> None:
        s = ScheduleDefinition(job=ingest, cron_schedule="0 6 * * *")
        defs = make_defs(schedules=[s])
        launcher = InProcessRunLauncher(defs, store)
        moment = datetime(2024, 3, 31, 6, tzinfo=UTC)
        first = evaluate_schedule(defs, s, store, launcher, moment)
        again = [evaluate_schedule(defs, s, store, launcher, moment) for _ in range(3)]
        assert first.tick.status == TickStatus.SUCCESS and len(first.new_run_ids) == 1
        assert all(t.tick.status == TickStatus.SKIPPED and not t.new_run_ids for t in again)
        assert "already launched" in (again[0].tick.skip_reason or "")
        runs = store.list_runs()
        assert len(runs) == 1
        run = runs[0]
        assert (run.status, run.trigger) == (RunStatus.SUCCESS, RunTrigger.SCHEDULE)
        assert run.tags["aloft/schedule_name"] == "ingest_schedule"
        assert run.run_key == "schedule:ingest_schedule:2024-03-31T06:00:00Z"
        next_day = evaluate_schedule(defs, s, store, launcher, datetime(2024, 4, 1, 6, tzinfo=UTC))
        assert len(next_day.new_run_ids) == 1
        assert len(store.list_ticks("ingest_schedule")) == 5

    def test_partitioned_schedule_runs_each_partition_once(self, store: Any) -> None:
        from aloft import asset

        partitions = DailyPartitionsDefinition("2024-01-01")

        @asset(partitions_def=partitions)
        def daily_orders(context: Any) -> str:
            return context.partition_key

        job = define_asset_job("daily", selection="daily_orders", partitions_def=partitions)
        s = build_schedule_from_partitioned_job(job)
        defs = make_defs(assets=[daily_orders], jobs=[job], schedules=[s])
        launcher = InProcessRunLauncher(defs, store)
        moment = datetime(2024, 3, 5, tzinfo=UTC)
        evaluate_schedule(defs, s, store, launcher, moment)
        evaluate_schedule(defs, s, store, launcher, moment)
        (run,) = store.list_runs()
        assert (run.partition_key, run.status) == ("2024-03-04", RunStatus.SUCCESS)
        assert store.latest_materialization(daily_orders.key, "2024-03-04") is not None

    def test_a_failing_schedule_records_a_failed_tick(self, store: Any) -> None:
        @schedule(cron_schedule="@hourly", job=ingest)
        def broken(context: Any) -> Any:
            raise RuntimeError("calendar service down")

        defs = make_defs(schedules=[broken])
        result = evaluate_schedule(defs, broken, store, InProcessRunLauncher(defs, store), datetime(2024, 1, 1, tzinfo=UTC))
        assert result.failed
        assert "RuntimeError: calendar service down" in (result.tick.error or "")
        assert store.list_runs() == []

    def test_bad_run_config_fails_the_tick_before_any_run_exists(self, store: Any) -> None:
        s = ScheduleDefinition(job=ingest, cron_schedule="@daily", run_config={"ops": {"nope": {}}})
        defs = make_defs(schedules=[s])
        result = evaluate_schedule(defs, s, store, InProcessRunLauncher(defs, store), datetime(2024, 1, 1, tzinfo=UTC))
        assert result.failed and "nope" in (result.tick.error or "")
        assert store.list_runs() == []
