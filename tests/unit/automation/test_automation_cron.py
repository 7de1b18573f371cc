"""Cron validation, the EventBridge Scheduler translation, DST-correct ticks, execution names."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest

from aloft.automation.cron import (
    execution_name,
    next_ticks,
    parse_cron,
    previous_tick,
    ticks_between,
    to_eventbridge_cron,
)
from aloft.automation.errors import CronError, UnsupportedCronError
from aloft.errors import DefinitionError

TRANSLATIONS = [
    ("* * * * *", "cron(* * * * ? *)"),
    ("0 * * * *", "cron(0 * * * ? *)"),
    ("*/15 * * * *", "cron(0/15 * * * ? *)"),
    ("5-59/15 * * * *", "cron(5/15 * * * ? *)"),
    ("0 0 * * *", "cron(0 0 * * ? *)"),
    ("30 6 * * *", "cron(30 6 * * ? *)"),
    ("5,10,40 */2 * * *", "cron(5,10,40 0/2 * * ? *)"),
    ("0 8-18 * * *", "cron(0 8-18 * * ? *)"),
    ("0 0 1 * *", "cron(0 0 1 * ? *)"),
    ("0 0 1,15 * *", "cron(0 0 1,15 * ? *)"),
    ("0 0 L * *", "cron(0 0 L * ? *)"),
    ("0 0 1-31/2 * *", "cron(0 0 1/2 * ? *)"),
    ("0 0 1 1 *", "cron(0 0 1 1 ? *)"),
    ("0 0 * JAN-MAR *", "cron(0 0 * 1-3 ? *)"),
    # day-of-week: cron 0-6 (0 and 7 are Sunday) becomes AWS SUN-SAT (1-7)
    ("0 8 * * 0", "cron(0 8 ? * SUN *)"),
    ("0 8 * * 7", "cron(0 8 ? * SUN *)"),
    ("0 8 * * 1", "cron(0 8 ? * MON *)"),
    ("0 8 * * 6", "cron(0 8 ? * SAT *)"),
    ("30 6 * * 1-5", "cron(30 6 ? * MON-FRI *)"),
    ("30 6 * * MON-FRI", "cron(30 6 ? * MON-FRI *)"),
    ("0 9 * * 0,6", "cron(0 9 ? * SUN,SAT *)"),
    ("0 9 * * 5-7", "cron(0 9 ? * SUN,FRI,SAT *)"),
    ("0 9 * * 1#2", "cron(0 9 ? * 2#2 *)"),
    ("0 9 * * 0-6", "cron(0 9 ? * * *)"),
    ("@hourly", "cron(0 * * * ? *)"),
    ("@daily", "cron(0 0 * * ? *)"),
    ("@weekly", "cron(0 0 ? * SUN *)"),
    ("@monthly", "cron(0 0 1 * ? *)"),
    ("@yearly", "cron(0 0 1 1 ? *)"),
]


@pytest.mark.parametrize(("cron", "expected"), TRANSLATIONS)
def test_translates_to_eventbridge(cron: str, expected: str) -> None:
    assert to_eventbridge_cron(cron) == expected


@pytest.mark.parametrize(("cron", "_"), TRANSLATIONS)
def test_exactly_one_day_field_is_a_question_mark(cron: str, _: str) -> None:
    fields = to_eventbridge_cron(cron)[len("cron(") : -1].split()
    assert len(fields) == 6
    assert (fields[2] == "?") != (fields[4] == "?")


UNEXPRESSIBLE = [
    ("0 0 1 * 1", "restricts both day-of-month ('1') and day-of-week ('1')"),
    ("0 0 1-7 * MON", "Split it into two schedules: '0 0 1-7 * *' and '0 0 * * MON'"),
    ("0 0 */2 * 1-5", "EITHER"),
    ("0 0 LW * *", "not supported"),
    ("0 0 15W * *", "not supported"),
    ("0 0 * * 5L", "'last weekday'"),
]


@pytest.mark.parametrize(("cron", "message"), UNEXPRESSIBLE)
def test_unexpressible_crons_say_why(cron: str, message: str) -> None:
    with pytest.raises(UnsupportedCronError) as raised:
        to_eventbridge_cron(cron)
    assert message in str(raised.value)
    assert isinstance(raised.value, DefinitionError)


INVALID = [
    ("", "empty"),
    ("61 * * * *", "minute 61 is out of range 0-59"),
    ("0 24 * * *", "hour 24 is out of range 0-23"),
    ("0 0 0 * *", "day-of-month 0 is out of range 1-31"),
    ("0 0 * 13 *", "month 13 is out of range 1-12"),
    ("0 0 * * 8", "day-of-week 8 is out of range 0-7"),
    ("0 0 * * FUNDAY", "day-of-week 'FUNDAY' is not a number 0-7 or a name SUN-SAT"),
    ("0 0 * *", "4 fields, not 5"),
    ("0 0 0 * * *", "a sixth field for seconds or years is not supported"),
    ("0 0 ? * MON", "'?' is EventBridge syntax"),
    ("*/0 * * * *", "step '0' must be a positive number"),
    ("0 0 10-5 * *", "goes backwards"),
    ("0 0 30 2 *", "never fires: day-of-month 30 does not exist in month 2"),
    ("0 0 31 4,6,9,11 *", "never fires"),
    ("@fortnightly", "1 fields, not 5"),
]


@pytest.mark.parametrize(("cron", "message"), INVALID)
def test_invalid_crons_name_the_problem(cron: str, message: str) -> None:
    with pytest.raises(CronError) as raised:
        parse_cron(cron)
    assert message in str(raised.value)
    assert repr(cron) in str(raised.value) or cron == ""


def test_feb_29_is_valid_it_fires_in_leap_years() -> None:
    ticks = next_ticks("0 0 29 2 *", datetime(2025, 1, 1, tzinfo=UTC), 2)
    assert [t.year for t in ticks] == [2028, 2032]


def _iso(ticks: list[datetime]) -> list[str]:
    return [t.isoformat() for t in ticks]


class TestDaylightSaving:
    """EventBridge Scheduler's rules: a missing wall time is skipped; a repeated one fires once."""

    def test_berlin_spring_forward_skips_the_missing_time(self) -> None:
        # 2024-03-31: 02:00 -> 03:00 in Europe/Berlin; 02:30 does not exist that day.
        ticks = next_ticks("30 2 * * *", datetime(2024, 3, 29, 12), 3, timezone="Europe/Berlin")
        assert _iso(ticks) == [
            "2024-03-30T02:30:00+01:00",
            "2024-04-01T02:30:00+02:00",
            "2024-04-02T02:30:00+02:00",
        ]

    def test_berlin_fall_back_fires_once_at_the_first_occurrence(self) -> None:
        # 2024-10-27: 03:00 -> 02:00; 02:30 happens twice (CEST, then CET).
        ticks = next_ticks("30 2 * * *", datetime(2024, 10, 26, 12), 3, timezone="Europe/Berlin")
        assert _iso(ticks) == [
            "2024-10-27T02:30:00+02:00",
            "2024-10-28T02:30:00+01:00",
            "2024-10-29T02:30:00+01:00",
        ]

    def test_berlin_daily_keeps_wall_clock_time_across_the_change(self) -> None:
        ticks = next_ticks("0 6 * * *", datetime(2024, 3, 30, 12), 3, timezone="Europe/Berlin")
        assert _iso(ticks) == [
            "2024-03-31T06:00:00+02:00",
            "2024-04-01T06:00:00+02:00",
            "2024-04-02T06:00:00+02:00",
        ]
        hours = [(b.timestamp() - a.timestamp()) / 3600 for a, b in itertools.pairwise(ticks)]
        assert hours == [24.0, 24.0]
        before = next_ticks("0 6 * * *", datetime(2024, 3, 29, 12), 1, timezone="Europe/Berlin")[0]
        assert (ticks[0].timestamp() - before.timestamp()) / 3600 == 23  # the short day

    def test_new_york_hourly_across_spring_forward(self) -> None:
        # 2024-03-10: 02:00 -> 03:00 in America/New_York.
        ticks = next_ticks("30 * * * *", datetime(2024, 3, 10, 0, 45), 4, timezone="America/New_York")
        assert _iso(ticks) == [
            "2024-03-10T01:30:00-05:00",
            "2024-03-10T03:30:00-04:00",
            "2024-03-10T04:30:00-04:00",
            "2024-03-10T05:30:00-04:00",
        ]

    def test_new_york_hourly_across_fall_back_fires_the_repeated_hour_once(self) -> None:
        # 2024-11-03: 02:00 -> 01:00; 01:30 EDT and 01:30 EST share a wall time.
        ticks = next_ticks("30 * * * *", datetime(2024, 11, 3, 0, 45), 3, timezone="America/New_York")
        assert _iso(ticks) == [
            "2024-11-03T01:30:00-04:00",
            "2024-11-03T02:30:00-05:00",
            "2024-11-03T03:30:00-05:00",
        ]

    def test_new_york_daily_in_the_repeated_hour(self) -> None:
        ticks = next_ticks("30 1 * * *", datetime(2024, 11, 2, 12), 2, timezone="America/New_York")
        assert _iso(ticks) == ["2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"]

    def test_start_inside_the_repeated_hour_does_not_fire_it_again(self) -> None:
        from zoneinfo import ZoneInfo

        new_york = ZoneInfo("America/New_York")
        for start in (
            datetime(2024, 11, 3, 6, 20, tzinfo=UTC),  # 01:20 EST, the second 01:xx
            datetime(2024, 11, 3, 1, 20, fold=1, tzinfo=new_york),  # the same instant, same zone
        ):
            assert _iso(next_ticks("30 1 * * *", start, 1, timezone="America/New_York")) == [
                "2024-11-04T01:30:00-05:00"
            ]
            assert _iso(next_ticks("30 * * * *", start, 1, timezone="America/New_York")) == [
                "2024-11-03T02:30:00-05:00"
            ]

    def test_aware_start_in_another_zone(self) -> None:
        ticks = next_ticks("0 9 * * MON-FRI", datetime(2024, 3, 29, 20, tzinfo=UTC), 2, timezone="Europe/Berlin")
        assert _iso(ticks) == ["2024-04-01T09:00:00+02:00", "2024-04-02T09:00:00+02:00"]

    def test_several_crons_merge_without_repeats(self) -> None:
        ticks = next_ticks(["0 9 * * *", "0 9,18 * * *"], datetime(2024, 1, 1, tzinfo=UTC), 3)
        assert _iso(ticks) == [
            "2024-01-01T09:00:00+00:00",
            "2024-01-01T18:00:00+00:00",
            "2024-01-02T09:00:00+00:00",
        ]


