"""Time-window partitions: one partition per hour, day, week, month or cron tick.

Partition ``i`` is the window ``[tick(i), tick(i + 1))`` of the cron schedule in the
definition's timezone, and its key is the window start formatted with ``fmt``. As in
Dagster, the first partition starts at the first tick at or after ``start``, the last
one is the last window that has fully ended before the current time, and
``end_offset`` adds (or removes) partitions after it. ``end`` (exclusive) stops the
set for good.

Example:
    >>> from datetime import datetime
    >>> hourly = HourlyPartitionsDefinition(start_date="2026-01-01-00:00", timezone="Europe/Berlin")
    >>> hourly.get_partition_keys(current_time=datetime(2026, 1, 1, 3, 30))
    ['2026-01-01-00:00', '2026-01-01-01:00', '2026-01-01-02:00']
    >>> hourly.time_window_for_partition_key("2026-01-01-01:00").start.isoformat()
    '2026-01-01T01:00:00+01:00'
"""

from __future__ import annotations

import re
import threading
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from aloft.partitions._key_format import (
    DAILY_FORMAT,
    HOURLY_FORMAT,
    describe_format,
    format_instant,
    has_time_fields,
    parse_key,
)
from aloft.partitions._ticks import CronSchedule, Ticks, build_ticks, parse_cron_schedule
from aloft.partitions._timezone import resolve_timezone
from aloft.partitions.base import DynamicPartitionsStore, PartitionKeyRange, PartitionsDefinition
from aloft.partitions.errors import PartitionKeyError, PartitionsDefinitionError

__all__ = [
    "DailyPartitionsDefinition",
    "HourlyPartitionsDefinition",
    "MonthlyPartitionsDefinition",
    "ScheduleType",
    "TimeWindow",
    "TimeWindowPartitionsDefinition",
    "WeeklyPartitionsDefinition",
    "cron_schedule_from_schedule_type_and_offsets",
]

# Listing keys caches them from the first partition up to this many (a few MB at most).
_KEY_CACHE_LIMIT = 500_000


class ScheduleType(Enum):
    """The cadence of a regular time-window partitions definition.

    Example:
        >>> DailyPartitionsDefinition("2026-01-01").schedule_type
        <ScheduleType.DAILY: 'DAILY'>
    """

    HOURLY = "HOURLY"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class TimeWindow(NamedTuple):
    """The interval of one partition: ``start`` included, ``end`` excluded (aware datetimes).

    Example:
        >>> window = DailyPartitionsDefinition("2026-01-01").time_window_for_partition_key("2026-01-05")
        >>> window.start.isoformat(), window.end.isoformat()
        ('2026-01-05T00:00:00+00:00', '2026-01-06T00:00:00+00:00')
    """

    start: datetime
    end: datetime


def cron_schedule_from_schedule_type_and_offsets(
    schedule_type: ScheduleType,
    minute_offset: int = 0,
    hour_offset: int = 0,
    day_offset: int = 0,
) -> str:
    """The cron expression of a regular cadence with its offsets.

    Example:
        >>> cron_schedule_from_schedule_type_and_offsets(ScheduleType.WEEKLY, 30, 6, 1)
        '30 6 * * 1'
    """
    if schedule_type is ScheduleType.HOURLY:
        return f"{minute_offset} * * * *"
    if schedule_type is ScheduleType.DAILY:
        return f"{minute_offset} {hour_offset} * * *"
    if schedule_type is ScheduleType.WEEKLY:
        return f"{minute_offset} {hour_offset} * * {day_offset}"
    if schedule_type is ScheduleType.MONTHLY:
        return f"{minute_offset} {hour_offset} {day_offset} * *"
    raise PartitionsDefinitionError(f"unknown schedule_type {schedule_type!r}")


