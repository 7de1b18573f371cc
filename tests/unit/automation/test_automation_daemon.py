"""The local daemon driven by a fake clock: schedule ticks (DST, catch-up), sensor intervals, automation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from automation_project import ingest, make_defs

from aloft import asset
from aloft.automation.conditions import AutomationCondition
from aloft.automation.daemon import AutomationDaemon, FakeClock, schedule_cursor_name
from aloft.automation.launcher import InProcessRunLauncher
from aloft.automation.run_request import DefaultScheduleStatus, DefaultSensorStatus, RunRequest
from aloft.automation.schedule import ScheduleDefinition
from aloft.automation.sensor import sensor
from aloft.storage.records import RunTrigger, TickStatus

RUNNING = DefaultScheduleStatus.RUNNING


def _daemon(defs: Any, store: Any, clock: FakeClock, **kwargs: Any) -> AutomationDaemon:
    return AutomationDaemon(defs, store, InProcessRunLauncher(defs, store), clock=clock.now, sleep=clock.sleep, **kwargs)


def test_a_schedule_fires_on_its_ticks_across_the_berlin_dst_change(store: Any) -> None:
    nightly = ScheduleDefinition(name="nightly", job=ingest, cron_schedule="30 2 * * *",
                                 execution_timezone="Europe/Berlin", default_status=RUNNING)
    defs = make_defs(schedules=[nightly])
    clock = FakeClock(datetime(2024, 3, 29, 12, tzinfo=UTC))
    daemon = _daemon(defs, store, clock, interval_seconds=3600)
    daemon.run(iterations=24 * 4)  # four days, one pass an hour
    runs = sorted(store.list_runs(), key=lambda r: r.created_at)
    times = [r.tags["aloft/scheduled_time"] for r in runs]
    assert times == ["2024-03-30T01:30:00Z", "2024-04-01T00:30:00Z", "2024-04-02T00:30:00Z"]
    assert {r.trigger for r in runs} == {RunTrigger.SCHEDULE}


def test_the_first_pass_starts_with_the_next_tick(store: Any) -> None:
    hourly = ScheduleDefinition(name="hourly", job=ingest, cron_schedule="0 * * * *", default_status=RUNNING)
    defs = make_defs(schedules=[hourly])
    clock = FakeClock(datetime(2024, 1, 1, 10, 30, tzinfo=UTC))
    daemon = _daemon(defs, store, clock)
    assert daemon.run_once().schedule_ticks == []
    clock.advance(minutes=31)
    (tick,) = daemon.run_once().schedule_ticks
    assert tick.tick.status == TickStatus.SUCCESS


def test_downtime_catches_up_a_bounded_number_of_ticks(store: Any) -> None:
    hourly = ScheduleDefinition(name="hourly", job=ingest, cron_schedule="0 * * * *", default_status=RUNNING)
    defs = make_defs(schedules=[hourly])
    store.set_sensor_cursor(schedule_cursor_name("hourly"), datetime(2024, 1, 1, tzinfo=UTC).isoformat())
    clock = FakeClock(datetime(2024, 1, 1, 10, 5, tzinfo=UTC))
    iteration = _daemon(defs, store, clock, max_catchup_ticks=3).run_once()
    assert len(iteration.schedule_ticks) == 3
    assert [r.tags["aloft/scheduled_time"][11:16] for r in sorted(store.list_runs(), key=lambda r: r.created_at)] == [
        "08:00", "09:00", "10:00",
    ]
    skipped = [t for t in store.list_ticks("hourly") if t.status == TickStatus.SKIPPED]
    assert len(skipped) == 1 and "skipped 7 tick(s)" in (skipped[0].skip_reason or "")


def test_stopped_schedules_and_sensors_do_not_run_unless_included(store: Any) -> None:
    stopped = ScheduleDefinition(name="stopped", job=ingest, cron_schedule="* * * * *")
    defs = make_defs(schedules=[stopped])
    clock = FakeClock(datetime(2024, 1, 1, tzinfo=UTC))
    assert _daemon(defs, store, clock).schedules == []
    assert [s.name for s in _daemon(defs, store, clock, include_stopped=True).schedules] == ["stopped"]


def test_sensors_respect_their_interval(store: Any) -> None:
    calls: list[datetime] = []

    @sensor(job=ingest, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
    def poller(context: Any) -> RunRequest:
        calls.append(clock.now())
        return RunRequest(run_key=str(len(calls)))

    defs = make_defs(sensors=[poller])
    clock = FakeClock(datetime(2024, 1, 1, tzinfo=UTC))
    _daemon(defs, store, clock, interval_seconds=15).run(iterations=9)  # two minutes
    assert [c.second + 60 * c.minute for c in calls] == [0, 60, 120]
    assert len(store.list_runs()) == 3


def test_a_finished_run_triggers_eager_assets_in_the_next_pass(store: Any) -> None:
    @asset(automation_condition=AutomationCondition.eager())
    def summary(revenue: int) -> str:
        return f"revenue {revenue}"

    from automation_project import orders, revenue

    from aloft import define_asset_job

    load = define_asset_job("load", selection="orders+ and not summary")
    hourly = ScheduleDefinition(name="hourly", job=load, cron_schedule="0 * * * *", default_status=RUNNING)
    defs = make_defs(assets=[orders, revenue, summary], jobs=[load], schedules=[hourly])
    store.set_sensor_cursor(schedule_cursor_name("hourly"), datetime(2024, 1, 1, tzinfo=UTC).isoformat())
    clock = FakeClock(datetime(2024, 1, 1, 0, 30, tzinfo=UTC))
    daemon = _daemon(defs, store, clock, automation_interval_seconds=3600)
    clock.advance(minutes=31)
    first = daemon.run_once()
    assert len(first.schedule_ticks[0].new_run_ids) == 1
    eager = [launch.run for result in first.automation for launch in result.launches if launch.created]
    assert [r.selection for r in eager] == [("summary",)]
    assert store.latest_materialization(summary.key) is not None


def test_a_failing_part_does_not_stop_the_daemon(store: Any, monkeypatch: Any) -> None:
    @sensor(job=ingest, minimum_interval_seconds=1, default_status=DefaultSensorStatus.RUNNING)
    def fine(context: Any) -> None:
        return None

    defs = make_defs(sensors=[fine])
    clock = FakeClock(datetime(2024, 1, 1, tzinfo=UTC))
    daemon = _daemon(defs, store, clock)

    def broken(now: Any, iteration: Any) -> None:
        raise RuntimeError("schedules broke")

    monkeypatch.setattr(daemon, "_schedules", broken)
    iterations = daemon.run(iterations=2)
    assert all(len(i.sensor_ticks) == 1 for i in iterations)


def test_stop_ends_an_unbounded_run_after_the_pass(store: Any) -> None:
    passes: list[datetime] = []

    @sensor(job=ingest, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
    def stopper(context: Any) -> None:
        passes.append(clock.now())
        if len(passes) == 3:
            daemon.stop()

    defs = make_defs(sensors=[stopper])
    clock = FakeClock(datetime(2024, 1, 1, tzinfo=UTC))
    daemon = _daemon(defs, store, clock, interval_seconds=30)
    assert daemon.run() == []  # unbounded: returns once stopped, keeping no passes
    assert daemon.stopping and len(passes) == 3
    assert clock.now() == datetime(2024, 1, 1, 0, 1, tzinfo=UTC)  # no sleep after the stopping pass
    assert daemon.run(iterations=5) == []  # a stopped daemon does not start again


def test_the_default_sleep_returns_at_once_when_stopped(store: Any) -> None:
    import time

    defs = make_defs()
    daemon = AutomationDaemon(defs, store, InProcessRunLauncher(defs, store), interval_seconds=3600)
    daemon.stop()  # e.g. from a signal handler while the daemon sleeps
    started = time.monotonic()
    daemon.sleep(3600)
    assert time.monotonic() - started < 1


def test_any_launcher_that_reports_finished_runs_feeds_eager_automation(store: Any) -> None:
    class Reporting:
        on_run_finished: Any = None

        def launch(self, request: Any) -> Any:
            raise AssertionError("not called")

    launcher = Reporting()
    daemon = AutomationDaemon(make_defs(), store, launcher)
    assert launcher.on_run_finished == daemon.notify_run_finished


def test_describe_names_what_runs_and_what_feeds_s3_sensors(store: Any) -> None:
    from aloft.automation.daemon import SqsEventSource
    from aloft.automation.s3 import s3_sensor

    @s3_sensor(bucket="landing", prefix="in/", suffix=".csv", job=ingest, default_status=DefaultSensorStatus.RUNNING)
    def landed(context: Any, s3_event: Any) -> None:
        return None

    @sensor(job=ingest)
    def idle(context: Any) -> None:
        return None

    stopped = ScheduleDefinition(name="weekly", job=ingest, cron_schedule="0 0 * * 0")
    defs = make_defs(sensors=[landed, idle], schedules=[stopped])
    clock = FakeClock(datetime(2024, 1, 1, tzinfo=UTC))
    source = SqsEventSource(client=None, queue_url="https://sqs.us-east-1.amazonaws.com/1/aloft-dev-s3-events")
    lines = _daemon(defs, store, clock, event_sources=[source]).describe()
    assert lines == [
        "no schedules running",
        "sensor landed: s3://landing/in/*.csv -> job ingest; events from SQS queue aloft-dev-s3-events",
        "stopped by default (--include-stopped runs them): idle, weekly",
        "automation: no asset has a condition or a freshness policy",
    ]
    everything = _daemon(defs, store, clock, include_stopped=True).describe()
    assert everything[0] == "schedule weekly: 0 0 * * 0 (UTC) -> job ingest; next tick 2024-01-07T00:00:00+00:00"
    assert everything[1] == "sensor idle: every 30s -> job ingest"


def test_an_unreadable_schedule_cursor_restarts_from_now_without_a_burst(store: Any, caplog: Any) -> None:
    hourly = ScheduleDefinition(name="hourly", job=ingest, cron_schedule="0 * * * *", default_status=RUNNING)
    defs = make_defs(schedules=[hourly])
    store.set_sensor_cursor(schedule_cursor_name("hourly"), "last tuesday")
    clock = FakeClock(datetime(2024, 1, 1, 10, 30, tzinfo=UTC))
    daemon = _daemon(defs, store, clock)
    assert daemon.run_once().schedule_ticks == []
    assert "unreadable daemon cursor 'last tuesday'" in caplog.text
    assert store.get_sensor_cursor(schedule_cursor_name("hourly")) == clock.now().isoformat()
    clock.advance(minutes=31)
    assert len(daemon.run_once().schedule_ticks) == 1  # then the next tick fires as usual