def test_ticks_between_and_previous_tick() -> None:
    start = datetime(2024, 3, 31, 0, 0, tzinfo=UTC)
    ticks = ticks_between("0 * * * *", start, datetime(2024, 3, 31, 3, 0, tzinfo=UTC), timezone="Europe/Berlin")
    assert len(ticks) == 3  # 03:00, 04:00, 05:00 CEST (02:00 did not exist)
    assert previous_tick("30 2 * * *", datetime(2024, 3, 31, 12), timezone="Europe/Berlin") == datetime(
        2024, 3, 30, 1, 30, tzinfo=UTC
    )


def test_unknown_timezone_suggests_a_close_match() -> None:
    with pytest.raises(DefinitionError, match="Did you mean 'America/New_York'"):
        next_ticks("0 0 * * *", datetime(2024, 1, 1), 1, timezone="America/New_Yrok")


class TestExecutionNames:
    LEGAL = re.compile(r"^[A-Za-z0-9_.\-]{1,80}$")

    def test_deterministic_and_legal(self) -> None:
        moment = datetime(2024, 3, 31, 6, 30, tzinfo=UTC)
        name = execution_name("nightly_schedule", moment)
        assert name == execution_name("nightly_schedule", moment)
        assert ":" not in name
        assert self.LEGAL.match(name)

    def test_same_instant_in_two_zones_is_the_same_name(self) -> None:
        from zoneinfo import ZoneInfo

        utc = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
        assert execution_name("s", utc) == execution_name("s", utc.astimezone(ZoneInfo("Europe/Berlin")))

    def test_the_two_occurrences_of_a_repeated_wall_time_differ(self) -> None:
        from zoneinfo import ZoneInfo

        berlin = ZoneInfo("Europe/Berlin")
        first = datetime(2024, 10, 27, 2, 30, tzinfo=berlin, fold=0)
        second = datetime(2024, 10, 27, 2, 30, tzinfo=berlin, fold=1)
        assert execution_name("s", first) != execution_name("s", second)

    def test_long_names_and_illegal_characters(self) -> None:
        moment = datetime(2024, 1, 1, tzinfo=UTC)
        long_name = "x" * 200
        name = execution_name(long_name, moment, discriminator="partition:2024-01-01")
        assert len(name) <= 80 and self.LEGAL.match(name)
        assert name != execution_name("x" * 199, moment, discriminator="partition:2024-01-01")
        weird = execution_name("a b/c:d#e", moment)
        assert self.LEGAL.match(weird)

    def test_discriminator_separates_runs_of_one_tick(self) -> None:
        moment = datetime(2024, 1, 1, tzinfo=UTC)
        assert execution_name("s", moment, "eu") != execution_name("s", moment, "us")

    def test_naive_time_is_refused(self) -> None:
        with pytest.raises(ValueError):
            execution_name("s", datetime(2024, 1, 1))
