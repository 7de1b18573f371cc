"""Daylight saving time: spring-forward and fall-back days in Europe/Berlin and America/New_York,
plus whole-year comparisons against a brute-force minute-by-minute reference.

2026 transitions: Berlin 2026-03-29 02:00 -> 03:00 and 2026-10-25 03:00 -> 02:00;
New York 2026-03-08 02:00 -> 03:00 and 2026-11-01 02:00 -> 01:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aloft.partitions import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    PartitionKeyError,
    TimeWindowPartitionsDefinition,
)
from aloft.partitions._ticks import CalendarTicks, CronTicks, FixedMinuteTicks

LATER = datetime(2027, 1, 1)


def hours(seconds: float) -> float:
    return seconds / 3600


def window_hours(definition: TimeWindowPartitionsDefinition, key: str) -> float:
    window = definition.time_window_for_partition_key(key)
    return hours(window.end.timestamp() - window.start.timestamp())


def keys_on(definition: TimeWindowPartitionsDefinition, day: str) -> list[str]:
    return [key for key in definition.get_partition_keys(current_time=LATER) if key.startswith(day)]


# -- hourly ------------------------------------------------------------------------------


def test_berlin_spring_forward_has_no_two_oclock_hour() -> None:
    hourly = HourlyPartitionsDefinition("2026-03-28-00:00", timezone="Europe/Berlin")
    day = keys_on(hourly, "2026-03-29")
    assert len(day) == 23
    assert day[1:3] == ["2026-03-29-01:00", "2026-03-29-03:00"]
    assert window_hours(hourly, "2026-03-29-01:00") == 1
    assert hourly.time_window_for_partition_key("2026-03-29-01:00").end.isoformat() == (
        "2026-03-29T03:00:00+02:00"
    )
    assert not hourly.has_partition_key("2026-03-29-02:00", LATER)


def test_berlin_fall_back_has_two_two_oclock_hours() -> None:
    hourly = HourlyPartitionsDefinition("2026-10-24-00:00", timezone="Europe/Berlin")
    day = keys_on(hourly, "2026-10-25")
    assert len(day) == 25
    assert day[2:5] == ["2026-10-25-02:00", "2026-10-25-02:00+0100", "2026-10-25-03:00"]
    first = hourly.time_window_for_partition_key("2026-10-25-02:00")
    second = hourly.time_window_for_partition_key("2026-10-25-02:00+0100")
    assert first.start.isoformat() == "2026-10-25T02:00:00+02:00"
    assert second.start.isoformat() == "2026-10-25T02:00:00+01:00"
    assert first.end.timestamp() == second.start.timestamp()
    assert all(window_hours(hourly, key) == 1 for key in day)
    assert hourly.has_partition_key("2026-10-25-02:00+0100", LATER)
    # Only the repeated hour has a second key.
    assert not hourly.has_partition_key("2026-10-25-04:00+0100", LATER)


def test_new_york_spring_forward_hourly() -> None:
    hourly = HourlyPartitionsDefinition("2026-03-08-00:00", timezone="America/New_York")
    day = keys_on(hourly, "2026-03-08")
    assert len(day) == 23
    assert day[:4] == [
        "2026-03-08-00:00",
        "2026-03-08-01:00",
        "2026-03-08-03:00",
        "2026-03-08-04:00",
    ]
    with pytest.raises(PartitionKeyError) as caught:
        hourly.validate_partition_key("2026-03-08-02:00", asset_name="clicks", current_time=LATER)
    assert "is not the start of a window of the schedule '0 * * * *' in America/New_York" in str(
        caught.value
    )


def test_new_york_fall_back_hourly() -> None:
    hourly = HourlyPartitionsDefinition("2026-11-01-00:00", timezone="America/New_York")
    day = keys_on(hourly, "2026-11-01")
    assert len(day) == 25
    assert day[:4] == [
        "2026-11-01-00:00",
        "2026-11-01-01:00",
        "2026-11-01-01:00-0500",
        "2026-11-01-02:00",
    ]
    assert hourly.time_window_for_partition_key("2026-11-01-01:00-0500").end.isoformat() == (
        "2026-11-01T02:00:00-05:00"
    )


def test_last_hour_is_the_last_complete_one_across_the_fold() -> None:
    hourly = HourlyPartitionsDefinition("2026-11-01-00:00", timezone="America/New_York")
    # 06:30 UTC is 01:30 EST, inside the second 01:00 hour.
    inside_second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert hourly.get_last_partition_key(inside_second) == "2026-11-01-01:00"
    assert hourly.get_last_partition_key(inside_second + timedelta(hours=1)) == "2026-11-01-01:00-0500"


def test_half_hour_minute_offset_across_spring_forward() -> None:
    hourly = HourlyPartitionsDefinition(
        "2026-03-08-00:30", minute_offset=30, timezone="America/New_York"
    )
    assert keys_on(hourly, "2026-03-08")[:3] == [
        "2026-03-08-00:30",
        "2026-03-08-01:30",
        "2026-03-08-03:30",
    ]


# -- daily ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "short_day", "long_day"),
    [
        ("Europe/Berlin", "2026-03-29", "2026-10-25"),
        ("America/New_York", "2026-03-08", "2026-11-01"),
    ],
)
def test_daily_windows_are_23_and_25_hours(timezone: str, short_day: str, long_day: str) -> None:
    daily = DailyPartitionsDefinition("2026-01-01", timezone=timezone)
    assert window_hours(daily, short_day) == 23
    assert window_hours(daily, long_day) == 25
    assert window_hours(daily, "2026-06-01") == 24
    keys = daily.get_partition_keys(current_time=LATER)
    assert len(keys) == 365
    assert short_day in keys and long_day in keys


def test_daily_window_starts_at_local_midnight() -> None:
    daily = DailyPartitionsDefinition("2026-01-01", timezone="America/New_York")
    window = daily.time_window_for_partition_key("2026-11-01")
    assert window.start.isoformat() == "2026-11-01T00:00:00-04:00"
    assert window.end.isoformat() == "2026-11-02T00:00:00-05:00"


def test_daily_split_inside_the_gap_moves_to_the_end_of_the_gap() -> None:
    daily = DailyPartitionsDefinition(
        "2026-03-01", hour_offset=2, minute_offset=30, timezone="America/New_York"
    )
    window = daily.time_window_for_partition_key("2026-03-08")
    assert window.start.isoformat() == "2026-03-08T03:00:00-04:00"
    assert window.end.isoformat() == "2026-03-09T02:30:00-04:00"
    assert daily.time_window_for_partition_key("2026-03-07").end == window.start


def test_daily_split_inside_the_fold_takes_the_second_occurrence() -> None:
    daily = DailyPartitionsDefinition(
        "2026-10-01", hour_offset=2, minute_offset=30, timezone="Europe/Berlin"
    )
    window = daily.time_window_for_partition_key("2026-10-25")
    assert window.start.isoformat() == "2026-10-25T02:30:00+01:00"
    assert window_hours(daily, "2026-10-24") == 25


def test_last_daily_partition_follows_local_midnight() -> None:
    daily = DailyPartitionsDefinition("2026-01-01", timezone="Europe/Berlin")
    # 23:30 UTC on Mar 28 is 00:30 on Mar 29 in Berlin (still winter time).
    assert daily.get_last_partition_key(datetime(2026, 3, 28, 23, 30, tzinfo=UTC)) == "2026-03-28"
    assert daily.get_last_partition_key(datetime(2026, 3, 28, 22, 59, tzinfo=UTC)) == "2026-03-27"


def test_midnight_gap_in_santiago() -> None:
    # Chile springs forward at midnight: 2026-09-06 has no 00:00, the day starts at 01:00.
    daily = DailyPartitionsDefinition("2026-09-01", timezone="America/Santiago")
    window = daily.time_window_for_partition_key("2026-09-06")
    assert window.start.isoformat() == "2026-09-06T01:00:00-03:00"
    assert window_hours(daily, "2026-09-06") == 23


# -- other cron schedules in DST zones -----------------------------------------------


def test_every_half_hour_fires_in_both_folds() -> None:
    half = TimeWindowPartitionsDefinition(
        cron_schedule="*/30 * * * *",
        start="2026-11-01-00:00",
        fmt="%Y-%m-%d-%H:%M",
        timezone="America/New_York",
    )
    assert half.get_partition_keys(current_time=datetime(2026, 11, 1, 7, 30, tzinfo=UTC)) == [
        "2026-11-01-00:00",
        "2026-11-01-00:30",
        "2026-11-01-01:00",
        "2026-11-01-01:30",
        "2026-11-01-01:00-0500",
        "2026-11-01-01:30-0500",
        "2026-11-01-02:00",
    ]


def test_hour_list_schedule_follows_the_daily_dst_rules() -> None:
    early = TimeWindowPartitionsDefinition(
        cron_schedule="0 1-3 * * *",
        start="2026-03-07-00:00",
        fmt="%Y-%m-%d-%H:%M",
        timezone="America/New_York",
    )
    # The 02:00 tick falls in the gap and moves to 03:00, which is already a tick.
    assert [key for key in early.get_partition_keys(current_time=LATER) if "03-08" in key] == [
        "2026-03-08-01:00",
        "2026-03-08-03:00",
    ]
    fall = TimeWindowPartitionsDefinition(
        cron_schedule="0 1-3 * * *",
        start="2026-10-31-00:00",
        fmt="%Y-%m-%d-%H:%M",
        timezone="America/New_York",
    )
    # 01:00 happens twice; a schedule that is not hourly fires at the second one only.
    assert fall.time_window_for_partition_key("2026-11-01-01:00").start.isoformat() == (
        "2026-11-01T01:00:00-05:00"
    )


def test_half_hour_dst_zone_uses_the_exact_path() -> None:
    # Lord Howe Island moves its clocks by 30 minutes, so hours are not fixed steps there.
    hourly = HourlyPartitionsDefinition("2026-10-03-00:00", timezone="Australia/Lord_Howe")
    assert isinstance(hourly._ticks, CronTicks)
    keys = keys_on(hourly, "2026-10-04")
    # 02:00 -> 02:30 on 2026-10-04: the 01:00 window lasts 1.5 hours and 02:00 does not exist.
    assert keys[1:3] == ["2026-10-04-01:00", "2026-10-04-03:00"]
    assert window_hours(hourly, "2026-10-04-01:00") == 1.5


# -- whole years against a brute-force reference -----------------------------------


# The zones below change offsets on whole or half hours, so scanning UTC in 15-minute (hourly)
# or 5-minute (daily, targets on multiples of 5 minutes) steps sees every boundary.


def reference_hourly(tz: ZoneInfo, minute: int, start: datetime, stop: datetime) -> list[datetime]:
    """Every instant, in UTC steps, whose local wall clock shows ``minute`` past the hour."""
    found = []
    moment = start
    while moment < stop:
        local = moment.astimezone(tz)
        if local.minute == minute:
            found.append(local)
        moment += timedelta(minutes=15)
    return found


def reference_daily(tz: ZoneInfo, hour: int, minute: int, day: date) -> datetime:
    """Dagster's rule found by scanning: the last instant showing the time, else the first after."""
    target = datetime.combine(day, datetime.min.time()).replace(hour=hour, minute=minute)
    noon_offset = datetime(day.year, day.month, day.day, 12, tzinfo=tz).utcoffset()
    assert noon_offset is not None
    guess = (target - noon_offset).replace(tzinfo=UTC) - timedelta(hours=3)
    showing, after = [], []
    for step in range(6 * 12):
        moment = guess + timedelta(minutes=5 * step)
        wall = moment.astimezone(tz).replace(tzinfo=None)
        if wall == target:
            showing.append(moment)
        elif wall > target:
            after.append(moment)
    return (showing[-1] if showing else after[0]).astimezone(tz)


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
def test_hourly_matches_the_reference_for_a_year(timezone: str) -> None:
    tz = ZoneInfo(timezone)
    hourly = HourlyPartitionsDefinition(datetime(2026, 1, 1), timezone=timezone)
    start, stop = datetime(2026, 1, 1, tzinfo=tz), datetime(2027, 1, 1, tzinfo=tz)
    expected = reference_hourly(tz, 0, start.astimezone(UTC), stop.astimezone(UTC))
    count = hourly.get_num_partitions(stop)
    assert count == len(expected)
    assert [hourly._ticks.tick(i).timestamp() for i in range(count)] == [
        e.timestamp() for e in expected
    ]
    keys = hourly.get_partition_keys(current_time=stop)
    assert len(set(keys)) == count
    assert all(hourly.has_partition_key(key, stop) for key in keys[::97])


