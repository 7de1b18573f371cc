"""The window boundaries ("ticks") of a cron schedule in a timezone, numbered from the start.

Tick 0 is the first tick at or after the definition's start; window ``i`` is
``[tick(i), tick(i + 1))``. Negative indices are the ticks before the start, which
partition mappings need near the edges.

The usual schedules are pure arithmetic, so listing or validating keys never walks the
calendar: daily, weekly and monthly schedules step in wall-clock time and place each
tick with the DST rules of ``_timezone``; hourly schedules (and ``*/15 * * * *``-like
ones) step in absolute seconds, which is exact whenever the zone's offset keeps its
minutes. Any other cron expression is iterated with croniter, once, and cached.

Example:
    >>> from datetime import datetime
    >>> from aloft.partitions._timezone import resolve_timezone
    >>> tz = resolve_timezone("Europe/Berlin")
    >>> ticks = build_ticks(parse_cron_schedule("0 0 * * *"), tz, datetime(2024, 3, 30, tzinfo=tz))
    >>> [ticks.tick(i).isoformat() for i in range(3)]
    ['2024-03-30T00:00:00+01:00', '2024-03-31T00:00:00+01:00', '2024-04-01T00:00:00+02:00']
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aloft.partitions._key_format import (
    DAILY_FORMAT,
    format_instant,
    format_wall,
    has_time_fields,
    iso_day_keys,
)
from aloft.partitions._timezone import (
    WallTimeKind,
    classify_wall_time,
    end_of_gap,
    hour_aligned,
    place_wall_time,
)

__all__ = ["CronSchedule", "Ticks", "build_ticks", "parse_cron_schedule"]

_ONE_DAY = timedelta(days=1)
_NUMBER = re.compile(r"\d+")

ScheduleKind = Literal["hourly", "daily", "weekly", "monthly", "minutes", "cron"]


@dataclass(frozen=True)
class CronSchedule:
    """A validated five-field cron expression and the shape the fast paths need.

    ``kind`` is ``cron`` when only croniter can iterate it. ``every_hour`` is true when
    the hour field is ``*`` (the schedule then fires in both occurrences of a repeated
    hour). ``day`` is the weekday (0 = Sunday) for weekly and the day of month for monthly.
    """

    expression: str
    kind: ScheduleKind
    minutes: tuple[int, ...] = ()
    hour: int = 0
    day: int = 0
    every_hour: bool = False


def parse_cron_schedule(expression: str) -> CronSchedule:
    """Validate a cron expression; raise ``ValueError`` saying what is wrong.

    Example:
        >>> parse_cron_schedule("15 6 * * *")
        CronSchedule(expression='15 6 * * *', kind='daily', minutes=(15,), hour=6, day=0, every_hour=False)
        >>> parse_cron_schedule("0 0 30 2 *")
        Traceback (most recent call last):
        ...
        ValueError: '0 0 30 2 *' never fires (February has no 30th or 31st)
    """
    if not isinstance(expression, str):
        raise ValueError(f"a cron schedule must be a string, got {expression!r}")
    parts = expression.split()
    if len(parts) == 5 and all(p == "*" or _NUMBER.fullmatch(p) for p in parts):
        regular = _parse_regular(expression, parts)
        if regular is not None:
            return regular
    return _parse_with_croniter(expression)


def _parse_regular(expression: str, parts: list[str]) -> CronSchedule | None:
    minute, hour, day, month, weekday = parts
    if minute == "*" or month != "*":
        return None
    m = int(minute)
    if m > 59:
        raise ValueError(f"'{expression}': minute {m} is out of range 0-59")
    if hour == "*":
        return (
            CronSchedule(expression, "hourly", (m,), every_hour=True)
            if day == "*" and weekday == "*"
            else None
        )
    h = int(hour)
    if h > 23:
        raise ValueError(f"'{expression}': hour {h} is out of range 0-23")
    if day == "*" and weekday == "*":
        return CronSchedule(expression, "daily", (m,), h)
    if day == "*":
        w = int(weekday)
        if w > 7:
            raise ValueError(f"'{expression}': day of week {w} is out of range 0-7")
        return CronSchedule(expression, "weekly", (m,), h, w % 7)
    if weekday == "*" and 1 <= int(day) <= 28:
        return CronSchedule(expression, "monthly", (m,), h, int(day))
    return None


def _parse_with_croniter(expression: str) -> CronSchedule:
    from croniter import croniter

    if not croniter.is_valid(expression):
        raise ValueError(f"'{expression}' is not a valid cron expression")
    fields: list[list[Any]] = croniter.expand(expression)[0]
    if len(fields) != 5:
        raise ValueError(
            f"'{expression}' must have five fields (minute hour day-of-month month day-of-week)"
        )
    minutes, hours, days, months, weekdays = fields
    if months == [2] and days != ["*"] and all(d in (30, 31) for d in days):
        raise ValueError(f"'{expression}' never fires (February has no 30th or 31st)")
    every_hour = hours == ["*"]
    if every_hour and days == ["*"] and months == ["*"] and weekdays == ["*"] and minutes != ["*"]:
        return CronSchedule(expression, "minutes", tuple(sorted(minutes)), every_hour=True)
    return CronSchedule(expression, "cron", every_hour=every_hour)


class Ticks(ABC):
    """Numbered window boundaries of a schedule; see the module docstring."""

    def __init__(self, tz: ZoneInfo, every_hour: bool) -> None:
        self.tz = tz
        self.every_hour = every_hour

    @abstractmethod
    def tick(self, index: int) -> datetime:
        """The aware start of window ``index``."""

    @abstractmethod
    def index_at(self, timestamp: float) -> int:
        """The largest index whose tick is at or before ``timestamp``."""

    def index_at_or_after(self, timestamp: float) -> int:
        """The smallest index whose tick is at or after ``timestamp``."""
        index = self.index_at(timestamp)
        return index if self.tick(index).timestamp() == timestamp else index + 1

    def keys(self, start: int, stop: int, fmt: str) -> list[str]:
        """The keys of windows ``start`` (inclusive) to ``stop`` (exclusive)."""
        return [
            format_instant(self.tick(i), fmt, every_hour=self.every_hour)
            for i in range(start, stop)
        ]


class CalendarTicks(Ticks):
    """Daily, weekly and monthly schedules: a fixed wall-clock time on a regular calendar step."""

    def __init__(self, tz: ZoneInfo, schedule: CronSchedule, start: datetime) -> None:
        super().__init__(tz, every_hour=False)
        self._unit = schedule.kind
        self._time = time(schedule.hour, schedule.minutes[0])
        self._day = schedule.day
        wall = start.astimezone(tz).replace(tzinfo=None)
        if self._unit == "monthly":
            anchor = datetime(wall.year, wall.month, self._day, self._time.hour, self._time.minute)
        else:
            anchor_day = wall.date()
            if self._unit == "weekly":
                cron_weekday = (anchor_day.weekday() + 1) % 7
                anchor_day -= timedelta(days=(cron_weekday - self._day) % 7)
            anchor = datetime.combine(anchor_day, self._time)
        self._memo: dict[int, datetime] = {}
        self._anchor = anchor
        self._anchor = self.wall(self.index_at_or_after(start.timestamp()))
        self._memo.clear()

    def wall(self, index: int) -> datetime:
        """The wall-clock time (naive) at which window ``index`` is scheduled to start."""
        if self._unit == "daily":
            return self._anchor + timedelta(days=index)
        if self._unit == "weekly":
            return self._anchor + timedelta(days=7 * index)
        years, month = divmod(self._anchor.month - 1 + index, 12)
        return self._anchor.replace(year=self._anchor.year + years, month=month + 1)

    def tick(self, index: int) -> datetime:
        memo = self._memo
        instant = memo.get(index)
        if instant is None:
            if len(memo) >= 4096:
                # Bounded so that sweeping a long range cannot grow it without limit.
                memo.clear()
            instant = memo[index] = place_wall_time(self.wall(index), self.tz)[0]
        return instant

    def index_at(self, timestamp: float) -> int:
        wall = datetime.fromtimestamp(timestamp, self.tz).replace(tzinfo=None)
        if self._unit == "daily":
            index = (wall - self._anchor) // _ONE_DAY
        elif self._unit == "weekly":
            index = (wall - self._anchor) // (7 * _ONE_DAY)
        else:
            index = (wall.year - self._anchor.year) * 12 + wall.month - self._anchor.month
            if (wall.day, wall.time()) < (self._day, self._time):
                index -= 1
        # DST moves a tick by at most a few hours, so the estimate is off by one at most.
        while self.tick(index + 1).timestamp() <= timestamp:
            index += 1
        while self.tick(index).timestamp() > timestamp:
            index -= 1
        return index

    def keys(self, start: int, stop: int, fmt: str) -> list[str]:
        if has_time_fields(fmt):
            return super().keys(start, stop, fmt)
        # A key without a time of day is the scheduled calendar day, wherever DST puts
        # the tick within that day, so no timezone work is needed.
        if self._unit == "daily" and fmt == DAILY_FORMAT:
            return iso_day_keys(self.wall(start).date(), stop - start)
        return [format_wall(self.wall(i), fmt) for i in range(start, stop)]


class FixedMinuteTicks(Ticks):
    """Hourly schedules at fixed minutes (``0 * * * *``, ``*/15 * * * *``): absolute steps.

    Only valid in zones whose offset keeps its minutes (see ``hour_aligned``); a fall-back
    night then has two ticks at 01:00 and a spring-forward night none at 02:00, as in Dagster.
    """

    def __init__(self, tz: ZoneInfo, schedule: CronSchedule, start: datetime) -> None:
        super().__init__(tz, every_hour=True)
        self._slots = tuple((minute - schedule.minutes[0]) * 60 for minute in schedule.minutes)
        start_second = math.floor(start.timestamp())
        local = datetime.fromtimestamp(start_second, tz)
        # An instant at the first scheduled minute of a local hour, at or before the start.
        self._base = start_second - (
            ((local.minute - schedule.minutes[0]) % 60) * 60 + local.second
        )
        self._first = 0
        self._first = self.index_at_or_after(start.timestamp())

    def timestamp(self, index: int) -> int:
        """POSIX seconds of tick ``index``."""
        hour, slot = divmod(index + self._first, len(self._slots))
        return self._base + hour * 3600 + self._slots[slot]

    def tick(self, index: int) -> datetime:
        return datetime.fromtimestamp(self.timestamp(index), self.tz)

    def index_at(self, timestamp: float) -> int:
        hour, within = divmod(timestamp - self._base, 3600)
        slot = bisect.bisect_right(self._slots, within) - 1
        return int(hour) * len(self._slots) + slot - self._first

    def keys(self, start: int, stop: int, fmt: str) -> list[str]:
        tz = self.tz
        return [
            format_instant(datetime.fromtimestamp(self.timestamp(i), tz), fmt, every_hour=True)
            for i in range(start, stop)
        ]


class CronTicks(Ticks):
    """Any other cron expression, iterated in wall-clock time with croniter and cached."""

    # Far more ticks than any sane partition set; stops runaway walks to absurd keys.
    MAX_TICKS = 2_000_000

    def __init__(self, tz: ZoneInfo, schedule: CronSchedule, start: datetime) -> None:
        super().__init__(tz, every_hour=schedule.every_hour)
        self._expression = schedule.expression
        self._start = start.timestamp()
        self._wall_start = start.astimezone(tz).replace(tzinfo=None)
        self._lock = threading.Lock()
        self._forward: list[datetime] = []
        self._forward_ts: list[float] = []
        self._backward: list[datetime] = []
        self._backward_neg_ts: list[float] = []
        self._forward_iter: Iterator[datetime] | None = None
        self._backward_iter: Iterator[datetime] | None = None

    def tick(self, index: int) -> datetime:
        if index >= 0:
            self._extend_forward(lambda: len(self._forward) > index)
            return self._forward[index]
        self._extend_backward(lambda: len(self._backward) >= -index)
        return self._backward[-index - 1]

    def index_at(self, timestamp: float) -> int:
        if timestamp >= self.tick(0).timestamp():
            self._extend_forward(lambda: self._forward_ts[-1] > timestamp)
            return bisect.bisect_right(self._forward_ts, timestamp) - 1
        self._extend_backward(lambda: -self._backward_neg_ts[-1] <= timestamp)
        return -bisect.bisect_left(self._backward_neg_ts, -timestamp) - 1

    def _extend_forward(self, done: Callable[[], bool]) -> None:
        with self._lock:
            if self._forward_iter is None:
                self._forward_iter = self._walk(self._wall_start - _ONE_DAY, forward=True)
            while not (self._forward and done()):
                instant = next(self._forward_iter)
                if instant.timestamp() < self._start:
                    continue
                self._check_size(len(self._forward))
                self._forward.append(instant)
                self._forward_ts.append(instant.timestamp())

    def _extend_backward(self, done: Callable[[], bool]) -> None:
        first = self.tick(0)
        with self._lock:
            if self._backward_iter is None:
                wall = first.replace(tzinfo=None)
                self._backward_iter = self._walk(wall + _ONE_DAY, forward=False)
            while not (self._backward and done()):
                instant = next(self._backward_iter)
                if instant.timestamp() >= first.timestamp():
                    continue
                self._check_size(len(self._backward))
                self._backward.append(instant)
                self._backward_neg_ts.append(-instant.timestamp())

    def _check_size(self, size: int) -> None:
        if size >= self.MAX_TICKS:
            raise ValueError(
                f"more than {self.MAX_TICKS} ticks of '{self._expression}' from the start;"
                " the requested time is too far from the partitions' start"
            )

    def _walk(self, wall: datetime, *, forward: bool) -> Iterator[datetime]:
        """Instants of the schedule after (or before) a wall time, strictly monotonic.

        Wall times that happen twice come in a run; an every-hour schedule fires the
        whole run once before the clocks fall back and once after, so runs are buffered.
        """
        from croniter import croniter

        tz, every_hour = self.tz, self.every_hour
        walker = croniter(self._expression, wall)
        run: list[datetime] = []
        last = -math.inf if forward else math.inf
        while True:
            wall_tick: datetime = walker.get_next(datetime) if forward else walker.get_prev(datetime)
            kind = classify_wall_time(wall_tick, tz)
            if kind == WallTimeKind.FOLD:
                run.append(wall_tick)
                continue
            instants: list[datetime] = []
            if run:
                first_pass = [t.replace(tzinfo=tz) for t in run] if every_hour else []
                second_pass = [t.replace(tzinfo=tz, fold=1) for t in run]
                instants = first_pass + second_pass if forward else second_pass + first_pass
                run = []
            if kind == WallTimeKind.NORMAL:
                instants.append(wall_tick.replace(tzinfo=tz))
            elif not every_hour:
                instants.append(end_of_gap(wall_tick, tz))
            for instant in instants:
                ts = instant.timestamp()
                if (ts > last) if forward else (ts < last):
                    last = ts
                    yield instant


def build_ticks(schedule: CronSchedule, tz: ZoneInfo, start: datetime) -> Ticks:
    """The fastest exact tick sequence for a schedule, anchored at ``start``.

    Example:
        >>> from aloft.partitions._timezone import resolve_timezone
        >>> tz = resolve_timezone("UTC")
        >>> ticks = build_ticks(parse_cron_schedule("30 * * * *"), tz, datetime(2026, 1, 1, tzinfo=tz))
        >>> ticks.keys(0, 2, "%Y-%m-%d-%H:%M")
        ['2026-01-01-00:30', '2026-01-01-01:30']
    """
    if schedule.kind in ("daily", "weekly", "monthly"):
        return CalendarTicks(tz, schedule, start)
    if schedule.kind in ("hourly", "minutes") and hour_aligned(tz, start.year - 1):
        return FixedMinuteTicks(tz, schedule, start)
    return CronTicks(tz, schedule, start)