class _Cache:
    """Derived state of a definition; never pickled or compared (rebuilt on demand)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ticks: Ticks | None = None
        self.keys: list[str] = []

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]


@dataclass(frozen=True, init=False, repr=False)
class TimeWindowPartitionsDefinition(PartitionsDefinition):
    """Partitions that are the windows between consecutive ticks of a cron schedule.

    Arguments (Dagster's): ``start`` (datetime, or a string in ``fmt``) -- the first
    partition starts at the first tick at or after it; ``fmt`` -- the ``strftime`` format
    of keys; ``end`` -- no window ends after it; ``schedule_type`` with
    ``minute_offset``/``hour_offset``/``day_offset``, or ``cron_schedule``; ``timezone``
    -- any IANA name, default UTC; ``end_offset`` -- how many partitions to add after the
    last complete one (negative removes). Naive datetimes are read in ``timezone``.

    Example:
        >>> every_six_hours = TimeWindowPartitionsDefinition(
        ...     cron_schedule="0 */6 * * *", start="2026-01-01-00:00", fmt="%Y-%m-%d-%H:%M"
        ... )
        >>> every_six_hours.get_partition_keys(current_time=datetime(2026, 1, 1, 13))
        ['2026-01-01-00:00', '2026-01-01-06:00']
    """

    start: datetime
    timezone: str
    end: datetime | None
    fmt: str
    end_offset: int
    cron_schedule: str
    _cache: _Cache = field(compare=False, hash=False)

    def __init__(
        self,
        start: datetime | date | str,
        fmt: str,
        end: datetime | date | str | None = None,
        schedule_type: ScheduleType | None = None,
        timezone: str | None = None,
        end_offset: int = 0,
        minute_offset: int | None = None,
        hour_offset: int | None = None,
        day_offset: int | None = None,
        cron_schedule: str | None = None,
    ) -> None:
        self._initialize(
            start=start,
            fmt=fmt,
            end=end,
            schedule_type=schedule_type,
            timezone=timezone,
            end_offset=end_offset,
            minute_offset=minute_offset,
            hour_offset=hour_offset,
            day_offset=day_offset,
            cron_schedule=cron_schedule,
        )

    def _initialize(
        self,
        *,
        start: datetime | date | str,
        fmt: str,
        end: datetime | date | str | None,
        schedule_type: ScheduleType | None,
        timezone: str | None,
        end_offset: int,
        minute_offset: int | None,
        hour_offset: int | None,
        day_offset: int | None,
        cron_schedule: str | None,
        start_name: str = "start",
        end_name: str = "end",
    ) -> None:
        cls = type(self).__name__
        timezone = "UTC" if timezone is None else timezone
        tz = resolve_timezone(timezone)
        if not isinstance(fmt, str) or not fmt:
            raise PartitionsDefinitionError(f"{cls} needs a non-empty fmt, got {fmt!r}")
        if isinstance(end_offset, bool) or not isinstance(end_offset, int):
            raise PartitionsDefinitionError(
                f"{cls} end_offset must be an integer number of partitions, got {end_offset!r}"
            )
        cron = _cron_expression(
            cls, schedule_type, cron_schedule, minute_offset, hour_offset, day_offset
        )
        try:
            schedule = parse_cron_schedule(cron)
        except ValueError as err:
            raise PartitionsDefinitionError(f"{cls} has an invalid cron schedule: {err}") from err
        start_dt = _parse_bound(cls, start_name, start, fmt, tz)
        end_dt = None if end is None else _parse_bound(cls, end_name, end, fmt, tz)
        if end_dt is not None and end_dt.timestamp() <= start_dt.timestamp():
            raise PartitionsDefinitionError(
                f"{cls} {end_name} {_show(end_dt, fmt)} must be after {start_name}"
                f" {_show(start_dt, fmt)}; {end_name} is exclusive, so the last partition"
                f" ends at or before it."
            )
        object.__setattr__(self, "start", start_dt)
        object.__setattr__(self, "timezone", timezone)
        object.__setattr__(self, "end", end_dt)
        object.__setattr__(self, "fmt", fmt)
        object.__setattr__(self, "end_offset", end_offset)
        object.__setattr__(self, "cron_schedule", cron)
        object.__setattr__(self, "_cache", _Cache())
        self._check_format(cls, schedule)

    def _check_format(self, cls: str, schedule: CronSchedule) -> None:
        """Reject formats whose keys collide or cannot be read back (e.g. '%Y-%m' for days)."""
        ticks = self._cache.ticks = build_ticks(schedule, self._tz, self.start)
        try:
            first, second = ticks.keys(0, 2, self.fmt)
        except ValueError as err:
            raise PartitionsDefinitionError(
                f"{cls} with cron schedule '{self.cron_schedule}' never fires: {err}"
            ) from err
        if first == second:
            raise PartitionsDefinitionError(
                f"{cls} fmt '{self.fmt}' gives the same key ({first}) to consecutive partitions"
                f" of '{self.cron_schedule}'; include every field that changes between"
                " partitions, e.g. '%Y-%m-%d-%H:%M' for hourly partitions."
            )
        if self._index_of_key(first) != 0:
            raise PartitionsDefinitionError(
                f"{cls} fmt '{self.fmt}' cannot be read back: the key {first} does not parse"
                f" to the start of its partition ({ticks.tick(0).isoformat()}); include the year"
                " and every field down to the partition's cadence."
            )

    # -- properties ---------------------------------------------------------------------

    @property
    def _tz(self) -> ZoneInfo:
        return resolve_timezone(self.timezone)

    @property
    def _ticks(self) -> Ticks:
        cache = self._cache
        if cache.ticks is None:
            cache.ticks = build_ticks(parse_cron_schedule(self.cron_schedule), self._tz, self.start)
        return cache.ticks

    @property
    def schedule_type(self) -> ScheduleType | None:
        """HOURLY, DAILY, WEEKLY or MONTHLY for those cadences, None for other cron schedules.

        Example:
            >>> MonthlyPartitionsDefinition("2026-01-01").schedule_type
            <ScheduleType.MONTHLY: 'MONTHLY'>
        """
        for pattern, schedule_type in _SCHEDULE_TYPE_PATTERNS:
            if pattern.fullmatch(self.cron_schedule):
                return schedule_type
        return None

    @property
    def minute_offset(self) -> int:
        """Minutes past the hour at which partitions split.

        Example:
            >>> HourlyPartitionsDefinition("2026-01-01-00:15", minute_offset=15).minute_offset
            15
        """
        return self._cron_field(0, "minute offset")

    @property
    def hour_offset(self) -> int:
        """Hours past midnight at which partitions split.

        Example:
            >>> DailyPartitionsDefinition("2026-01-01", hour_offset=6).hour_offset
            6
        """
        return self._cron_field(1, "hour offset")

    @property
    def day_offset(self) -> int:
        """The weekday (0 = Sunday) of weekly partitions, the day of month of monthly ones.

        Example:
            >>> WeeklyPartitionsDefinition("2026-01-05", day_offset=1).day_offset
            1
        """
        schedule_type = self.schedule_type
        if schedule_type is ScheduleType.WEEKLY:
            return self._cron_field(4, "day offset")
        if schedule_type is ScheduleType.MONTHLY:
            return self._cron_field(2, "day offset")
        raise PartitionsDefinitionError(
            f"{self!r} has no day offset: only weekly and monthly partitions have one"
        )

    def _cron_field(self, position: int, what: str) -> int:
        value = self.cron_schedule.split()[position]
        if not value.isdigit():
            raise PartitionsDefinitionError(
                f"cron schedule '{self.cron_schedule}' of {self!r} has no single {what}"
            )
        return int(value)

    # -- listing -----------------------------------------------------------------------

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """Every partition key up to the last complete window (plus ``end_offset``).

        Example:
            >>> DailyPartitionsDefinition("2026-01-30").get_partition_keys(
            ...     current_time=datetime(2026, 2, 2, 12)
            ... )
            ['2026-01-30', '2026-01-31', '2026-02-01']
        """
        return self._keys(0, self.get_num_partitions(current_time))

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> int:
        """How many partitions exist at ``current_time`` (now when omitted), in O(1).

        Example:
            >>> DailyPartitionsDefinition("2000-01-01").get_num_partitions(
            ...     current_time=datetime(2026, 1, 1)
            ... )
            9497
        """
        ticks = self._ticks
        # Windows 0 .. j-1 have ended once tick j has passed.
        complete = max(ticks.index_at(self._timestamp(current_time)), 0)
        count = complete + max(self.end_offset, 0)
        if self.end is not None:
            count = min(count, max(ticks.index_at(self.end.timestamp()), 0))
        return max(count + min(self.end_offset, 0), 0)

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        """Whether the key names an existing partition: parsed and checked, never enumerated.

        Example:
            >>> weekly = WeeklyPartitionsDefinition("2026-01-04")
            >>> now = datetime(2026, 3, 1)
            >>> weekly.has_partition_key("2026-01-11", now), weekly.has_partition_key("2026-01-12", now)
            (True, False)
        """
        count = self.get_num_partitions(current_time)
        if not count:
            return False
        index = self._index_of_key(partition_key, within=(0, count - 1))
        return index is not None and 0 <= index < count

    def get_partition_keys_in_range(
        self,
        partition_key_range: PartitionKeyRange,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The keys from ``start`` to ``end`` of the range, both included and both existing.

        Example:
            >>> daily = DailyPartitionsDefinition("2026-01-01")
            >>> daily.get_partition_keys_in_range(
            ...     PartitionKeyRange("2026-01-30", "2026-02-02"), current_time=datetime(2026, 3, 1)
            ... )
            ['2026-01-30', '2026-01-31', '2026-02-01', '2026-02-02']
        """
        first = self._existing_index(partition_key_range.start, current_time)
        last = self._existing_index(partition_key_range.end, current_time)
        if first > last:
            raise self._range_order_error(partition_key_range)
        return self._keys(first, last + 1)

    def get_first_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        """The first partition key, or None before the first window has ended.

        Example:
            >>> DailyPartitionsDefinition("2026-01-01").get_first_partition_key(datetime(2026, 5, 1))
            '2026-01-01'
        """
        return self._keys(0, 1)[0] if self.get_num_partitions(current_time) else None

    def get_last_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        """The last partition key, or None before the first window has ended.

        Example:
            >>> DailyPartitionsDefinition("2026-01-01").get_last_partition_key(datetime(2026, 5, 1, 8))
            '2026-04-30'
        """
        count = self.get_num_partitions(current_time)
        return self._keys(count - 1, count)[0] if count else None

    def get_next_partition_key(
        self, partition_key: str, current_time: datetime | None = None
    ) -> str | None:
        """The key after ``partition_key``, or None when it is the last partition.

        Example:
            >>> DailyPartitionsDefinition("2026-01-01").get_next_partition_key(
            ...     "2026-01-31", datetime(2026, 3, 1)
            ... )
            '2026-02-01'
        """
        index = self._existing_index(partition_key, current_time)
        if index + 1 >= self.get_num_partitions(current_time):
            return None
        return self._keys(index + 1, index + 2)[0]

    # -- time windows ------------------------------------------------------------------

    def time_window_for_partition_key(self, partition_key: str) -> TimeWindow:
        """The window ``[start, end)`` of a key (which need not exist yet), as aware datetimes.

        Example:
            >>> berlin = DailyPartitionsDefinition("2026-01-01", timezone="Europe/Berlin")
            >>> window = berlin.time_window_for_partition_key("2026-03-29")
            >>> (window.end.timestamp() - window.start.timestamp()) / 3600  # spring forward
            23.0
        """
        index = self._require_index(partition_key)
        ticks = self._ticks
        return TimeWindow(ticks.tick(index), ticks.tick(index + 1))

    def start_time_for_partition_key(self, partition_key: str) -> datetime:
        """The aware start of a key's window.

        Example:
            >>> DailyPartitionsDefinition("2026-01-01", hour_offset=6).start_time_for_partition_key(
            ...     "2026-01-02"
            ... ).isoformat()
            '2026-01-02T06:00:00+00:00'
        """
        return self._ticks.tick(self._require_index(partition_key))

    def start_times_for_partition_keys(self, partition_keys: Sequence[str]) -> list[datetime]:
        """The aware window starts of several keys; consecutive keys cost one parse in all.

        Example:
            >>> days = DailyPartitionsDefinition("2026-01-01")
            >>> [t.day for t in days.start_times_for_partition_keys(["2026-01-30", "2026-01-31", "2026-02-01"])]
            [30, 31, 1]
        """
        if not partition_keys:
            return []
        first = self._require_index(partition_keys[0])
        stop = first + len(partition_keys)
        if self._keys(first, stop) == list(partition_keys):  # as get_partition_keys lists them
            return [self._ticks.tick(index) for index in range(first, stop)]
        return [self.start_time_for_partition_key(key) for key in partition_keys]

    def end_time_for_partition_key(self, partition_key: str) -> datetime:
        """The aware (exclusive) end of a key's window.

        Example:
            >>> MonthlyPartitionsDefinition("2026-01-01").end_time_for_partition_key(
            ...     "2026-01-01"
            ... ).isoformat()
            '2026-02-01T00:00:00+00:00'
        """
        return self._ticks.tick(self._require_index(partition_key) + 1)

    def get_partition_key_for_timestamp(self, timestamp: float, end_closed: bool = False) -> str:
        """The key of the window containing a POSIX timestamp (whether or not it exists yet).

        With ``end_closed`` a timestamp on a boundary belongs to the window it ends.

        Example:
            >>> daily = DailyPartitionsDefinition("2026-01-01")
            >>> midnight = datetime.fromisoformat("2026-01-03T00:00:00+00:00").timestamp()
            >>> daily.get_partition_key_for_timestamp(midnight)
            '2026-01-03'
            >>> daily.get_partition_key_for_timestamp(midnight, end_closed=True)
            '2026-01-02'
        """
        ticks = self._ticks
        index = ticks.index_at(timestamp)
        if end_closed and ticks.tick(index).timestamp() == timestamp:
            index -= 1
        return self._keys(index, index + 1)[0]

    def get_first_partition_window(self, current_time: datetime | None = None) -> TimeWindow | None:
        """The window of the first partition, or None when none exists yet.

        Example:
            >>> daily = DailyPartitionsDefinition("2026-01-01")
            >>> daily.get_first_partition_window(datetime(2026, 1, 1, 9)) is None
            True
            >>> daily.get_first_partition_window(datetime(2026, 1, 2)).end.isoformat()
            '2026-01-02T00:00:00+00:00'
        """
        if not self.get_num_partitions(current_time):
            return None
        return TimeWindow(self._ticks.tick(0), self._ticks.tick(1))

    def get_last_partition_window(self, current_time: datetime | None = None) -> TimeWindow | None:
        """The window of the last partition, or None when none exists yet.

        Example:
            >>> DailyPartitionsDefinition("2026-01-01").get_last_partition_window(
            ...     datetime(2026, 1, 3, 9)
            ... ).start.isoformat()
            '2026-01-02T00:00:00+00:00'
        """
        count = self.get_num_partitions(current_time)
        if not count:
            return None
        return TimeWindow(self._ticks.tick(count - 1), self._ticks.tick(count))

    def get_partition_keys_in_time_window(self, time_window: TimeWindow) -> list[str]:
        """The keys of the windows that start within ``time_window`` (existing or not).

        Example:
            >>> hourly = HourlyPartitionsDefinition("2026-01-01-00:00")
            >>> day = DailyPartitionsDefinition("2026-01-01").time_window_for_partition_key("2026-01-02")
            >>> len(hourly.get_partition_keys_in_time_window(day))
            24
        """
        ticks = self._ticks
        first = ticks.index_at_or_after(time_window.start.timestamp())
        stop = ticks.index_at_or_after(time_window.end.timestamp())
        return self._keys(first, stop)

    def get_cron_schedule(
        self,
        minute_of_hour: int | None = None,
        hour_of_day: int | None = None,
        day_of_week: int | None = None,
        day_of_month: int | None = None,
    ) -> str:
        """The cron schedule to run a job on this cadence, optionally at another time of day.

        Example:
            >>> DailyPartitionsDefinition("2026-01-01").get_cron_schedule(hour_of_day=2)
            '0 2 * * *'
        """
        if (minute_of_hour, hour_of_day, day_of_week, day_of_month) == (None, None, None, None):
            return self.cron_schedule
        schedule_type = self.schedule_type
        if schedule_type is None:
            raise PartitionsDefinitionError(
                f"cron schedule '{self.cron_schedule}' of {self!r} cannot take minute_of_hour,"
                " hour_of_day, day_of_week or day_of_month; write the cron schedule you want"
            )
        if schedule_type is ScheduleType.HOURLY and hour_of_day is not None:
            raise PartitionsDefinitionError("hourly partitions cannot set hour_of_day")
        if schedule_type is not ScheduleType.WEEKLY and day_of_week is not None:
            raise PartitionsDefinitionError("only weekly partitions can set day_of_week")
        if schedule_type is not ScheduleType.MONTHLY and day_of_month is not None:
            raise PartitionsDefinitionError("only monthly partitions can set day_of_month")
        day = day_of_week if schedule_type is ScheduleType.WEEKLY else day_of_month
        return cron_schedule_from_schedule_type_and_offsets(
            schedule_type,
            minute_offset=self.minute_offset if minute_of_hour is None else minute_of_hour,
            hour_offset=(
                0
                if schedule_type is ScheduleType.HOURLY
                else self.hour_offset
                if hour_of_day is None
                else hour_of_day
            ),
            day_offset=(
                0
                if schedule_type in (ScheduleType.HOURLY, ScheduleType.DAILY)
                else self.day_offset
                if day is None
                else day
            ),
        )

    # -- errors ------------------------------------------------------------------------

    def describe_invalid_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str:
        """What keys look like, which exist, and why ``partition_key`` is not one of them.

        Example:
            >>> DailyPartitionsDefinition("2026-01-01").describe_invalid_key(
            ...     "2025-12-31", datetime(2026, 1, 10)
            ... )
            'expected YYYY-MM-DD between 2026-01-01 and 2026-01-09 (2025-12-31 is before the first partition).'
        """
        expected = f"expected {describe_format(self.fmt)}"
        count = self.get_num_partitions(current_time)
        if count:
            first, last = self._keys(0, 1)[0], self._keys(count - 1, count)[0]
            expected += f" between {first} and {last}" if count > 1 else f": only {first} exists"
        else:
            first_end = self._ticks.tick(1)
            expected += (
                f", but no partition exists yet: the first, {self._keys(0, 1)[0]}, ends at"
                f" {first_end.isoformat()}"
            )
        reason = self._invalid_key_reason(partition_key, count)
        return f"{expected}{f' ({reason})' if reason else ''}."

    def _invalid_key_reason(self, partition_key: str, count: int) -> str:
        parsed = parse_key(partition_key, self.fmt, self._tz)
        if parsed is None:
            return ""
        index = self._index_of_key(partition_key, within=(0, count))
        if index is None:
            return (
                f"{partition_key} is not the start of a window of the schedule"
                f" '{self.cron_schedule}' in {self.timezone}"
            )
        if index < 0:
            return f"{partition_key} is before the first partition"
        if self.end is not None and self._ticks.tick(index + 1).timestamp() > self.end.timestamp():
            return f"{partition_key} ends after the end of the partitions, {_show(self.end, self.fmt)}"
        if index == count and self.end_offset == 0:
            return (
                f"{partition_key} has not ended yet; pass end_offset=1 to the partitions"
                " definition to include the partition in progress"
            )
        return f"{partition_key} is after the last partition"

    # -- internals (also used by partition mappings) -----------------------------------

    def _timestamp(self, current_time: datetime | None) -> float:
        if current_time is None:
            return _time.time()
        if current_time.tzinfo is None:
            return current_time.replace(tzinfo=self._tz).timestamp()
        return current_time.timestamp()

    def _keys(self, start: int, stop: int) -> list[str]:
        if stop <= start:
            return []
        cache = self._cache
        if start >= 0 and stop <= _KEY_CACHE_LIMIT:
            if len(cache.keys) < stop:
                with cache.lock:
                    known = cache.keys
                    if len(known) < stop:
                        # A new list rather than extend() so readers never see a half-built one.
                        cache.keys = known + self._ticks.keys(len(known), stop, self.fmt)
            return cache.keys[start:stop]
        return self._ticks.keys(start, stop, self.fmt)

    def _index_of_key(
        self, partition_key: str, within: tuple[int, int] | None = None
    ) -> int | None:
        """The index of the window a key names (possibly outside the set), or None.

        With ``within=(first, last)`` a key beyond those windows is not located exactly:
        ``first - 1`` or ``last + 1`` stands for "before" or "after", so that a key in
        the year 9999 costs nothing even for schedules that croniter must walk.
        """
        parsed = parse_key(partition_key, self.fmt, self._tz)
        if parsed is None:
            return None
        ticks = self._ticks
        timestamp = parsed.timestamp()
        try:
            # Keys may omit finer fields than the format shows (fmt '%Y-%m-%d' for windows
            # starting at 06:00), so a key names the first window at or after its time,
            # and window i is named by times in (tick(i - 1), tick(i)].
            if within is not None:
                first, last = within
                if timestamp <= ticks.tick(first - 1).timestamp():
                    return first - 1
                if timestamp > ticks.tick(last).timestamp():
                    return last + 1
            index = ticks.index_at_or_after(timestamp)
            start = ticks.tick(index)
        except (ValueError, OverflowError):
            return None
        if format_instant(start, self.fmt, every_hour=ticks.every_hour) != partition_key:
            return None
        return index

    def _require_index(self, partition_key: str) -> int:
        index = self._index_of_key(partition_key)
        if index is None:
            raise PartitionKeyError(
                f"{partition_key} is not a partition key of {self!r}: expected"
                f" {describe_format(self.fmt)} at the start of a window of the schedule"
                f" '{self.cron_schedule}' in {self.timezone}.",
                partition_key=partition_key if isinstance(partition_key, str) else None,
            )
        return index

    def _existing_index(self, partition_key: str, current_time: datetime | None) -> int:
        count = self.get_num_partitions(current_time)
        index = self._index_of_key(partition_key, within=(0, count - 1)) if count else None
        if index is None or not 0 <= index < count:
            self.validate_partition_key(partition_key, current_time=current_time)
        assert index is not None
        return index

    def _overlapping_indices(self, start: float, end: float) -> tuple[int, int]:
        """First and last index of the windows overlapping ``[start, end)``."""
        ticks = self._ticks
        last = ticks.index_at(end)
        if ticks.tick(last).timestamp() == end:
            last -= 1
        return ticks.index_at(start), last

    # -- presentation ------------------------------------------------------------------

    def __str__(self) -> str:
        schedule_type = self.schedule_type
        cadence = schedule_type.value.capitalize() if schedule_type else self.cron_schedule
        text = f"{cadence}, starting {_show(self.start, self.fmt)} {self.timezone}."
        if self.end_offset:
            plural = "" if abs(self.end_offset) == 1 else "s"
            text += f" End offsetted by {self.end_offset} partition{plural}."
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self._repr_arguments())})"

    def _repr_arguments(self) -> list[str]:
        arguments = [
            f"cron_schedule={self.cron_schedule!r}",
            f"start={_show(self.start, self.fmt)!r}",
            f"fmt={self.fmt!r}",
        ]
        return arguments + self._common_repr_arguments(end_name="end")

    def _calendar_repr_arguments(self, default_fmt: str, **defaults: int) -> list[str]:
        """The repr arguments of the hourly/daily/weekly/monthly shorthands: offsets off their default."""
        arguments = [f"start_date={_show(self.start, self.fmt)!r}"]
        arguments += [f"{name}={getattr(self, name)}" for name, default in defaults.items() if getattr(self, name) != default]
        return arguments + self._common_repr_arguments(end_name="end_date", default_fmt=default_fmt)

    def _common_repr_arguments(self, *, end_name: str, default_fmt: str | None = None) -> list[str]:
        arguments = []
        if self.end is not None:
            arguments.append(f"{end_name}={_show(self.end, self.fmt)!r}")
        if self.timezone != "UTC":
            arguments.append(f"timezone={self.timezone!r}")
        if default_fmt is not None and self.fmt != default_fmt:
            arguments.append(f"fmt={self.fmt!r}")
        if self.end_offset:
            arguments.append(f"end_offset={self.end_offset}")
        return arguments


class HourlyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """One partition per hour; keys like ``2026-01-01-13:00``.

    On a fall-back night the repeated hour gets a second key with its UTC offset
    (``2026-11-01-01:00-0500``); on a spring-forward night the missing hour has none.

    Example:
        >>> hourly = HourlyPartitionsDefinition("2026-01-01-00:00", minute_offset=30)
        >>> hourly.get_partition_keys(current_time=datetime(2026, 1, 1, 2, 45))
        ['2026-01-01-00:30', '2026-01-01-01:30']
    """

    def __init__(
        self,
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        self._initialize(
            start=start_date,
            fmt=fmt or HOURLY_FORMAT,
            end=end_date,
            schedule_type=ScheduleType.HOURLY,
            timezone=timezone,
            end_offset=end_offset,
            minute_offset=minute_offset,
            hour_offset=None,
            day_offset=None,
            cron_schedule=None,
            start_name="start_date",
            end_name="end_date",
        )

    def _repr_arguments(self) -> list[str]:
        return self._calendar_repr_arguments(HOURLY_FORMAT, minute_offset=0)


class DailyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """One partition per day, split at ``hour_offset:minute_offset``; keys like ``2026-01-31``.

    Example:
        >>> daily = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-04")
        >>> daily.get_partition_keys(current_time=datetime(2027, 1, 1))
        ['2026-01-01', '2026-01-02', '2026-01-03']
    """

    def __init__(
        self,
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        hour_offset: int = 0,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        self._initialize(
            start=start_date,
            fmt=fmt or DAILY_FORMAT,
            end=end_date,
            schedule_type=ScheduleType.DAILY,
            timezone=timezone,
            end_offset=end_offset,
            minute_offset=minute_offset,
            hour_offset=hour_offset,
            day_offset=None,
            cron_schedule=None,
            start_name="start_date",
            end_name="end_date",
        )

    def _repr_arguments(self) -> list[str]:
        return self._calendar_repr_arguments(DAILY_FORMAT, minute_offset=0, hour_offset=0)


class WeeklyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """One partition per week, starting on ``day_offset`` (0 = Sunday, as in cron).

    Example:
        >>> mondays = WeeklyPartitionsDefinition("2026-01-05", day_offset=1)
        >>> mondays.get_partition_keys(current_time=datetime(2026, 1, 20))
        ['2026-01-05', '2026-01-12']
    """

    def __init__(
        self,
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        hour_offset: int = 0,
        day_offset: int = 0,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        if isinstance(day_offset, int) and not 0 <= day_offset <= 6:
            raise PartitionsDefinitionError(
                f"WeeklyPartitionsDefinition day_offset {day_offset} is out of range: use 0"
                " (Sunday) to 6 (Saturday)"
            )
        self._initialize(
            start=start_date,
            fmt=fmt or DAILY_FORMAT,
            end=end_date,
            schedule_type=ScheduleType.WEEKLY,
            timezone=timezone,
            end_offset=end_offset,
            minute_offset=minute_offset,
            hour_offset=hour_offset,
            day_offset=day_offset,
            cron_schedule=None,
            start_name="start_date",
            end_name="end_date",
        )

    def _repr_arguments(self) -> list[str]:
        return self._calendar_repr_arguments(DAILY_FORMAT, minute_offset=0, hour_offset=0, day_offset=0)


class MonthlyPartitionsDefinition(TimeWindowPartitionsDefinition):
    """One partition per month, starting on day ``day_offset`` (1-31) of the month.

    Days 29-31 follow cron: months without that day have no split, as in Dagster.

    Example:
        >>> monthly = MonthlyPartitionsDefinition("2026-01-01")
        >>> monthly.get_partition_keys(current_time=datetime(2026, 4, 15))
        ['2026-01-01', '2026-02-01', '2026-03-01']
    """

    def __init__(
        self,
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        hour_offset: int = 0,
        day_offset: int = 1,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        if isinstance(day_offset, int) and not 1 <= day_offset <= 31:
            raise PartitionsDefinitionError(
                f"MonthlyPartitionsDefinition day_offset {day_offset} is out of range: use a day"
                " of the month from 1 to 31"
            )
        self._initialize(
            start=start_date,
            fmt=fmt or DAILY_FORMAT,
            end=end_date,
            schedule_type=ScheduleType.MONTHLY,
            timezone=timezone,
            end_offset=end_offset,
            minute_offset=minute_offset,
            hour_offset=hour_offset,
            day_offset=day_offset,
            cron_schedule=None,
            start_name="start_date",
            end_name="end_date",
        )

    def _repr_arguments(self) -> list[str]:
        return self._calendar_repr_arguments(DAILY_FORMAT, minute_offset=0, hour_offset=0, day_offset=1)


_SCHEDULE_TYPE_PATTERNS = (
    (re.compile(r"\d+ \* \* \* \*"), ScheduleType.HOURLY),
    (re.compile(r"\d+ \d+ \* \* \*"), ScheduleType.DAILY),
    (re.compile(r"\d+ \d+ \* \* \d+"), ScheduleType.WEEKLY),
    (re.compile(r"\d+ \d+ \d+ \* \*"), ScheduleType.MONTHLY),
)


def _cron_expression(
    cls: str,
    schedule_type: ScheduleType | None,
    cron_schedule: str | None,
    minute_offset: int | None,
    hour_offset: int | None,
    day_offset: int | None,
) -> str:
    offsets = {"minute_offset": minute_offset, "hour_offset": hour_offset, "day_offset": day_offset}
    for name, value in offsets.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise PartitionsDefinitionError(
                f"{cls} {name} must be a non-negative integer, got {value!r}"
            )
    if cron_schedule is not None:
        if schedule_type is not None or any(offsets.values()):
            raise PartitionsDefinitionError(
                f"{cls} got cron_schedule together with schedule_type or offsets; pass either"
                " cron_schedule alone, or schedule_type with minute/hour/day offsets"
            )
        return cron_schedule
    if schedule_type is None:
        raise PartitionsDefinitionError(
            f"{cls} needs a cron_schedule (e.g. '0 0 * * *') or a schedule_type"
        )
    return cron_schedule_from_schedule_type_and_offsets(
        schedule_type, minute_offset or 0, hour_offset or 0, day_offset or 0
    )


def _parse_bound(cls: str, name: str, value: object, fmt: str, tz: ZoneInfo) -> datetime:
    """A start or end argument as an aware datetime in ``tz`` (naive values are read in ``tz``)."""
    if isinstance(value, datetime):
        # As in Dagster, the wall-clock time is kept and read in the definition's timezone,
        # even when the datetime carries another zone.
        return value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    if isinstance(value, str):
        parsed = parse_key(value, fmt, tz)
        if parsed is None and has_time_fields(fmt):
            # Accept a plain date for hourly partitions ("2026-01-01" means its midnight).
            parsed = parse_key(value, DAILY_FORMAT, tz)
        if parsed is not None:
            return parsed
        raise PartitionsDefinitionError(
            f"{cls} {name} '{value}' does not match the partition key format"
            f" {describe_format(fmt)} ('{fmt}')"
        )
    raise PartitionsDefinitionError(
        f"{cls} {name} must be a datetime or a string in the format '{fmt}', got {value!r}"
    )


def _show(moment: datetime, fmt: str) -> str:
    """A bound as the user most likely wrote it: in ``fmt`` when that loses nothing."""
    text = moment.strftime(fmt)
    parsed = parse_key(text, fmt, moment.tzinfo) if isinstance(moment.tzinfo, ZoneInfo) else None
    if parsed is not None and parsed.timestamp() == moment.timestamp():
        return text
    return moment.replace(tzinfo=None).isoformat(sep=" ")
