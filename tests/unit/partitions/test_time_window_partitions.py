"""Time-window partitions: listing, offsets, bounds, keys, windows and their errors."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aloft.errors import DefinitionError
from aloft.partitions import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    PartitionKeyError,
    PartitionKeyRange,
    PartitionsDefinitionError,
    ScheduleType,
    TimeWindow,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

NOV_21 = datetime(2026, 11, 21, 9, 30)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- daily ---------------------------------------------------------------------------


def test_daily_keys_end_with_the_last_complete_day() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01")
    keys = daily.get_partition_keys(current_time=NOV_21)
    assert keys[:2] == ["2026-01-01", "2026-01-02"]
    assert keys[-1] == "2026-11-20"
    assert len(keys) == (date(2026, 11, 21) - date(2026, 1, 1)).days
    assert daily.get_num_partitions(current_time=NOV_21) == len(keys)


def test_a_day_exists_only_once_it_has_ended() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01")
    assert daily.get_last_partition_key(datetime(2026, 1, 3, 23, 59)) == "2026-01-02"
    assert daily.get_last_partition_key(datetime(2026, 1, 4)) == "2026-01-03"
    assert daily.get_partition_keys(current_time=datetime(2026, 1, 1, 12)) == []
    assert daily.get_first_partition_key(datetime(2026, 1, 1, 12)) is None
    assert daily.get_last_partition_key(datetime(2025, 6, 1)) is None


def test_current_time_in_another_timezone_is_converted() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01")
    # 01:00 in Berlin on Jan 4 is still Jan 3 in UTC.
    berlin_time = datetime(2026, 1, 4, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert daily.get_last_partition_key(berlin_time) == "2026-01-02"


def test_ten_thousand_daily_keys_are_consecutive_days() -> None:
    daily = DailyPartitionsDefinition(start_date="2000-01-01", timezone="Europe/Berlin")
    keys = daily.get_partition_keys(current_time=datetime(2027, 5, 19))
    expected = [(date(2000, 1, 1) + timedelta(days=i)).isoformat() for i in range(10_000)]
    assert keys == expected


def test_daily_hour_and_minute_offsets_split_the_day() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01", hour_offset=6, minute_offset=15)
    assert daily.cron_schedule == "15 6 * * *"
    assert daily.get_partition_keys(current_time=datetime(2026, 1, 3, 6, 14)) == ["2026-01-01"]
    assert daily.get_partition_keys(current_time=datetime(2026, 1, 3, 6, 15)) == [
        "2026-01-01",
        "2026-01-02",
    ]
    window = daily.time_window_for_partition_key("2026-01-02")
    assert window == TimeWindow(utc(2026, 1, 2, 6, 15), utc(2026, 1, 3, 6, 15))


def test_start_after_the_time_of_day_skips_to_the_next_window() -> None:
    daily = DailyPartitionsDefinition(start_date=datetime(2026, 1, 1, 7), hour_offset=6)
    assert daily.get_first_partition_key(datetime(2026, 1, 10)) == "2026-01-02"


def test_end_date_is_exclusive() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-04")
    assert daily.get_partition_keys(current_time=NOV_21) == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert not daily.has_partition_key("2026-01-04", current_time=NOV_21)
    # Before the end, the current time still limits the set.
    assert daily.get_partition_keys(current_time=datetime(2026, 1, 3)) == ["2026-01-01", "2026-01-02"]


def test_end_offset_adds_the_partitions_after_the_last_complete_one() -> None:
    now = datetime(2026, 1, 3, 12)
    assert DailyPartitionsDefinition("2026-01-01", end_offset=1).get_partition_keys(
        current_time=now
    ) == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert DailyPartitionsDefinition("2026-01-01", end_offset=2).get_last_partition_key(now) == (
        "2026-01-04"
    )
    assert DailyPartitionsDefinition("2026-01-01", end_offset=-1).get_partition_keys(
        current_time=now
    ) == ["2026-01-01"]
    assert DailyPartitionsDefinition("2026-01-01", end_offset=-5).get_partition_keys(
        current_time=now
    ) == []


def test_end_offset_counts_from_the_start_when_nothing_is_complete() -> None:
    daily = DailyPartitionsDefinition("2026-01-01", end_offset=1)
    assert daily.get_partition_keys(current_time=datetime(2026, 1, 1, 8)) == ["2026-01-01"]
    assert daily.get_partition_keys(current_time=datetime(2025, 12, 1)) == ["2026-01-01"]


def test_end_date_wins_over_end_offset() -> None:
    daily = DailyPartitionsDefinition("2026-01-01", end_date="2026-01-03", end_offset=5)
    assert daily.get_partition_keys(current_time=datetime(2026, 1, 2, 1)) == ["2026-01-01", "2026-01-02"]


def test_naive_aware_and_date_starts() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    naive = DailyPartitionsDefinition(datetime(2026, 1, 1), timezone="Europe/Berlin")
    assert naive.start == datetime(2026, 1, 1, tzinfo=berlin)
    # As in Dagster, an aware start keeps its wall-clock time in the definition's timezone.
    new_york_midnight = datetime(2026, 1, 1, tzinfo=ZoneInfo("America/New_York"))
    tokyo = DailyPartitionsDefinition(new_york_midnight, timezone="Asia/Tokyo")
    assert tokyo.start == datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert tokyo.get_first_partition_key(datetime(2026, 2, 1)) == "2026-01-01"
    assert DailyPartitionsDefinition(date(2026, 1, 1)) == DailyPartitionsDefinition("2026-01-01")


def test_custom_date_format() -> None:
    daily = DailyPartitionsDefinition(start_date="20260101", fmt="%Y%m%d")
    assert daily.get_partition_keys(current_time=datetime(2026, 1, 3)) == ["20260101", "20260102"]
    assert daily.has_partition_key("20260102", datetime(2026, 1, 3))
    assert not daily.has_partition_key("2026-01-02", datetime(2026, 1, 3))


# -- hourly, weekly, monthly, cron -------------------------------------------------


def test_hourly_keys_and_minute_offset() -> None:
    hourly = HourlyPartitionsDefinition(start_date="2026-01-01-00:00")
    assert hourly.get_partition_keys(current_time=datetime(2026, 1, 1, 3)) == [
        "2026-01-01-00:00",
        "2026-01-01-01:00",
        "2026-01-01-02:00",
    ]
    offset = HourlyPartitionsDefinition(start_date="2026-01-01-00:00", minute_offset=45)
    assert offset.get_partition_keys(current_time=datetime(2026, 1, 1, 2, 50)) == [
        "2026-01-01-00:45",
        "2026-01-01-01:45",
    ]
    assert offset.time_window_for_partition_key("2026-01-01-01:45").end == utc(2026, 1, 1, 2, 45)


def test_hourly_accepts_a_plain_start_date() -> None:
    hourly = HourlyPartitionsDefinition(start_date="2026-01-01")
    assert hourly.get_first_partition_key(datetime(2026, 1, 2)) == "2026-01-01-00:00"


def test_hourly_keys_outside_the_schedule_are_rejected() -> None:
    hourly = HourlyPartitionsDefinition(start_date="2026-01-01-00:00")
    now = datetime(2026, 1, 2)
    assert hourly.has_partition_key("2026-01-01-05:00", now)
    assert not hourly.has_partition_key("2026-01-01-05:30", now)
    assert not hourly.has_partition_key("2026-01-01-5:00", now)


def test_weekly_day_offset() -> None:
    mondays = WeeklyPartitionsDefinition(start_date="2026-01-01", day_offset=1)
    assert mondays.cron_schedule == "0 0 * * 1"
    assert mondays.get_partition_keys(current_time=datetime(2026, 1, 26)) == [
        "2026-01-05",
        "2026-01-12",
        "2026-01-19",
    ]
    assert mondays.time_window_for_partition_key("2026-01-05") == TimeWindow(
        utc(2026, 1, 5), utc(2026, 1, 12)
    )
    assert not mondays.has_partition_key("2026-01-06", datetime(2026, 3, 1))


def test_weekly_default_starts_on_sunday() -> None:
    weekly = WeeklyPartitionsDefinition(start_date="2026-01-01")
    assert weekly.get_first_partition_key(datetime(2026, 3, 1)) == "2026-01-04"
    assert date(2026, 1, 4).weekday() == 6


def test_monthly_partitions_and_day_offset() -> None:
    monthly = MonthlyPartitionsDefinition(start_date="2026-01-01")
    assert monthly.get_partition_keys(current_time=datetime(2026, 4, 1)) == [
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
    ]
    mid = MonthlyPartitionsDefinition(start_date="2026-01-01", day_offset=15, hour_offset=3)
    assert mid.get_first_partition_key(datetime(2027, 1, 1)) == "2026-01-15"
    assert mid.time_window_for_partition_key("2026-02-15") == TimeWindow(
        utc(2026, 2, 15, 3), utc(2026, 3, 15, 3)
    )
    assert mid.get_num_partitions(datetime(2027, 1, 1)) == 11


def test_monthly_on_the_31st_skips_short_months_like_cron() -> None:
    monthly = MonthlyPartitionsDefinition(start_date="2026-01-01", day_offset=31)
    assert monthly.get_partition_keys(current_time=datetime(2026, 8, 30)) == [
        "2026-01-31",
        "2026-03-31",
        "2026-05-31",
    ]
    assert monthly.time_window_for_partition_key("2026-01-31").end == utc(2026, 3, 31)


def test_custom_cron_schedule() -> None:
    weekdays = TimeWindowPartitionsDefinition(
        cron_schedule="0 0 * * 1-5", start="2026-01-01", fmt="%Y-%m-%d"
    )
    # 2026-01-03 and 2026-01-04 are a weekend: Friday's window runs until Monday.
    assert weekdays.get_partition_keys(current_time=datetime(2026, 1, 7)) == [
        "2026-01-01",
        "2026-01-02",
        "2026-01-05",
        "2026-01-06",
    ]
    assert weekdays.time_window_for_partition_key("2026-01-02").end == utc(2026, 1, 5)
    assert not weekdays.has_partition_key("2026-01-03", datetime(2026, 1, 7))
    assert weekdays.schedule_type is None


def test_far_away_keys_are_rejected_without_walking_the_schedule() -> None:
    weekdays = TimeWindowPartitionsDefinition(
        cron_schedule="*/5 9-17 * * 1-5", start="2026-01-01-00:00", fmt="%Y-%m-%d-%H:%M"
    )
    now = datetime(2026, 1, 2)
    started = time.perf_counter()
    assert not weekdays.has_partition_key("9999-01-04-09:00", now)
    assert not weekdays.has_partition_key("1900-01-01-09:00", now)
    with pytest.raises(PartitionKeyError, match="9999-01-04-09:00 is after the last partition"):
        weekdays.validate_partition_key("9999-01-04-09:00", current_time=now)
    assert time.perf_counter() - started < 5  # walking to year 9999 would take minutes
    assert weekdays.has_partition_key("2026-01-01-09:05", now)
    assert not weekdays.has_partition_key("2026-01-01-08:55", now)


def test_every_six_hours() -> None:
    six = TimeWindowPartitionsDefinition(
        cron_schedule="0 */6 * * *", start="2026-01-01-00:00", fmt="%Y-%m-%d-%H:%M"
    )
    assert six.get_partition_keys(current_time=datetime(2026, 1, 2, 1)) == [
        "2026-01-01-00:00",
        "2026-01-01-06:00",
        "2026-01-01-12:00",
        "2026-01-01-18:00",
    ]
    assert six.time_window_for_partition_key("2026-01-01-18:00").end == utc(2026, 1, 2)


def test_every_fifteen_minutes() -> None:
    quarter = TimeWindowPartitionsDefinition(
        cron_schedule="*/15 * * * *", start="2026-01-01-00:00", fmt="%Y-%m-%d-%H:%M"
    )
    assert quarter.get_num_partitions(datetime(2026, 1, 2)) == 96
    assert quarter.get_last_partition_key(datetime(2026, 1, 1, 1, 10)) == "2026-01-01-00:45"
    assert quarter.has_partition_key("2026-01-01-00:30", datetime(2026, 1, 2))
    assert not quarter.has_partition_key("2026-01-01-00:20", datetime(2026, 1, 2))


# -- lookups -------------------------------------------------------------------------


def test_partition_keys_in_range() -> None:
    daily = DailyPartitionsDefinition("2026-01-01")
    assert daily.get_partition_keys_in_range(
        PartitionKeyRange("2026-02-27", "2026-03-02"), current_time=NOV_21
    ) == ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
    assert daily.get_partition_keys_in_range(
        PartitionKeyRange("2026-02-27", "2026-02-27"), current_time=NOV_21
    ) == ["2026-02-27"]


def test_reversed_range_is_an_error() -> None:
    daily = DailyPartitionsDefinition("2026-01-01")
    with pytest.raises(PartitionKeyError, match="is reversed: 2026-03-02 comes after 2026-02-27"):
        daily.get_partition_keys_in_range(
            PartitionKeyRange("2026-03-02", "2026-02-27"), current_time=NOV_21
        )


def test_range_with_a_missing_end_is_an_error() -> None:
    daily = DailyPartitionsDefinition("2026-01-01")
    with pytest.raises(PartitionKeyError, match="2026-12-31 is not a partition"):
        daily.get_partition_keys_in_range(
            PartitionKeyRange("2026-02-27", "2026-12-31"), current_time=NOV_21
        )


def test_partition_key_for_timestamp() -> None:
    daily = DailyPartitionsDefinition("2026-01-01")
    assert daily.get_partition_key_for_timestamp(utc(2026, 3, 5, 23, 59).timestamp()) == "2026-03-05"
    midnight = utc(2026, 3, 5).timestamp()
    assert daily.get_partition_key_for_timestamp(midnight) == "2026-03-05"
    assert daily.get_partition_key_for_timestamp(midnight, end_closed=True) == "2026-03-04"


def test_next_partition_key() -> None:
    daily = DailyPartitionsDefinition("2026-01-01")
    assert daily.get_next_partition_key("2026-02-28", NOV_21) == "2026-03-01"
    assert daily.get_next_partition_key("2026-11-20", NOV_21) is None


def test_first_and_last_windows() -> None:
    daily = DailyPartitionsDefinition("2026-01-01")
    assert daily.get_first_partition_window(NOV_21) == TimeWindow(utc(2026, 1, 1), utc(2026, 1, 2))
    assert daily.get_last_partition_window(NOV_21) == TimeWindow(utc(2026, 11, 20), utc(2026, 11, 21))
    assert daily.get_last_partition_window(datetime(2026, 1, 1)) is None


def test_start_and_end_time_for_key() -> None:
    daily = DailyPartitionsDefinition("2026-01-01", hour_offset=6)
    assert daily.start_time_for_partition_key("2026-01-05") == utc(2026, 1, 5, 6)
    assert daily.end_time_for_partition_key("2026-01-05") == utc(2026, 1, 6, 6)


def test_keys_in_a_time_window() -> None:
    hourly = HourlyPartitionsDefinition("2026-01-01-00:00")
    keys = hourly.get_partition_keys_in_time_window(TimeWindow(utc(2026, 1, 1, 22), utc(2026, 1, 2, 1)))
    assert keys == ["2026-01-01-22:00", "2026-01-01-23:00", "2026-01-02-00:00"]


def test_cron_schedule_for_a_job() -> None:
    daily = DailyPartitionsDefinition("2026-01-01")
    assert daily.get_cron_schedule() == "0 0 * * *"
    assert daily.get_cron_schedule(hour_of_day=2, minute_of_hour=30) == "30 2 * * *"
    weekly = WeeklyPartitionsDefinition("2026-01-01", day_offset=1)
    assert weekly.get_cron_schedule(hour_of_day=5) == "0 5 * * 1"
    with pytest.raises(PartitionsDefinitionError, match="hourly partitions cannot set hour_of_day"):
        HourlyPartitionsDefinition("2026-01-01-00:00").get_cron_schedule(hour_of_day=1)


def test_schedule_type_and_offsets() -> None:
    assert HourlyPartitionsDefinition("2026-01-01-00:00").schedule_type is ScheduleType.HOURLY
    assert DailyPartitionsDefinition("2026-01-01").schedule_type is ScheduleType.DAILY
    weekly = WeeklyPartitionsDefinition("2026-01-01", minute_offset=5, hour_offset=4, day_offset=3)
    assert (weekly.schedule_type, weekly.minute_offset, weekly.hour_offset, weekly.day_offset) == (
        ScheduleType.WEEKLY,
        5,
        4,
        3,
    )
    assert MonthlyPartitionsDefinition("2026-01-01", day_offset=7).day_offset == 7
    with pytest.raises(PartitionsDefinitionError, match="no day offset"):
        _ = DailyPartitionsDefinition("2026-01-01").day_offset


# -- values --------------------------------------------------------------------------


def test_definitions_are_immutable_values() -> None:
    daily = DailyPartitionsDefinition("2026-01-01", timezone="Europe/Berlin")
    assert daily == DailyPartitionsDefinition("2026-01-01", timezone="Europe/Berlin")
    assert daily != DailyPartitionsDefinition("2026-01-02", timezone="Europe/Berlin")
    assert daily != DailyPartitionsDefinition("2026-01-01")
    assert hash(daily) == hash(DailyPartitionsDefinition("2026-01-01", timezone="Europe/Berlin"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        daily.end_offset = 3  # type: ignore[misc]


def test_definitions_survive_pickle_and_deepcopy() -> None:
    daily = DailyPartitionsDefinition("2026-01-01", timezone="Europe/Berlin")
    daily.get_partition_keys(current_time=NOV_21)  # fills the caches
    for clone in (pickle.loads(pickle.dumps(daily)), copy.deepcopy(daily)):
        assert clone == daily
        assert clone.get_partition_keys(current_time=NOV_21) == daily.get_partition_keys(
            current_time=NOV_21
        )


def test_reprs_show_the_arguments() -> None:
    assert repr(DailyPartitionsDefinition("2026-01-01")) == (
        "DailyPartitionsDefinition(start_date='2026-01-01')"
    )
    assert repr(
        HourlyPartitionsDefinition(
            "2026-01-01-00:00", minute_offset=15, timezone="Europe/Berlin", end_offset=1
        )
    ) == (
        "HourlyPartitionsDefinition(start_date='2026-01-01-00:00', minute_offset=15,"
        " timezone='Europe/Berlin', end_offset=1)"
    )
    assert repr(
        TimeWindowPartitionsDefinition(
            cron_schedule="0 0 * * 1-5", start="2026-01-01", fmt="%Y-%m-%d", end="2026-02-01"
        )
    ) == (
        "TimeWindowPartitionsDefinition(cron_schedule='0 0 * * 1-5', start='2026-01-01',"
        " fmt='%Y-%m-%d', end='2026-02-01')"
    )
    assert str(DailyPartitionsDefinition("2026-01-01", end_offset=2)) == (
        "Daily, starting 2026-01-01 UTC. End offsetted by 2 partitions."
    )


# -- errors --------------------------------------------------------------------------


def test_invalid_key_shows_format_and_range() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01")
    with pytest.raises(PartitionKeyError) as caught:
        daily.validate_partition_key("2026-13-01", asset_name="daily_events", current_time=NOV_21)
    assert str(caught.value) == (
        "2026-13-01 is not a partition of daily_events: expected YYYY-MM-DD between 2026-01-01"
        " and 2026-11-20."
    )
    assert caught.value.partition_key == "2026-13-01"
    assert isinstance(caught.value, DefinitionError)


def test_valid_key_is_returned() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01")
    assert daily.validate_partition_key("2026-03-01", asset_name="x", current_time=NOV_21) == (
        "2026-03-01"
    )


def test_key_before_the_start_says_so() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01")
    with pytest.raises(PartitionKeyError, match=r"\(2025-12-31 is before the first partition\)"):
        daily.validate_partition_key("2025-12-31", asset_name="x", current_time=NOV_21)


def test_key_of_the_running_window_suggests_end_offset() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01")
    with pytest.raises(PartitionKeyError, match="2026-11-21 has not ended yet; pass end_offset=1"):
        daily.validate_partition_key("2026-11-21", asset_name="x", current_time=NOV_21)


def test_key_after_the_end_date_says_so() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-02-01")
    with pytest.raises(PartitionKeyError, match="ends after the end of the partitions, 2026-02-01"):
        daily.validate_partition_key("2026-02-01", asset_name="x", current_time=NOV_21)


def test_key_off_the_schedule_says_so() -> None:
    mondays = WeeklyPartitionsDefinition(start_date="2026-01-05", day_offset=1)
    with pytest.raises(PartitionKeyError) as caught:
        mondays.validate_partition_key("2026-01-07", asset_name="weekly_sales", current_time=NOV_21)
    message = str(caught.value)
    assert message.startswith("2026-01-07 is not a partition of weekly_sales: expected YYYY-MM-DD")
    assert "is not the start of a window of the schedule '0 0 * * 1' in UTC" in message


def test_no_partition_yet_says_when_the_first_one_ends() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01")
    with pytest.raises(PartitionKeyError) as caught:
        daily.validate_partition_key("2026-01-01", asset_name="x", current_time=datetime(2026, 1, 1, 5))
    assert "no partition exists yet: the first, 2026-01-01, ends at 2026-01-02T00:00:00+00:00" in str(
        caught.value
    )


def test_window_of_a_malformed_key_is_an_error() -> None:
    hourly = HourlyPartitionsDefinition(start_date="2026-01-01-00:00")
    with pytest.raises(PartitionKeyError, match="expected YYYY-MM-DD-HH:MM at the start of a window"):
        hourly.time_window_for_partition_key("2026-01-01")


def test_non_string_key_is_not_a_partition() -> None:
    daily = DailyPartitionsDefinition(start_date="2026-01-01")
    assert not daily.has_partition_key(20260101, NOV_21)  # type: ignore[arg-type]


def test_start_after_end_is_an_error() -> None:
    with pytest.raises(
        PartitionsDefinitionError,
        match="DailyPartitionsDefinition end_date 2026-01-01 must be after start_date 2026-02-01",
    ):
        DailyPartitionsDefinition(start_date="2026-02-01", end_date="2026-01-01")
    with pytest.raises(PartitionsDefinitionError, match="must be after"):
        DailyPartitionsDefinition(start_date="2026-02-01", end_date="2026-02-01")


@pytest.mark.parametrize(
    ("timezone", "suggestion"),
    [
        ("Europe/Berln", "Did you mean 'Europe/Berlin'?"),
        ("europe/berlin", "Did you mean 'Europe/Berlin'?"),
        ("New York", "Did you mean 'America/New_York'?"),
        ("berlin", "Did you mean 'Europe/Berlin'?"),
    ],
)
def test_unknown_timezone_suggests_a_close_name(timezone: str, suggestion: str) -> None:
    with pytest.raises(PartitionsDefinitionError) as caught:
        DailyPartitionsDefinition(start_date="2026-01-01", timezone=timezone)
    message = str(caught.value)
    assert message.startswith(f"unknown timezone '{timezone}': expected an IANA name")
    assert message.endswith(suggestion)


def test_unknown_timezone_without_a_close_name() -> None:
    with pytest.raises(PartitionsDefinitionError) as caught:
        HourlyPartitionsDefinition(start_date="2026-01-01-00:00", timezone="Mars/Olympus_Mons")
    assert "Did you mean" not in str(caught.value)


def test_start_that_does_not_match_the_format() -> None:
    with pytest.raises(
        PartitionsDefinitionError,
        match=r"start_date '01/02/2026' does not match the partition key format YYYY-MM-DD \('%Y-%m-%d'\)",
    ):
        DailyPartitionsDefinition(start_date="01/02/2026")


def test_invalid_cron_schedules() -> None:
    with pytest.raises(PartitionsDefinitionError, match="'0 0 31 2 \\*' never fires"):
        TimeWindowPartitionsDefinition(cron_schedule="0 0 31 2 *", start="2026-01-01", fmt="%Y-%m-%d")
    with pytest.raises(PartitionsDefinitionError, match="not a valid cron expression"):
        TimeWindowPartitionsDefinition(cron_schedule="every day", start="2026-01-01", fmt="%Y-%m-%d")
    with pytest.raises(PartitionsDefinitionError, match="minute 60 is out of range"):
        TimeWindowPartitionsDefinition(cron_schedule="60 0 * * *", start="2026-01-01", fmt="%Y-%m-%d")
    with pytest.raises(PartitionsDefinitionError, match="hour 24 is out of range"):
        DailyPartitionsDefinition(start_date="2026-01-01", hour_offset=24)


def test_cron_schedule_that_never_fires() -> None:
    with pytest.raises(PartitionsDefinitionError, match="'0 0 31 4 \\*' never fires"):
        TimeWindowPartitionsDefinition(cron_schedule="0 0 31 4 *", start="2026-01-01", fmt="%Y-%m-%d")


def test_import_stays_light() -> None:
    code = (
        "import sys, aloft.partitions; "
        "heavy = [m for m in ('croniter', 'pandas', 'pyarrow') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cron_schedule_and_offsets_conflict() -> None:
    with pytest.raises(PartitionsDefinitionError, match="pass either cron_schedule alone"):
        TimeWindowPartitionsDefinition(
            start="2026-01-01", fmt="%Y-%m-%d", cron_schedule="0 0 * * *", hour_offset=3
        )
    with pytest.raises(PartitionsDefinitionError, match="needs a cron_schedule"):
        TimeWindowPartitionsDefinition(start="2026-01-01", fmt="%Y-%m-%d")


def test_bad_offsets() -> None:
    with pytest.raises(PartitionsDefinitionError, match="minute_offset must be a non-negative integer"):
        DailyPartitionsDefinition(start_date="2026-01-01", minute_offset=-5)
    with pytest.raises(PartitionsDefinitionError, match="day_offset 7 is out of range: use 0"):
        WeeklyPartitionsDefinition(start_date="2026-01-01", day_offset=7)
    with pytest.raises(PartitionsDefinitionError, match="day_offset 0 is out of range"):
        MonthlyPartitionsDefinition(start_date="2026-01-01", day_offset=0)
    with pytest.raises(PartitionsDefinitionError, match="end_offset must be an integer"):
        DailyPartitionsDefinition(start_date="2026-01-01", end_offset=1.5)  # type: ignore[arg-type]


def test_format_that_collides_is_rejected() -> None:
    with pytest.raises(
        PartitionsDefinitionError, match=r"fmt '%Y-%m' gives the same key \(2026-01\) to consecutive"
    ):
        DailyPartitionsDefinition(start_date=datetime(2026, 1, 1), fmt="%Y-%m")


def test_format_that_cannot_be_read_back_is_rejected() -> None:
    with pytest.raises(PartitionsDefinitionError, match="fmt '%m-%d' cannot be read back"):
        DailyPartitionsDefinition(start_date=datetime(2026, 1, 1), fmt="%m-%d")
