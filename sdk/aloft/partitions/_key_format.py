"""Turning time-window starts into partition keys and back, the way Dagster does.

A key is the window start formatted with the definition's ``fmt``. When an hourly
schedule fires twice at the same wall time (the fall-back fold), the second key gets
the UTC offset appended (``2024-11-03-01:00-0500``), as in Dagster. Formatting is on
the hot path of listing thousands of keys, so the default formats skip ``strftime``.

Example:
    >>> from datetime import datetime
    >>> describe_format("%Y-%m-%d-%H:%M")
    'YYYY-MM-DD-HH:MM'
    >>> format_wall(datetime(2026, 1, 2, 3, 4), "%Y-%m-%d-%H:%M")
    '2026-01-02-03:04'
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "DAILY_FORMAT",
    "HOURLY_FORMAT",
    "describe_format",
    "format_instant",
    "format_wall",
    "has_time_fields",
    "iso_day_keys",
    "parse_key",
]

DAILY_FORMAT = "%Y-%m-%d"
HOURLY_FORMAT = "%Y-%m-%d-%H:%M"

_DIRECTIVE = re.compile(r"%[-_0^#]?([a-zA-Z%])")
_READABLE = {
    "Y": "YYYY",
    "y": "YY",
    "m": "MM",
    "d": "DD",
    "H": "HH",
    "I": "hh",
    "M": "MM",
    "S": "SS",
    "f": "ffffff",
    "z": "+HHMM",
    "Z": "TZ",
    "j": "DDD",
    "b": "Mon",
    "B": "Month",
    "a": "Dow",
    "A": "Weekday",
    "p": "AM/PM",
    "U": "WW",
    "W": "WW",
    "V": "WW",
    "G": "YYYY",
    "u": "D",
    "w": "D",
    "F": "YYYY-MM-DD",
    "%": "%",
}
_DATE_DIRECTIVES = frozenset("YymdbBhaAjUWVGuwCeFDx%")
_DAY_STRINGS = tuple(f"{day:02d}" for day in range(32))
_DAILY_KEY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_HOURLY_KEY = re.compile(r"(\d{4})-(\d{2})-(\d{2})-(\d{2}):(\d{2})")


def describe_format(fmt: str) -> str:
    """A human-readable pattern for a ``strftime`` format, used in error messages.

    Example:
        >>> describe_format("%Y-%m-%d")
        'YYYY-MM-DD'
    """
    return _DIRECTIVE.sub(lambda match: _READABLE.get(match.group(1), match.group(0)), fmt)


def has_time_fields(fmt: str) -> bool:
    """True when ``fmt`` shows anything finer than a calendar day (hours, minutes, offset...).

    Example:
        >>> has_time_fields("%Y-%m-%d"), has_time_fields("%Y-%m-%d-%H:%M")
        (False, True)
    """
    return any(match.group(1) not in _DATE_DIRECTIVES for match in _DIRECTIVE.finditer(fmt))


def format_wall(wall: datetime | date, fmt: str) -> str:
    """Format a wall-clock time (or a date) with ``fmt``, fast for the default formats.

    Example:
        >>> format_wall(date(2026, 3, 1), "%Y-%m-%d")
        '2026-03-01'
    """
    if fmt == DAILY_FORMAT:
        # Matches strftime's %Y, which does not pad years below 1000 on glibc.
        return f"{wall.year}-{_DAY_STRINGS[wall.month]}-{_DAY_STRINGS[wall.day]}"
    if fmt == HOURLY_FORMAT and isinstance(wall, datetime):
        return (
            f"{wall.year}-{_DAY_STRINGS[wall.month]}-{_DAY_STRINGS[wall.day]}"
            f"-{wall.hour:02d}:{wall.minute:02d}"
        )
    return wall.strftime(fmt)


def format_instant(instant: datetime, fmt: str, *, every_hour: bool) -> str:
    """The key of a window starting at ``instant`` (an aware datetime in the definition's zone).

    Example:
        >>> from aloft.partitions._timezone import resolve_timezone
        >>> tz = resolve_timezone("America/New_York")
        >>> second_one_am = datetime(2024, 11, 3, 1, 0, tzinfo=tz, fold=1)
        >>> format_instant(second_one_am, "%Y-%m-%d-%H:%M", every_hour=True)
        '2024-11-03-01:00-0500'
    """
    if every_hour and instant.fold == 1 and "%z" not in fmt:
        # zoneinfo only sets fold=1 on the second occurrence of a repeated wall time.
        return instant.strftime(fmt + "%z")
    return format_wall(instant, fmt)


def iso_day_keys(first: date, count: int) -> list[str]:
    """``count`` consecutive days from ``first`` as ``YYYY-MM-DD`` keys, month by month.

    Example:
        >>> iso_day_keys(date(2026, 1, 30), 3)
        ['2026-01-30', '2026-01-31', '2026-02-01']
    """
    keys: list[str] = []
    year, month, day = first.year, first.month, first.day
    remaining = count
    while remaining > 0:
        in_month = calendar.monthrange(year, month)[1] - day + 1
        take = in_month if in_month < remaining else remaining
        prefix = f"{year}-{_DAY_STRINGS[month]}-"
        keys.extend([prefix + suffix for suffix in _DAY_STRINGS[day : day + take]])
        remaining -= take
        day = 1
        month += 1
        if month == 13:
            month = 1
            year += 1
    return keys


def parse_key(key: str, fmt: str, tz: ZoneInfo) -> datetime | None:
    """The instant a key names, or None when it does not parse.

    A wall time without an offset is read at its first occurrence; a key with an
    appended UTC offset (the second hour of a fall-back night) at that offset.
    Whether the instant really starts a window is for the caller to check.

    Example:
        >>> from aloft.partitions._timezone import resolve_timezone
        >>> parse_key("2026-01-05", "%Y-%m-%d", resolve_timezone("UTC")).isoformat()
        '2026-01-05T00:00:00+00:00'
        >>> parse_key("2026-13-01", "%Y-%m-%d", resolve_timezone("UTC")) is None
        True
    """
    if not isinstance(key, str):
        return None
    parsed = _parse_default(key, fmt)
    if parsed is None:
        try:
            parsed = datetime.strptime(key, fmt)
        except ValueError:
            if "%z" in fmt:
                return None
            try:
                parsed = datetime.strptime(key, fmt + "%z")
            except ValueError:
                return None
    if parsed.tzinfo is not None:
        return parsed.astimezone(tz)
    return parsed.replace(tzinfo=tz)


def _parse_default(key: str, fmt: str) -> datetime | None:
    pattern = _DAILY_KEY if fmt == DAILY_FORMAT else _HOURLY_KEY if fmt == HOURLY_FORMAT else None
    match = pattern.fullmatch(key) if pattern is not None else None
    if match is None:
        return None
    parts = [int(part) for part in match.groups()]
    hour, minute = (parts[3], parts[4]) if len(parts) == 5 else (0, 0)
    try:
        return datetime(parts[0], parts[1], parts[2], hour, minute)
    except ValueError:
        return None
