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
