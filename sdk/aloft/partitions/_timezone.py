"""IANA timezones: resolving names with a helpful error, and placing wall-clock times.

Cron schedules are written in wall-clock time, but a wall-clock time can be missing
(the spring-forward gap) or happen twice (the fall-back fold). The rules here follow
Dagster's schedules so that partition windows match theirs:

- a missing time moves to the end of the gap (02:30 on a spring-forward night -> 03:00),
  except for schedules that fire every hour, which simply have no tick in the gap;
- a time that happens twice is taken at its second occurrence, except for schedules
  that fire every hour, which fire at both.

Example:
    >>> from datetime import datetime
    >>> tz = resolve_timezone("America/New_York")
    >>> [t.isoformat() for t in place_wall_time(datetime(2024, 3, 10, 2, 30), tz)]
    ['2024-03-10T03:00:00-04:00']
"""

from __future__ import annotations

import calendar
import difflib
import functools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from aloft.errors import did_you_mean
from aloft.partitions.errors import PartitionsDefinitionError

__all__ = [
    "WallTimeKind",
    "classify_wall_time",
    "end_of_gap",
    "hour_aligned",
    "place_wall_time",
    "resolve_timezone",
    "suggest_timezone",
    "to_timestamp",
]


@functools.lru_cache(maxsize=256)
def resolve_timezone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name, or a definition error suggesting a close name.

    Example:
        >>> resolve_timezone("Europe/Berln")
        Traceback (most recent call last):
        ...
        aloft.partitions.errors.PartitionsDefinitionError: unknown timezone 'Europe/Berln': expected an IANA name such as 'Europe/Berlin' or 'UTC'. Did you mean 'Europe/Berlin'?
    """
    if not isinstance(name, str) or not name:
        raise PartitionsDefinitionError(
            f"timezone must be an IANA name such as 'Europe/Berlin' or 'UTC', got {name!r}"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ZoneInfo raises ValueError for malformed keys and OSError for directory names.
        pass
    raise PartitionsDefinitionError(
        f"unknown timezone '{name}': expected an IANA name such as 'Europe/Berlin' or 'UTC'."
        f"{suggest_timezone(name)}"
    )


def suggest_timezone(name: str) -> str:
    """A " Did you mean ...?" suffix for a misspelled timezone name, or "".

    Matches the right name in the wrong case, a bare city ("berlin", "New York")
    and near misspellings.

    Example:
        >>> suggest_timezone("new york")
        " Did you mean 'America/New_York'?"
    """
    zones = _known_zones()
    normalized = re.sub(r"[\s-]+", "_", name.strip()).lower()
    by_lower = {zone.lower(): zone for zone in zones}
    if normalized in by_lower:
        return f" Did you mean '{by_lower[normalized]}'?"
    by_city: dict[str, str] = {}
    for zone in sorted(zones):
        # Prefer canonical Area/City names over legacy aliases such as 'US/Eastern'.
        if "/" in zone:
            by_city.setdefault(zone.rsplit("/", 1)[1].lower(), zone)
    if normalized in by_city:
        return f" Did you mean '{by_city[normalized]}'?"
    suggestion = did_you_mean(name, zones)
    if suggestion:
        return suggestion
    cities = difflib.get_close_matches(normalized, list(by_city), n=1, cutoff=0.75)
    return f" Did you mean '{by_city[cities[0]]}'?" if cities else ""


@functools.lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


class WallTimeKind:
    """How a wall-clock time exists in a timezone (constants, not an enum, for speed)."""

    NORMAL = 0
    GAP = 1
    FOLD = 2


def classify_wall_time(naive: datetime, tz: ZoneInfo) -> int:
    """Whether ``naive`` exists once (NORMAL), never (GAP) or twice (FOLD) in ``tz``.

    Example:
        >>> tz = resolve_timezone("Europe/Berlin")
        >>> classify_wall_time(datetime(2024, 10, 27, 2, 30), tz) == WallTimeKind.FOLD
        True
    """
    first = naive.replace(tzinfo=tz, fold=0).utcoffset()
    second = naive.replace(tzinfo=tz, fold=1).utcoffset()
    if first == second:
        return WallTimeKind.NORMAL
    # zoneinfo gives the pre-transition offset for fold=0; it is larger than the
    # post-transition one when clocks fall back, smaller when they spring forward.
    assert first is not None and second is not None
    return WallTimeKind.FOLD if first > second else WallTimeKind.GAP


def to_timestamp(naive: datetime, offset: timedelta) -> int:
    """POSIX seconds of a whole-second wall time read with a UTC ``offset``."""
    return calendar.timegm(naive.timetuple()) - int(offset.total_seconds())


def end_of_gap(naive: datetime, tz: ZoneInfo) -> datetime:
    """The first existing instant after the spring-forward gap that contains ``naive``.

    Example:
        >>> end_of_gap(datetime(2024, 3, 31, 2, 15), resolve_timezone("Europe/Berlin")).isoformat()
        '2024-03-31T03:00:00+02:00'
    """
    before = naive.replace(tzinfo=tz, fold=0).utcoffset()
    after = naive.replace(tzinfo=tz, fold=1).utcoffset()
    assert before is not None and after is not None
    # The transition lies in (read with the new offset, read with the old offset]; the
    # new offset holds from the transition on, so search for its first second.
    low = to_timestamp(naive, after)
    high = to_timestamp(naive, before)
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, tz)


def place_wall_time(naive: datetime, tz: ZoneInfo, *, every_hour: bool = False) -> list[datetime]:
    """The instants at which a schedule tick written as wall time ``naive`` fires.

    ``every_hour`` is true for schedules whose hour field is ``*``: those fire at both
    occurrences of a repeated time and not at all inside a gap.

    Example:
        >>> tz = resolve_timezone("America/New_York")
        >>> [t.isoformat() for t in place_wall_time(datetime(2024, 11, 3, 1, 0), tz)]
        ['2024-11-03T01:00:00-05:00']
        >>> [t.isoformat() for t in place_wall_time(datetime(2024, 11, 3, 1, 0), tz, every_hour=True)]
        ['2024-11-03T01:00:00-04:00', '2024-11-03T01:00:00-05:00']
    """
    kind = classify_wall_time(naive, tz)
    if kind == WallTimeKind.NORMAL:
        return [naive.replace(tzinfo=tz)]
    if kind == WallTimeKind.FOLD:
        second = naive.replace(tzinfo=tz, fold=1)
        return [naive.replace(tzinfo=tz), second] if every_hour else [second]
    return [] if every_hour else [end_of_gap(naive, tz)]


@functools.lru_cache(maxsize=256)
def hour_aligned(tz: ZoneInfo, first_year: int, last_year: int = 2100) -> bool:
    """True when the UTC offset of ``tz`` keeps the same minutes from ``first_year`` on.

    Then "every hour at minute M" is a fixed 3600-second step, which makes hourly
    partitions pure arithmetic. Zones with half-hour daylight saving (Lord Howe) or
    that moved by a fraction of an hour (Kathmandu in 1986) are not aligned.

    Example:
        >>> hour_aligned(resolve_timezone("Asia/Kolkata"), 2000)
        True
        >>> hour_aligned(resolve_timezone("Australia/Lord_Howe"), 2000)
        False
    """
    seen: set[float] = set()
    for year in range(max(first_year, 1), last_year + 1):
        for month in (1, 4, 7, 10):
            offset = datetime(year, month, 1, 12, tzinfo=UTC).astimezone(tz).utcoffset()
            assert offset is not None
            seen.add(offset.total_seconds() % 3600)
            if len(seen) > 1:
                return False
    return True
