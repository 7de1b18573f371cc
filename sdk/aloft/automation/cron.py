"""Cron strings: validation, EventBridge Scheduler translation, DST-correct ticks, execution names.

aloft accepts the standard five-field cron Dagster accepts (plus ``@daily``-style
aliases), checks it with croniter, and translates it to EventBridge Scheduler's
six-field ``cron(minutes hours day-of-month month day-of-week year)``:

- exactly one of day-of-month / day-of-week is ``?``; a cron that restricts both
  (standard cron ORs them) cannot be expressed and is a definition error;
- day-of-week numbering differs: cron 0-6 (0 or 7 = Sunday), AWS 1-7 = SUN-SAT;
  aloft writes weekday names (``MON-FRI``) so there is nothing to misread.

Ticks follow EventBridge Scheduler's daylight-saving rules, so that what
``aloft schedule preview`` shows and what the local daemon fires is what the
cloud fires: a wall-clock time that does not exist (spring forward) is
skipped; a wall-clock time that happens twice (fall back) fires once, at its
first occurrence.

Example:
    >>> to_eventbridge_cron("30 6 * * 1-5")
    'cron(30 6 ? * MON-FRI *)'
    >>> from datetime import datetime, timezone
    >>> [t.isoformat() for t in next_ticks("0 2 * * *", datetime(2024, 3, 30, 12, tzinfo=timezone.utc), 2,
    ...                                     timezone="Europe/Berlin")]
    ['2024-04-01T02:00:00+02:00', '2024-04-02T02:00:00+02:00']
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import croniter

from aloft.automation.errors import CronError, UnsupportedCronError
from aloft.errors import DefinitionError, did_you_mean

__all__ = [
    "CronExpression",
    "execution_name",
    "iter_ticks",
    "next_ticks",
    "parse_cron",
    "previous_tick",
    "resolve_timezone",
    "ticks_between",
    "to_eventbridge_cron",
]

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Step Functions execution names: at most 80 characters, no whitespace, brackets,
# wildcards or ``? * " # % \ ^ | ~ ` $ & , ; : /``. aloft keeps a conservative subset.
_EXECUTION_NAME_LIMIT = 80
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")
# The largest clock shift any zone has had; walking back this far from a start
# instant in wall-clock time cannot miss a tick.
_MAX_DST_SHIFT = timedelta(hours=3)


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 0


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS, 1),
    _Field("day-of-week", 0, 7, _WEEKDAYS, 0),
)


@dataclass(frozen=True)
class CronExpression:
    """A validated five-field cron string and the values each field allows.

    ``days`` is empty when day-of-month is ``L`` (``last_day``); ``nth_weekday``
    is ``(weekday, n)`` for ``d#n``. Weekdays use cron numbering (0 = Sunday).

    Example:
        >>> parse_cron("@hourly").fields
        ('0', '*', '*', '*', '*')
        >>> sorted(parse_cron("0 9 * * MON-FRI").weekdays)
        [1, 2, 3, 4, 5]
    """

    expression: str
    fields: tuple[str, str, str, str, str]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    last_day: bool = False
    nth_weekday: tuple[int, int] | None = None

    @property
    def normalized(self) -> str:
        """The five fields joined by single spaces (aliases expanded)."""
        return " ".join(self.fields)

    @property
    def day_of_month_restricted(self) -> bool:
        """Whether day-of-month is anything but ``*``."""
        return self.fields[2] != "*"

    @property
    def day_of_week_restricted(self) -> bool:
        """Whether day-of-week is anything but ``*``."""
        return self.fields[4] != "*"


def _invalid(expression: str, why: str) -> CronError:
    return CronError(
        f"cron {expression!r} is invalid: {why}. aloft reads the standard five fields "
        "'minute hour day-of-month month day-of-week' (e.g. '30 6 * * MON-FRI') or @hourly/@daily/"
        "@weekly/@monthly/@yearly."
    )


def _value(text: str, field: _Field, expression: str) -> int:
    upper = text.upper()
    if field.names and upper in field.names:
        return field.names.index(upper) + field.name_base
    if not text.isdigit():
        expected = f"a number {field.low}-{field.high}"
        if field.names:
            expected += f" or a name {field.names[0]}-{field.names[-1]}"
        raise _invalid(expression, f"{field.name} {text!r} is not {expected}")
    value = int(text)
    if not field.low <= value <= field.high:
        raise _invalid(expression, f"{field.name} {value} is out of range {field.low}-{field.high}")
    return value


def _parse_field(text: str, field: _Field, expression: str) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise _invalid(expression, f"{field.name} {text!r} has an empty list item")
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise _invalid(expression, f"{field.name} step {step_text!r} must be a positive number")
            step = int(step_text)
        if base == "*":
            low, high = field.low, field.high
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _value(first, field, expression), _value(last, field, expression)
            if low > high:
                raise _invalid(expression, f"{field.name} range {base!r} goes backwards")
        else:
            low = _value(base, field, expression)
            high = field.high if step_text else low
        values.update(range(low, high + 1, step))
    return values


def parse_cron(expression: str) -> CronExpression:
    """Validate a cron string (with croniter and aloft's own reading); raise ``CronError`` saying why.

    Example:
        >>> parse_cron("*/15 * * * *").minutes == frozenset({0, 15, 30, 45})
        True
        >>> parse_cron("0 0 30 2 *")
        Traceback (most recent call last):
        ...
        aloft.automation.errors.CronError: cron '0 0 30 2 *' never fires: day-of-month 30 does not exist in month 2.
    """
    return _parse_cron_cached(expression)


@lru_cache(maxsize=512)
def _parse_cron_cached(expression: str) -> CronExpression:
    if not isinstance(expression, str) or not expression.strip():
        raise _invalid(str(expression), "it is empty")
    text = ALIASES.get(expression.strip().lower(), expression.strip())
    parts = text.split()
    if len(parts) != 5:
        hint = " (a sixth field for seconds or years is not supported: EventBridge fires by the minute)"
        raise _invalid(expression, f"it has {len(parts)} fields, not 5" + (hint if len(parts) == 6 else ""))
    minute, hour, dom, month, dow = parts
    last_day = False
    nth: tuple[int, int] | None = None
    for field, value in zip(_FIELDS, parts, strict=True):
        if "?" in value:
            raise _invalid(expression, f"{field.name} '?' is EventBridge syntax; standard cron uses '*'")
    if dom.upper() == "L":
        last_day, days = True, set[int]()
    elif any(c in dom.upper() for c in "LW"):
        raise UnsupportedCronError(
            f"cron {expression!r}: day-of-month {dom!r} is not supported; use 'L' alone for the last day"
        )
    else:
        days = _parse_field(dom, _FIELDS[2], expression)
    if "#" in dow:
        day_text, _, n_text = dow.partition("#")
        if not n_text.isdigit() or not 1 <= int(n_text) <= 5:
            raise _invalid(expression, f"day-of-week {dow!r}: the n in 'day#n' must be 1-5")
        nth = (_value(day_text, _FIELDS[4], expression) % 7, int(n_text))
        weekdays = {nth[0]}
    elif "L" in dow.upper():  # no weekday name contains an L: this is the 'last weekday' extension
        raise UnsupportedCronError(
            f"cron {expression!r}: day-of-week {dow!r} ('last weekday') is not supported by aloft"
        )
    else:
        weekdays = {d % 7 for d in _parse_field(dow, _FIELDS[4], expression)}
    cron = CronExpression(
        expression=expression,
        fields=(minute, hour, dom, month, dow),
        minutes=frozenset(_parse_field(minute, _FIELDS[0], expression)),
        hours=frozenset(_parse_field(hour, _FIELDS[1], expression)),
        days=frozenset(days),
        months=frozenset(_parse_field(month, _FIELDS[3], expression)),
        weekdays=frozenset(weekdays),
        last_day=last_day,
        nth_weekday=nth,
    )
    if not croniter.is_valid(cron.normalized):
        raise _invalid(expression, "croniter rejects it")
    if cron.days and not cron.day_of_week_restricted:
        longest = max(_DAYS_IN_MONTH[m - 1] for m in cron.months)
        if min(cron.days) > longest:
            month_list = ", ".join(str(m) for m in sorted(cron.months))
            raise CronError(
                f"cron {expression!r} never fires: day-of-month {min(cron.days)} does not exist in month "
                f"{month_list}."
            )
    return cron


# -- EventBridge Scheduler ------------------------------------------------------------------


def _render_numbers(values: Iterable[int], low: int, high: int) -> str:
    ordered = sorted(set(values))
    if ordered == list(range(low, high + 1)):
        return "*"
    if len(ordered) >= 3:
        step = ordered[1] - ordered[0]
        progression = list(range(ordered[0], high + 1, step))
        if step > 1 and ordered == progression and ordered[0] < low + step:
            return f"{ordered[0]}/{step}"
    return _compress(ordered, str)


def _compress(ordered: Sequence[int], show: Callable[[int], str]) -> str:
    pieces: list[str] = []
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        if end - start >= 2:
            pieces.append(f"{show(ordered[start])}-{show(ordered[end])}")
        else:
            pieces.extend(show(v) for v in ordered[start : end + 1])
        start = end + 1
    return ",".join(pieces)


def _aws_weekday_name(aws_number: int) -> str:
    return _WEEKDAYS[aws_number - 1]


def to_eventbridge_cron(expression: str) -> str:
    """The EventBridge Scheduler ``cron(...)`` expression of a standard cron string.

    Raises ``UnsupportedCronError`` (a ``DefinitionError``) for a cron EventBridge
    cannot express, saying why and how to split it.

    Example:
        >>> to_eventbridge_cron("*/15 * * * *")
        'cron(0/15 * * * ? *)'
        >>> to_eventbridge_cron("0 0 1 * *")
        'cron(0 0 1 * ? *)'
        >>> to_eventbridge_cron("0 8 * * 0")
        'cron(0 8 ? * SUN *)'
    """
    cron = parse_cron(expression)
    minute, hour, dom, month, dow = cron.fields
    if cron.day_of_month_restricted and cron.day_of_week_restricted:
        raise UnsupportedCronError(
            f"cron {expression!r} restricts both day-of-month ({dom!r}) and day-of-week ({dow!r}). "
            "Standard cron fires when EITHER matches; EventBridge Scheduler needs one of the two to be "
            "'?', so it cannot express this. Split it into two schedules: "
            f"'{minute} {hour} {dom} {month} *' and '{minute} {hour} * {month} {dow}'."
        )
    minutes = _render_numbers(cron.minutes, 0, 59)
    hours = _render_numbers(cron.hours, 0, 23)
    months = _render_numbers(cron.months, 1, 12)
    if cron.day_of_week_restricted:
        days = "?"
        if cron.nth_weekday is not None:
            weekday, n = cron.nth_weekday
            weekdays = f"{weekday + 1}#{n}"
        elif len(cron.weekdays) == 7:
            weekdays = "*"
        else:
            weekdays = _compress(sorted(d + 1 for d in cron.weekdays), _aws_weekday_name)
    else:
        weekdays = "?"
        days = "L" if cron.last_day else _render_numbers(cron.days, 1, 31)
    return f"cron({minutes} {hours} {days} {months} {weekdays} *)"


# -- time zones and ticks ----------------------------------------------------------------------


def resolve_timezone(name: str | None, *, owner: str = "schedule") -> ZoneInfo:
    """The IANA zone ``name`` (UTC when None); a ``DefinitionError`` with a close match otherwise.

    Example:
        >>> resolve_timezone("Europe/Berlin").key
        'Europe/Berlin'
        >>> resolve_timezone("Europe/Berlim", owner="schedule 'daily'")
        Traceback (most recent call last):
        ...
        aloft.errors.DefinitionError: schedule 'daily': unknown timezone 'Europe/Berlim'. Did you mean 'Europe/Berlin'? Use an IANA name such as 'Europe/Berlin' or 'UTC'.
    """
    if name is None:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise DefinitionError(
            f"{owner}: unknown timezone {name!r}."
            + did_you_mean(name, available_timezones())
            + " Use an IANA name such as 'Europe/Berlin' or 'UTC'."
        ) from None


def _exists(wall: datetime, tz: ZoneInfo) -> bool:
    placed = wall.replace(tzinfo=tz)
    return placed.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall


def _iter_one(cron: str, tz: ZoneInfo, after: datetime) -> Iterator[datetime]:
    walls = croniter(parse_cron(cron).normalized, after.astimezone(tz).replace(tzinfo=None) - _MAX_DST_SHIFT)
    while True:
        wall: datetime = walls.get_next(datetime)
        if not _exists(wall, tz):
            continue  # spring forward: EventBridge skips a wall time that does not exist
        tick = wall.replace(tzinfo=tz, fold=0)  # fall back: the first occurrence only
        # Aware datetimes sharing a tzinfo compare as wall times (fold ignored): compare instants.
        if tick.timestamp() > after.timestamp():
            yield tick


def _aware(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def iter_ticks(crons: str | Sequence[str], tz: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """Every tick strictly after ``after`` of one or several cron strings, in order, without repeats.

    Naive ``after`` is read as wall-clock time in ``tz``.
    """
    after = _aware(after, tz)
    streams = [_iter_one(c, tz, after) for c in ([crons] if isinstance(crons, str) else crons)]
    previous: float | None = None
    for tick in heapq.merge(*streams, key=lambda t: t.timestamp()):
        if tick.timestamp() != previous:
            previous = tick.timestamp()
            yield tick


def _crons_and_zone(schedule: object, timezone: str | None) -> tuple[tuple[str, ...], ZoneInfo]:
    if isinstance(schedule, str):
        return (schedule,), resolve_timezone(timezone)
    if isinstance(schedule, (list, tuple)) and all(isinstance(c, str) for c in schedule):
        return tuple(schedule), resolve_timezone(timezone)
    crons = getattr(schedule, "cron_schedules", None)
    if crons is None:
        raise TypeError(f"expected a cron string or a ScheduleDefinition, got {schedule!r}")
    zone = timezone or getattr(schedule, "execution_timezone", None)
    return tuple(crons), resolve_timezone(zone, owner=f"schedule '{getattr(schedule, 'name', '?')}'")


def next_ticks(
    schedule: object, start: datetime, count: int, *, timezone: str | None = None
) -> list[datetime]:
    """The next ``count`` ticks strictly after ``start``, in the schedule's timezone.

    ``schedule`` is a ``ScheduleDefinition`` or a cron string (then ``timezone``
    names the zone, UTC by default). A naive ``start`` is wall-clock time in
    that zone. Pure: no clock, no I/O.

    Example:
        >>> from datetime import datetime
        >>> [t.isoformat() for t in next_ticks("30 2 * * *", datetime(2024, 3, 30, 12), 2,
        ...                                     timezone="Europe/Berlin")]
        ['2024-04-01T02:30:00+02:00', '2024-04-02T02:30:00+02:00']
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    crons, tz = _crons_and_zone(schedule, timezone)
    return [t.astimezone(tz) for t in islice(iter_ticks(crons, tz, start), count)]


def previous_tick(schedule: object, at: datetime, *, timezone: str | None = None) -> datetime | None:
    """The latest tick at or before ``at`` (None if the cron has no tick in the previous ~5 years).

    Example:
        >>> from datetime import datetime, timezone
        >>> previous_tick("0 9 * * *", datetime(2024, 3, 5, 8, tzinfo=timezone.utc)).isoformat()
        '2024-03-04T09:00:00+00:00'
    """
    crons, tz = _crons_and_zone(schedule, timezone)
    at = _aware(at, tz)
    best: datetime | None = None
    for cron in crons:
        walls = croniter(parse_cron(cron).normalized, at.astimezone(tz).replace(tzinfo=None) + _MAX_DST_SHIFT)
        for _ in range(2000):
            wall: datetime = walls.get_prev(datetime)
            if at.timestamp() - wall.replace(tzinfo=tz).timestamp() > timedelta(days=5 * 366).total_seconds():
                break
            if not _exists(wall, tz):
                continue
            tick = wall.replace(tzinfo=tz, fold=0)
            if tick.timestamp() <= at.timestamp():
                if best is None or tick.timestamp() > best.timestamp():
                    best = tick
                break
    return None if best is None else best.astimezone(tz)


def ticks_between(
    schedule: object, after: datetime, until: datetime, *, timezone: str | None = None, limit: int = 1000
) -> list[datetime]:
    """The ticks in ``(after, until]`` (at most ``limit``, the oldest first): what a scheduler missed.

    Example:
        >>> from datetime import datetime, timezone
        >>> len(ticks_between("0 * * * *", datetime(2024, 1, 1, tzinfo=timezone.utc),
        ...                   datetime(2024, 1, 1, 5, tzinfo=timezone.utc)))
        5
    """
    crons, tz = _crons_and_zone(schedule, timezone)
    until = _aware(until, tz)
    found: list[datetime] = []
    for tick in iter_ticks(crons, tz, after):
        if tick.timestamp() > until.timestamp() or len(found) >= limit:
            break
        found.append(tick.astimezone(tz))
    return found


# -- Step Functions execution names ------------------------------------------------------------


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def execution_name(name: str, scheduled_time: datetime, discriminator: str | None = None) -> str:
    """A legal, deterministic Step Functions execution name for one tick of ``name``.

    The scheduled time is written in UTC without ``:``; ``discriminator`` (e.g.
    a run key, when one tick asks for several runs) adds a short hash. Long names
    are shortened with a hash of the full name, so the result is always <= 80
    characters and the same inputs always give the same name: a retried tick
    cannot start a second execution.

    Example:
        >>> from datetime import datetime, timezone
        >>> execution_name("daily_refresh_schedule", datetime(2024, 3, 31, 6, 30, tzinfo=timezone.utc))
        'daily_refresh_schedule-20240331T063000Z'
    """
    if scheduled_time.tzinfo is None:
        raise ValueError("scheduled_time must be timezone-aware (the tick's instant)")
    stamp = scheduled_time.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = stamp if discriminator is None else f"{stamp}-{_digest(discriminator, 10)}"
    base = _UNSAFE_NAME_CHARS.sub("-", name) or "tick"
    room = _EXECUTION_NAME_LIMIT - len(suffix) - 1
    if len(base) > room:
        base = f"{base[: room - 9]}-{_digest(name, 8)}"
    return f"{base}-{suffix}"
