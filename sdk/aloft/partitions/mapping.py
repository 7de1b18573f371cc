"""Partition mappings: which partitions of an upstream asset a downstream partition reads.

``get_upstream_partitions`` answers "to materialize downstream partition K, which
upstream partitions do I load?"; ``get_downstream_partitions`` answers the reverse
("upstream partition K changed, which downstream partitions are affected?"). Upstream
partitions that a mapping asks for but that do not exist (before the upstream start,
not complete yet) are dropped from the keys and reported in
``UpstreamPartitionsResult.required_but_nonexistent_partition_keys``.

``validate_partition_mapping`` is what the asset graph calls for every dependency: it
fills in Dagster's default mapping and rejects mappings that cannot connect the two
partitions definitions, naming both assets and suggesting a mapping that can.

Example:
    >>> from datetime import datetime
    >>> from aloft.partitions import DailyPartitionsDefinition
    >>> daily = DailyPartitionsDefinition("2026-01-01")
    >>> yesterday = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    >>> yesterday.get_upstream_partitions("2026-01-10", daily, daily, current_time=datetime(2026, 2, 1))
    ['2026-01-09']
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aloft.errors import did_you_mean
from aloft.partitions.base import DynamicPartitionsStore, PartitionsDefinition
from aloft.partitions.dynamic import DynamicPartitionsDefinition
from aloft.partitions.errors import PartitionMappingError
from aloft.partitions.multi import MultiPartitionKey, MultiPartitionsDefinition
from aloft.partitions.static import StaticPartitionsDefinition
from aloft.partitions.time_window import TimeWindowPartitionsDefinition

__all__ = [
    "AllPartitionMapping",
    "IdentityPartitionMapping",
    "LastPartitionMapping",
    "MultiToSingleDimensionPartitionMapping",
    "PartitionMapping",
    "StaticPartitionMapping",
    "TimeWindowPartitionMapping",
    "UpstreamPartitionsResult",
    "infer_partition_mapping",
    "validate_partition_mapping",
]


@dataclass(frozen=True)
class UpstreamPartitionsResult:
    """The upstream partitions a downstream partition needs.

    ``partition_keys`` exist; ``required_but_nonexistent_partition_keys`` were asked for
    by the mapping but do not exist (yet), e.g. the day before the upstream start.

    Example:
        >>> UpstreamPartitionsResult(("2026-01-01",), ()).partition_keys
        ('2026-01-01',)
    """

    partition_keys: tuple[str, ...]
    required_but_nonexistent_partition_keys: tuple[str, ...] = ()


class PartitionMapping(ABC):
    """How the partitions of a downstream asset depend on those of an upstream asset.

    Example:
        >>> from aloft.partitions import StaticPartitionsDefinition
        >>> regions = StaticPartitionsDefinition(["eu", "us"])
        >>> IdentityPartitionMapping().get_upstream_partitions("eu", regions, regions)
        ['eu']
    """

    @abstractmethod
    def get_upstream_mapped_partitions_result(
        self,
        downstream_partition_key: str | None,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> UpstreamPartitionsResult:
        """The upstream partitions that ``downstream_partition_key`` depends on, with the
        ones that do not exist reported separately.

        ``downstream_partition_key`` is None when the downstream asset is unpartitioned.
        """

    @abstractmethod
    def get_downstream_partitions(
        self,
        upstream_partition_key: str,
        upstream_partitions_def: PartitionsDefinition,
        downstream_partitions_def: PartitionsDefinition | None,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The existing downstream partitions that depend on ``upstream_partition_key``."""

    @abstractmethod
    def incompatibility(
        self,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
    ) -> tuple[str, str] | None:
        """Why this mapping cannot connect the two definitions and what to use instead,
        or None when it can."""

    def get_upstream_partitions(
        self,
        downstream_partition_key: str | None,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The existing upstream partitions that ``downstream_partition_key`` reads, in order.

        Example:
            >>> from aloft.partitions import DailyPartitionsDefinition, HourlyPartitionsDefinition
            >>> from datetime import datetime
            >>> hours = TimeWindowPartitionMapping().get_upstream_partitions(
            ...     "2026-01-02",
            ...     DailyPartitionsDefinition("2026-01-01"),
            ...     HourlyPartitionsDefinition("2026-01-01-00:00"),
            ...     current_time=datetime(2026, 2, 1),
            ... )
            >>> hours[0], hours[-1], len(hours)
            ('2026-01-02-00:00', '2026-01-02-23:00', 24)
        """
        result = self.get_upstream_mapped_partitions_result(
            downstream_partition_key,
            downstream_partitions_def,
            upstream_partitions_def,
            current_time=current_time,
            dynamic_partitions_store=dynamic_partitions_store,
        )
        return list(result.partition_keys)

    def get_upstream_partitions_for_keys(
        self,
        downstream_partition_keys: Iterable[str],
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The existing upstream partitions that any of several downstream partitions read
        (a single-run backfill of a range), each once and in upstream order.

        Example:
            >>> from aloft.partitions import DailyPartitionsDefinition, WeeklyPartitionsDefinition
            >>> from datetime import datetime
            >>> TimeWindowPartitionMapping().get_upstream_partitions_for_keys(
            ...     ["2026-01-04", "2026-01-05", "2026-01-11"],
            ...     DailyPartitionsDefinition("2026-01-01"),
            ...     WeeklyPartitionsDefinition("2026-01-04"),
            ...     current_time=datetime(2026, 3, 1),
            ... )
            ['2026-01-04', '2026-01-11']
        """
        found: set[str] = set()
        for key in downstream_partition_keys:
            found.update(
                self.get_upstream_partitions(
                    key,
                    downstream_partitions_def,
                    upstream_partitions_def,
                    current_time=current_time,
                    dynamic_partitions_store=dynamic_partitions_store,
                )
            )
        return _in_definition_order(
            found, upstream_partitions_def, current_time, dynamic_partitions_store
        )


@dataclass(frozen=True)
class IdentityPartitionMapping(PartitionMapping):
    """Each downstream partition reads the upstream partition with the same key.

    The default between two definitions that are not both time-based.

    Example:
        >>> from aloft.partitions import StaticPartitionsDefinition
        >>> IdentityPartitionMapping().get_upstream_mapped_partitions_result(
        ...     "apac", StaticPartitionsDefinition(["apac"]), StaticPartitionsDefinition(["eu"])
        ... )
        UpstreamPartitionsResult(partition_keys=(), required_but_nonexistent_partition_keys=('apac',))
    """

    def get_upstream_mapped_partitions_result(
        self,
        downstream_partition_key: str | None,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> UpstreamPartitionsResult:
        key = _require_downstream_key(self, downstream_partition_key)
        if upstream_partitions_def.has_partition_key(key, current_time, dynamic_partitions_store):
            return UpstreamPartitionsResult((key,))
        return UpstreamPartitionsResult((), (key,))

    def get_downstream_partitions(
        self,
        upstream_partition_key: str,
        upstream_partitions_def: PartitionsDefinition,
        downstream_partitions_def: PartitionsDefinition | None,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The downstream partition with the same key, if it exists.

        Example:
            >>> from aloft.partitions import StaticPartitionsDefinition
            >>> regions = StaticPartitionsDefinition(["eu", "us"])
            >>> IdentityPartitionMapping().get_downstream_partitions("us", regions, regions)
            ['us']
        """
        if downstream_partitions_def is not None and downstream_partitions_def.has_partition_key(
            upstream_partition_key, current_time, dynamic_partitions_store
        ):
            return [upstream_partition_key]
        return []

    def incompatibility(
        self,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
    ) -> tuple[str, str] | None:
        if downstream_partitions_def is None:
            return (
                "the downstream asset is not partitioned, so there is no key to match",
                "Use AllPartitionMapping() to read every upstream partition, or"
                " LastPartitionMapping() to read the latest one.",
            )
        return _identity_incompatibility(downstream_partitions_def, upstream_partitions_def)


@dataclass(frozen=True)
class AllPartitionMapping(PartitionMapping):
    """Each downstream partition (or the unpartitioned downstream asset) reads every upstream
    partition. The default when the downstream asset is not partitioned.

    Example:
        >>> from aloft.partitions import StaticPartitionsDefinition
        >>> AllPartitionMapping().get_upstream_partitions(None, None, StaticPartitionsDefinition(["a", "b"]))
        ['a', 'b']
    """

    def get_upstream_mapped_partitions_result(
        self,
        downstream_partition_key: str | None,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> UpstreamPartitionsResult:
        keys = upstream_partitions_def.get_partition_keys(current_time, dynamic_partitions_store)
        return UpstreamPartitionsResult(tuple(keys))

    def get_downstream_partitions(
        self,
        upstream_partition_key: str,
        upstream_partitions_def: PartitionsDefinition,
        downstream_partitions_def: PartitionsDefinition | None,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """Every downstream partition (none for an unpartitioned downstream asset).

        Example:
            >>> from aloft.partitions import StaticPartitionsDefinition
            >>> AllPartitionMapping().get_downstream_partitions(
            ...     "a", StaticPartitionsDefinition(["a"]), StaticPartitionsDefinition(["x", "y"])
            ... )
            ['x', 'y']
        """
        if downstream_partitions_def is None:
            return []
        return downstream_partitions_def.get_partition_keys(current_time, dynamic_partitions_store)

    def incompatibility(
        self,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
    ) -> tuple[str, str] | None:
        return None


@dataclass(frozen=True)
class LastPartitionMapping(PartitionMapping):
    """Each downstream partition reads the last (latest) upstream partition.

    Example:
        >>> from aloft.partitions import DailyPartitionsDefinition
        >>> from datetime import datetime
        >>> LastPartitionMapping().get_upstream_partitions(
        ...     None, None, DailyPartitionsDefinition("2026-01-01"), current_time=datetime(2026, 3, 1, 9)
        ... )
        ['2026-02-28']
    """

    def get_upstream_mapped_partitions_result(
        self,
        downstream_partition_key: str | None,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> UpstreamPartitionsResult:
        last = upstream_partitions_def.get_last_partition_key(current_time, dynamic_partitions_store)
        return UpstreamPartitionsResult(() if last is None else (last,))

    def get_downstream_partitions(
        self,
        upstream_partition_key: str,
        upstream_partitions_def: PartitionsDefinition,
        downstream_partitions_def: PartitionsDefinition | None,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """Every downstream partition when the key is the last upstream one, else none.

        Example:
            >>> from aloft.partitions import StaticPartitionsDefinition
            >>> up, down = StaticPartitionsDefinition(["a", "b"]), StaticPartitionsDefinition(["x"])
            >>> LastPartitionMapping().get_downstream_partitions("a", up, down)
            []
            >>> LastPartitionMapping().get_downstream_partitions("b", up, down)
            ['x']
        """
        last = upstream_partitions_def.get_last_partition_key(current_time, dynamic_partitions_store)
        if downstream_partitions_def is None or upstream_partition_key != last:
            return []
        return downstream_partitions_def.get_partition_keys(current_time, dynamic_partitions_store)

    def incompatibility(
        self,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
    ) -> tuple[str, str] | None:
        return None


@dataclass(frozen=True)
class TimeWindowPartitionMapping(PartitionMapping):
    """Each downstream window reads the upstream partitions whose windows overlap it.

    The default between two time-window definitions; it also maps between cadences
    (a daily partition reads 24 hourly ones; an hourly partition reads its day).
    ``start_offset``/``end_offset`` shift the start/end of the downstream window by that
    many downstream partitions first: ``(-1, -1)`` reads the previous partition,
    ``(-6, 0)`` a trailing week of days. Upstream partitions that do not exist are dropped
    (and reported); ``allow_nonexistent_upstream_partitions`` tells the runner that a
    missing upstream partition is expected rather than an error.

    Example:
        >>> from aloft.partitions import DailyPartitionsDefinition
        >>> from datetime import datetime
        >>> daily = DailyPartitionsDefinition("2026-01-01")
        >>> TimeWindowPartitionMapping(start_offset=-1, end_offset=-1).get_upstream_mapped_partitions_result(
        ...     "2026-01-01", daily, daily, current_time=datetime(2026, 2, 1)
        ... )
        UpstreamPartitionsResult(partition_keys=(), required_but_nonexistent_partition_keys=('2025-12-31',))
    """

    start_offset: int = 0
    end_offset: int = 0
    allow_nonexistent_upstream_partitions: bool = False

    def __post_init__(self) -> None:
        for name in ("start_offset", "end_offset"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise PartitionMappingError(
                    f"TimeWindowPartitionMapping {name} must be an integer number of"
                    f" partitions, got {value!r}"
                )
        if self.start_offset > self.end_offset:
            raise PartitionMappingError(
                f"TimeWindowPartitionMapping start_offset ({self.start_offset}) is after"
                f" end_offset ({self.end_offset}), so it maps to nothing; e.g. use"
                " start_offset=-1, end_offset=-1 for the previous partition"
            )

    def get_upstream_mapped_partitions_result(
        self,
        downstream_partition_key: str | None,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> UpstreamPartitionsResult:
        downstream, upstream = self._time_defs(downstream_partitions_def, upstream_partitions_def)
        index = downstream._require_index(_require_downstream_key(self, downstream_partition_key))
        ticks = downstream._ticks
        start = ticks.tick(index + self.start_offset).timestamp()
        end = ticks.tick(index + 1 + self.end_offset).timestamp()
        first, last = upstream._overlapping_indices(start, end)
        existing = upstream.get_num_partitions(current_time)
        present = upstream._keys(max(first, 0), min(last, existing - 1) + 1)
        missing = upstream._keys(first, min(last, -1) + 1) + upstream._keys(
            max(first, existing), last + 1
        )
        return UpstreamPartitionsResult(tuple(present), tuple(missing))

    def get_downstream_partitions(
        self,
        upstream_partition_key: str,
        upstream_partitions_def: PartitionsDefinition,
        downstream_partitions_def: PartitionsDefinition | None,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The existing downstream partitions whose (offset) windows overlap the upstream one.

        Example:
            >>> from aloft.partitions import DailyPartitionsDefinition
            >>> from datetime import datetime
            >>> daily = DailyPartitionsDefinition("2026-01-01")
            >>> TimeWindowPartitionMapping(start_offset=-1, end_offset=-1).get_downstream_partitions(
            ...     "2026-01-09", daily, daily, current_time=datetime(2026, 2, 1)
            ... )
            ['2026-01-10']
        """
        downstream, upstream = self._time_defs(downstream_partitions_def, upstream_partitions_def)
        window = upstream.time_window_for_partition_key(upstream_partition_key)
        first, last = downstream._overlapping_indices(window.start.timestamp(), window.end.timestamp())
        # Downstream d reads [tick(d + start_offset), tick(d + 1 + end_offset)), which overlaps
        # the upstream window exactly when d + end_offset >= first and d + start_offset <= last.
        existing = downstream.get_num_partitions(current_time)
        return downstream._keys(
            max(first - self.end_offset, 0), min(last - self.start_offset, existing - 1) + 1
        )

    def incompatibility(
        self,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
    ) -> tuple[str, str] | None:
        if not isinstance(downstream_partitions_def, TimeWindowPartitionsDefinition) or not (
            isinstance(upstream_partitions_def, TimeWindowPartitionsDefinition)
        ):
            return (
                "TimeWindowPartitionMapping needs time-window partitions on both sides",
                _suggest_for(downstream_partitions_def, upstream_partitions_def),
            )
        if downstream_partitions_def.timezone != upstream_partitions_def.timezone:
            return (
                f"their timezones differ ({downstream_partitions_def.timezone} downstream,"
                f" {upstream_partitions_def.timezone} upstream)",
                "Give both partitions definitions the same timezone.",
            )
        return None

    def _time_defs(
        self,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
    ) -> tuple[TimeWindowPartitionsDefinition, TimeWindowPartitionsDefinition]:
        problem = self.incompatibility(downstream_partitions_def, upstream_partitions_def)
        if problem is not None:
            raise PartitionMappingError(
                f"{self!r} cannot map from {downstream_partitions_def!r} to"
                f" {upstream_partitions_def!r}: {problem[0]}. {problem[1]}"
            )
        assert isinstance(downstream_partitions_def, TimeWindowPartitionsDefinition)
        assert isinstance(upstream_partitions_def, TimeWindowPartitionsDefinition)
        return downstream_partitions_def, upstream_partitions_def

    def __repr__(self) -> str:
        arguments = []
        if self.start_offset:
            arguments.append(f"start_offset={self.start_offset}")
        if self.end_offset:
            arguments.append(f"end_offset={self.end_offset}")
        if self.allow_nonexistent_upstream_partitions:
            arguments.append("allow_nonexistent_upstream_partitions=True")
        return f"TimeWindowPartitionMapping({', '.join(arguments)})"


@dataclass(frozen=True, init=False)
class StaticPartitionMapping(PartitionMapping):
    """An explicit correspondence between two static partitions definitions.

    As in Dagster, the mapping goes from each UPSTREAM key to the downstream key (or
    keys) that read it; a downstream partition reads every upstream key that maps to it.

    Example:
        >>> from aloft.partitions import StaticPartitionsDefinition
        >>> countries = StaticPartitionsDefinition(["fr", "de", "us"])
        >>> continents = StaticPartitionsDefinition(["europe", "america"])
        >>> by_continent = StaticPartitionMapping({"fr": "europe", "de": "europe", "us": "america"})
        >>> by_continent.get_upstream_partitions("europe", continents, countries)
        ['fr', 'de']
    """

    downstream_partition_keys_by_upstream_partition_key: Mapping[str, frozenset[str]] = field(
        hash=False
    )

    def __init__(
        self,
        downstream_partition_keys_by_upstream_partition_key: Mapping[str, str | Collection[str]],
    ) -> None:
        mapping = downstream_partition_keys_by_upstream_partition_key
        if not isinstance(mapping, Mapping):
            raise PartitionMappingError(
                "StaticPartitionMapping expects a dict from upstream key to downstream key(s),"
                f" got {mapping!r}"
            )
        normalized: dict[str, frozenset[str]] = {}
        for upstream_key, downstream_keys in mapping.items():
            keys = (
                frozenset([downstream_keys])
                if isinstance(downstream_keys, str)
                else frozenset(downstream_keys)
            )
            if not isinstance(upstream_key, str) or not all(isinstance(k, str) for k in keys):
                raise PartitionMappingError(
                    "StaticPartitionMapping keys and values must be partition key strings,"
                    f" got {upstream_key!r}: {downstream_keys!r}"
                )
            normalized[upstream_key] = keys
        object.__setattr__(self, "downstream_partition_keys_by_upstream_partition_key", normalized)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.downstream_partition_keys_by_upstream_partition_key.items(), key=lambda item: item[0])))

    def _upstream_keys_for(self, downstream_key: str) -> set[str]:
        return {
            upstream
            for upstream, downstream in self.downstream_partition_keys_by_upstream_partition_key.items()
            if downstream_key in downstream
        }

    def get_upstream_mapped_partitions_result(
        self,
        downstream_partition_key: str | None,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> UpstreamPartitionsResult:
        key = _require_downstream_key(self, downstream_partition_key)
        keys = _in_definition_order(
            self._upstream_keys_for(key), upstream_partitions_def, current_time, dynamic_partitions_store
        )
        return UpstreamPartitionsResult(tuple(keys))

    def get_downstream_partitions(
        self,
        upstream_partition_key: str,
        upstream_partitions_def: PartitionsDefinition,
        downstream_partitions_def: PartitionsDefinition | None,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The downstream keys the upstream key maps to, in downstream order.

        Example:
            >>> from aloft.partitions import StaticPartitionsDefinition
            >>> up, down = StaticPartitionsDefinition(["a"]), StaticPartitionsDefinition(["x", "y"])
            >>> StaticPartitionMapping({"a": ["y", "x"]}).get_downstream_partitions("a", up, down)
            ['x', 'y']
        """
        if downstream_partitions_def is None:
            return []
        targets = self.downstream_partition_keys_by_upstream_partition_key.get(
            upstream_partition_key, frozenset()
        )
        return _in_definition_order(
            targets, downstream_partitions_def, current_time, dynamic_partitions_store
        )

    def incompatibility(
        self,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
    ) -> tuple[str, str] | None:
        if not isinstance(downstream_partitions_def, StaticPartitionsDefinition) or not (
            isinstance(upstream_partitions_def, StaticPartitionsDefinition)
        ):
            return (
                "StaticPartitionMapping needs static partitions on both sides",
                _suggest_for(downstream_partitions_def, upstream_partitions_def),
            )
        mapping = self.downstream_partition_keys_by_upstream_partition_key
        unknown_upstream = sorted(set(mapping) - set(upstream_partitions_def.partition_keys))
        if unknown_upstream:
            return (
                f"its upstream key {unknown_upstream[0]!r} is not a partition of the upstream"
                " asset (the mapping goes from upstream keys to downstream keys)",
                f"Use upstream keys as the dict's keys.{did_you_mean(unknown_upstream[0], upstream_partitions_def.partition_keys)}",
            )
        targets = set().union(*mapping.values()) if mapping else set()
        unknown_downstream = sorted(targets - set(downstream_partitions_def.partition_keys))
        if unknown_downstream:
            return (
                f"it maps to {unknown_downstream[0]!r}, which is not a partition of the"
                " downstream asset",
                f"Use downstream keys as the dict's values.{did_you_mean(unknown_downstream[0], downstream_partitions_def.partition_keys)}",
            )
        return None

    def __repr__(self) -> str:
        shown = {
            upstream: sorted(downstream)[0] if len(downstream) == 1 else sorted(downstream)
            for upstream, downstream in self.downstream_partition_keys_by_upstream_partition_key.items()
        }
        return f"StaticPartitionMapping({shown!r})"


@dataclass(frozen=True)
class MultiToSingleDimensionPartitionMapping(PartitionMapping):
    """Connects a multi-partitioned asset and a single-partitioned one through one dimension.

    Either side may be the multi one; that dimension's definition must equal the other
    asset's. ``partition_dimension_name`` may be omitted when only one dimension matches.

    Example:
        >>> from aloft.partitions import MultiPartitionsDefinition, StaticPartitionsDefinition
        >>> regions = StaticPartitionsDefinition(["eu", "us"])
        >>> grid = MultiPartitionsDefinition({"region": regions, "tier": StaticPartitionsDefinition(["a", "b"])})
        >>> keys = MultiToSingleDimensionPartitionMapping("region").get_upstream_partitions("us", regions, grid)
        >>> [str(key) for key in keys]
        ['us|a', 'us|b']
    """

    partition_dimension_name: str | None = None

    def get_upstream_mapped_partitions_result(
        self,
        downstream_partition_key: str | None,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> UpstreamPartitionsResult:
        key = _require_downstream_key(self, downstream_partition_key)
        assert downstream_partitions_def is not None
        return UpstreamPartitionsResult(
            *self._map(
                key, downstream_partitions_def, upstream_partitions_def, current_time, dynamic_partitions_store
            )
        )

    def get_downstream_partitions(
        self,
        upstream_partition_key: str,
        upstream_partitions_def: PartitionsDefinition,
        downstream_partitions_def: PartitionsDefinition | None,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The existing downstream partitions that share the key in the mapped dimension.

        Example:
            >>> from aloft.partitions import MultiPartitionsDefinition, StaticPartitionsDefinition
            >>> regions = StaticPartitionsDefinition(["eu", "us"])
            >>> grid = MultiPartitionsDefinition({"region": regions, "tier": StaticPartitionsDefinition(["a"])})
            >>> MultiToSingleDimensionPartitionMapping().get_downstream_partitions("us|a", grid, regions)
            ['us']
        """
        if downstream_partitions_def is None:
            return []
        present, _ = self._map(
            upstream_partition_key,
            upstream_partitions_def,
            downstream_partitions_def,
            current_time,
            dynamic_partitions_store,
        )
        return list(present)

    def _map(
        self,
        key: str,
        from_def: PartitionsDefinition,
        to_def: PartitionsDefinition,
        current_time: datetime | None,
        store: DynamicPartitionsStore | None,
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Existing and missing keys of ``to_def`` that share ``key``'s mapped dimension."""
        pair = _multi_and_single(from_def, to_def)
        dimension = None if pair is None else self._dimension(*pair)
        if pair is None or dimension is None:
            problem = self.incompatibility(from_def, to_def) or ("", "")
            raise PartitionMappingError(
                f"{self!r} cannot map between {from_def!r} and {to_def!r}: {problem[0]}. {problem[1]}"
            )
        multi = pair[0]
        if from_def is multi:
            value = multi.get_partition_key_from_str(key).keys_by_dimension[dimension]
            exists = to_def.has_partition_key(value, current_time, store)
            return ((value,), ()) if exists else ((), (value,))
        other = next(d for d in multi.dimensions if d.name != dimension)
        keys = tuple(
            MultiPartitionKey({dimension: key, other.name: other_key})
            for other_key in other.partitions_def.get_partition_keys(current_time, store)
        )
        exists = multi.get_partitions_def_for_dimension(dimension).has_partition_key(
            key, current_time, store
        )
        return (keys, ()) if exists else ((), keys)

    def _dimension(
        self, multi: MultiPartitionsDefinition, single: PartitionsDefinition
    ) -> str | None:
        if self.partition_dimension_name is not None:
            names = multi.partition_dimension_names
            if self.partition_dimension_name not in names:
                return None
            if multi.get_partitions_def_for_dimension(self.partition_dimension_name) != single:
                return None
            return self.partition_dimension_name
        matching = [d.name for d in multi.dimensions if d.partitions_def == single]
        return matching[0] if len(matching) == 1 else None

    def incompatibility(
        self,
        downstream_partitions_def: PartitionsDefinition | None,
        upstream_partitions_def: PartitionsDefinition,
    ) -> tuple[str, str] | None:
        if downstream_partitions_def is None:
            return (
                "the downstream asset is not partitioned",
                "Use AllPartitionMapping() or LastPartitionMapping().",
            )
        pair = _multi_and_single(downstream_partitions_def, upstream_partitions_def)
        if pair is None:
            return (
                "MultiToSingleDimensionPartitionMapping needs exactly one multi-partitioned side",
                _suggest_for(downstream_partitions_def, upstream_partitions_def),
            )
        multi, single = pair
        if self._dimension(multi, single) is not None:
            return None
        names = multi.partition_dimension_names
        if self.partition_dimension_name is None:
            matching = [d.name for d in multi.dimensions if d.partitions_def == single]
            if matching:
                return (
                    f"several dimensions ({', '.join(matching)}) match the single-dimension"
                    " partitions",
                    f"Pass partition_dimension_name, e.g. MultiToSingleDimensionPartitionMapping('{matching[0]}').",
                )
            return (
                "no dimension of the multi-partitions equals the other asset's partitions",
                "Give that dimension the same partitions definition as the other asset.",
            )
        if self.partition_dimension_name not in names:
            return (
                f"the multi-partitions have no dimension '{self.partition_dimension_name}'"
                f" (they have {', '.join(names)})",
                f"Name one of the dimensions.{did_you_mean(self.partition_dimension_name, names)}",
            )
        return (
            f"dimension '{self.partition_dimension_name}' is"
            f" {multi.get_partitions_def_for_dimension(self.partition_dimension_name)!r}, not the"
            " other asset's partitions definition",
            "Give that dimension the same partitions definition as the other asset.",
        )


def infer_partition_mapping(
    partition_mapping: PartitionMapping | None,
    downstream_partitions_def: PartitionsDefinition | None,
    upstream_partitions_def: PartitionsDefinition | None,
) -> PartitionMapping:
    """The mapping to use: the given one, else Dagster's default for the two definitions.

    Time-window to time-window -> ``TimeWindowPartitionMapping``; multi to single with one
    matching dimension -> ``MultiToSingleDimensionPartitionMapping``; unpartitioned
    downstream (or upstream) -> ``AllPartitionMapping``; otherwise identity.

    Example:
        >>> from aloft.partitions import DailyPartitionsDefinition, HourlyPartitionsDefinition
        >>> infer_partition_mapping(
        ...     None, DailyPartitionsDefinition("2026-01-01"), HourlyPartitionsDefinition("2026-01-01-00:00")
        ... )
        TimeWindowPartitionMapping()
    """
    if partition_mapping is not None:
        return partition_mapping
    if downstream_partitions_def is None or upstream_partitions_def is None:
        return AllPartitionMapping()
    if isinstance(downstream_partitions_def, TimeWindowPartitionsDefinition) and isinstance(
        upstream_partitions_def, TimeWindowPartitionsDefinition
    ):
        return TimeWindowPartitionMapping()
    pair = _multi_and_single(downstream_partitions_def, upstream_partitions_def)
    if pair is not None:
        inferred = MultiToSingleDimensionPartitionMapping()
        if inferred._dimension(*pair) is not None:
            return inferred
    return IdentityPartitionMapping()


def validate_partition_mapping(
    downstream_asset_name: str,
    upstream_asset_name: str,
    mapping: PartitionMapping | None,
    downstream_partitions_def: PartitionsDefinition | None,
    upstream_partitions_def: PartitionsDefinition | None,
) -> PartitionMapping | None:
    """The effective mapping of one dependency, or a ``PartitionMappingError`` naming both
    assets, both definitions and a mapping that would work.

    Returns None when the upstream asset is not partitioned: every downstream partition
    then reads the whole upstream asset and a mapping has nothing to do.

    Example:
        >>> from aloft.partitions import DailyPartitionsDefinition
        >>> daily = DailyPartitionsDefinition("2026-01-01")
        >>> validate_partition_mapping("clean_events", "raw_events", None, daily, daily)
        TimeWindowPartitionMapping()
    """
    if mapping is not None and not isinstance(mapping, PartitionMapping):
        raise PartitionMappingError(
            f"asset '{downstream_asset_name}' depends on '{upstream_asset_name}' with"
            f" partition_mapping={mapping!r}, which is not a PartitionMapping; use e.g."
            " TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)"
        )
    if upstream_partitions_def is None:
        return None
    effective = infer_partition_mapping(mapping, downstream_partitions_def, upstream_partitions_def)
    problem = effective.incompatibility(downstream_partitions_def, upstream_partitions_def)
    if problem is None:
        return effective
    how = f"{effective!r}" if mapping is not None else f"the default {effective!r}"
    raise PartitionMappingError(
        f"asset '{downstream_asset_name}' depends on '{upstream_asset_name}' through {how},"
        f" but {problem[0]}: downstream {downstream_partitions_def!r}, upstream"
        f" {upstream_partitions_def!r}. {problem[1]}"
    )


def _require_downstream_key(mapping: PartitionMapping, key: str | None) -> str:
    if key is None:
        raise PartitionMappingError(
            f"{mapping!r} maps one downstream partition at a time, but the downstream asset is"
            " not partitioned; use AllPartitionMapping() or LastPartitionMapping()"
        )
    return key


def _multi_and_single(
    first: PartitionsDefinition | None, second: PartitionsDefinition | None
) -> tuple[MultiPartitionsDefinition, PartitionsDefinition] | None:
    if isinstance(first, MultiPartitionsDefinition) and second is not None and not isinstance(
        second, MultiPartitionsDefinition
    ):
        return first, second
    if isinstance(second, MultiPartitionsDefinition) and first is not None and not isinstance(
        first, MultiPartitionsDefinition
    ):
        return second, first
    return None


def _kind(definition: PartitionsDefinition | None) -> str:
    if definition is None:
        return "unpartitioned"
    if isinstance(definition, TimeWindowPartitionsDefinition):
        return "time"
    if isinstance(definition, MultiPartitionsDefinition):
        return "multi"
    if isinstance(definition, DynamicPartitionsDefinition):
        return "dynamic"
    if isinstance(definition, StaticPartitionsDefinition):
        return "static"
    return "custom"


def _suggest_for(
    downstream_partitions_def: PartitionsDefinition | None,
    upstream_partitions_def: PartitionsDefinition,
) -> str:
    """A mapping that can connect these two definitions, phrased as advice."""
    kinds = (_kind(downstream_partitions_def), _kind(upstream_partitions_def))
    if kinds[0] == "unpartitioned":
        return (
            "Use AllPartitionMapping() to read every upstream partition, or"
            " LastPartitionMapping() to read the latest one."
        )
    if kinds == ("time", "time"):
        return "Use TimeWindowPartitionMapping(), with start_offset/end_offset to shift the window."
    if "multi" in kinds and _multi_and_single(downstream_partitions_def, upstream_partitions_def):
        return (
            "Use MultiToSingleDimensionPartitionMapping(partition_dimension_name=...) to match"
            " one dimension, or AllPartitionMapping()."
        )
    if kinds == ("static", "static"):
        return (
            "Use StaticPartitionMapping({upstream_key: downstream_key, ...}) to pair keys"
            " explicitly, or AllPartitionMapping()."
        )
    return (
        "Use AllPartitionMapping() to read every upstream partition, or LastPartitionMapping()"
        " to read the latest one."
    )


def _identity_incompatibility(
    downstream: PartitionsDefinition, upstream: PartitionsDefinition
) -> tuple[str, str] | None:
    """Whether a partition key of one definition can also be a key of the other."""
    kinds = (_kind(downstream), _kind(upstream))
    if isinstance(downstream, TimeWindowPartitionsDefinition) and isinstance(
        upstream, TimeWindowPartitionsDefinition
    ):
        if (downstream.cron_schedule, downstream.fmt) == (upstream.cron_schedule, upstream.fmt):
            return None
        return (
            "their time windows differ (schedules"
            f" '{downstream.cron_schedule}' and '{upstream.cron_schedule}'), so no key matches",
            _suggest_for(downstream, upstream),
        )
    if isinstance(downstream, MultiPartitionsDefinition) and isinstance(
        upstream, MultiPartitionsDefinition
    ):
        if downstream.partition_dimension_names != upstream.partition_dimension_names:
            return (
                "their dimensions differ"
                f" ({', '.join(downstream.partition_dimension_names)} vs"
                f" {', '.join(upstream.partition_dimension_names)})",
                "Give both assets the same dimension names, or use AllPartitionMapping().",
            )
        for down_dim, up_dim in zip(downstream.dimensions, upstream.dimensions, strict=True):
            problem = _identity_incompatibility(down_dim.partitions_def, up_dim.partitions_def)
            if problem is not None:
                return (f"in dimension '{down_dim.name}', {problem[0]}", problem[1])
        return None
    if "time" in kinds or "multi" in kinds:
        return (
            f"a {kinds[0]} partition key never equals a {kinds[1]} one",
            _suggest_for(downstream, upstream),
        )
    if isinstance(downstream, StaticPartitionsDefinition) and isinstance(
        upstream, StaticPartitionsDefinition
    ):
        if set(downstream.partition_keys) & set(upstream.partition_keys):
            return None
        return ("their static keys have none in common", _suggest_for(downstream, upstream))
    return None


def _in_definition_order(
    keys: Iterable[str],
    definition: PartitionsDefinition,
    current_time: datetime | None,
    store: DynamicPartitionsStore | None,
) -> list[str]:
    """Keys sorted as the definition lists them (unknown keys last, alphabetically)."""
    unique = set(keys)
    if not unique:
        return []
    position: dict[str, Any]
    if isinstance(definition, TimeWindowPartitionsDefinition):
        indices = {key: definition._index_of_key(key) for key in unique}
        return sorted(unique, key=lambda key: (indices[key] is None, indices[key] or 0, key))
    if isinstance(definition, StaticPartitionsDefinition):
        position = {key: i for i, key in enumerate(definition.partition_keys)}
    else:
        position = {key: i for i, key in enumerate(definition.get_partition_keys(current_time, store))}
    return sorted(unique, key=lambda key: (key not in position, position.get(key, 0), key))
