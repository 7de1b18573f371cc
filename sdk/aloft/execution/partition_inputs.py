"""Which upstream partitions a step loads for one input (the partition mapping, applied)."""

from __future__ import annotations

from typing import Any

__all__ = ["upstream_partition_keys"]


def upstream_partition_keys(
    *,
    mapping: Any,
    downstream_partitions_def: Any,
    upstream_partitions_def: Any,
    downstream_partition_key: str | None,
    downstream_partition_key_range: Any,
    dynamic_partitions_store: Any,
) -> list[str]:
    """The upstream partition keys one input reads, in upstream order.

    The mapping defaults as in Dagster (identity between equal definitions,
    time-window between time partitions, all partitions for an unpartitioned
    downstream). A single-run backfill reads the union over its key range.

    Example:
        >>> from aloft.partitions import DailyPartitionsDefinition
        >>> days = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-04")
        >>> upstream_partition_keys(mapping=None, downstream_partitions_def=None,
        ...     upstream_partitions_def=days, downstream_partition_key=None,
        ...     downstream_partition_key_range=None, dynamic_partitions_store=None)
        ['2026-01-01', '2026-01-02', '2026-01-03']
    """
    from aloft.partitions.mapping import infer_partition_mapping

    effective = infer_partition_mapping(mapping, downstream_partitions_def, upstream_partitions_def)
    if downstream_partition_key_range is not None and downstream_partitions_def is not None:
        keys = downstream_partitions_def.get_partition_keys_in_range(
            downstream_partition_key_range, dynamic_partitions_store=dynamic_partitions_store
        )
        return list(
            effective.get_upstream_partitions_for_keys(
                keys,
                downstream_partitions_def,
                upstream_partitions_def,
                dynamic_partitions_store=dynamic_partitions_store,
            )
        )
    return list(
        effective.get_upstream_partitions(
            downstream_partition_key,
            downstream_partitions_def,
            upstream_partitions_def,
            dynamic_partitions_store=dynamic_partitions_store,
        )
    )