@pytest.mark.parametrize(
    ("timezone", "hour", "minute"),
    [
        ("Europe/Berlin", 0, 0),
        ("Europe/Berlin", 2, 30),
        ("America/New_York", 1, 30),
        ("America/New_York", 2, 0),
        ("America/Santiago", 0, 0),
        ("Australia/Lord_Howe", 2, 15),
    ],
)
def test_daily_matches_the_reference_for_a_year(timezone: str, hour: int, minute: int) -> None:
    tz = ZoneInfo(timezone)
    daily = DailyPartitionsDefinition(
        "2026-01-01", hour_offset=hour, minute_offset=minute, timezone=timezone
    )
    assert isinstance(daily._ticks, CalendarTicks)
    for offset in range(366):
        day = date(2026, 1, 1) + timedelta(days=offset)
        assert daily._ticks.tick(offset) == reference_daily(tz, hour, minute, day), day
        assert daily._ticks.tick(offset).timestamp() == reference_daily(tz, hour, minute, day).timestamp()


def test_fixed_step_and_exact_paths_agree() -> None:
    tz = ZoneInfo("America/New_York")
    hourly = HourlyPartitionsDefinition(datetime(2026, 1, 1), timezone="America/New_York")
    assert isinstance(hourly._ticks, FixedMinuteTicks)
    from aloft.partitions._ticks import parse_cron_schedule

    exact = CronTicks(tz, parse_cron_schedule("0 * * * *"), hourly.start)
    fast = hourly._ticks
    assert [exact.tick(i).timestamp() for i in range(-50, 9000)] == [
        fast.tick(i).timestamp() for i in range(-50, 9000)
    ]
    for moment in (datetime(2026, 3, 8, 7, 30, tzinfo=UTC), datetime(2026, 11, 1, 6, 0, tzinfo=UTC)):
        assert exact.index_at(moment.timestamp()) == fast.index_at(moment.timestamp())


def test_start_times_of_many_keys_match_one_by_one_across_both_changes() -> None:
    hours = HourlyPartitionsDefinition("2026-03-07-00:00", timezone="America/New_York")
    keys = hours.get_partition_keys(current_time=datetime(2026, 11, 3, tzinfo=UTC))
    one_by_one = [hours.start_time_for_partition_key(key) for key in keys]
    assert hours.start_times_for_partition_keys(keys) == one_by_one  # consecutive: one parse
    picked = [keys[5], keys[0], keys[-30]]  # not consecutive: each key parsed
    assert hours.start_times_for_partition_keys(picked) == [one_by_one[5], one_by_one[0], one_by_one[-30]]
    spring = [t for t in one_by_one if t.date() == date(2026, 3, 8)]
    assert len(spring) == 23 and all(t.tzinfo is not None for t in spring)
