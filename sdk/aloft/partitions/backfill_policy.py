"""Backfill policies: how many partitions of an asset one run of a backfill covers.

Example:
    >>> chunk_partition_keys(["a", "b", "c"], BackfillPolicy.multi_run(2))
    [['a', 'b'], ['c']]
    >>> chunk_partition_keys(["a", "b", "c"], BackfillPolicy.single_run())
    [['a', 'b', 'c']]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from aloft.partitions.errors import PartitionKeyError, PartitionsDefinitionError

__all__ = ["BackfillPolicy", "BackfillPolicyType", "chunk_partition_keys"]


class BackfillPolicyType(Enum):
    """Whether a backfill runs all partitions in one run or spreads them over several.

    Example:
        >>> BackfillPolicy.single_run().policy_type
        <BackfillPolicyType.SINGLE_RUN: 'SINGLE_RUN'>
    """

    SINGLE_RUN = "SINGLE_RUN"
    MULTI_RUN = "MULTI_RUN"


@dataclass(frozen=True)
class BackfillPolicy:
    """At most ``max_partitions_per_run`` partitions per run; None means all in one run.

    Build it with ``BackfillPolicy.single_run()`` or ``BackfillPolicy.multi_run(n)``.

    Example:
        >>> BackfillPolicy.multi_run(max_partitions_per_run=10)
        BackfillPolicy(max_partitions_per_run=10)
    """

    max_partitions_per_run: int | None = 1

    def __post_init__(self) -> None:
        limit = self.max_partitions_per_run
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise PartitionsDefinitionError(
                f"BackfillPolicy max_partitions_per_run must be a positive integer (or None for"
                f" a single run), got {limit!r}"
            )

    @classmethod
    def single_run(cls) -> BackfillPolicy:
        """Every requested partition in one run (the asset receives a partition key range).

        Example:
            >>> BackfillPolicy.single_run().max_partitions_per_run is None
            True
        """
        return cls(max_partitions_per_run=None)

    @classmethod
    def multi_run(cls, max_partitions_per_run: int = 1) -> BackfillPolicy:
        """Runs of at most ``max_partitions_per_run`` partitions each.

        Example:
            >>> BackfillPolicy.multi_run().max_partitions_per_run
            1
        """
        return cls(max_partitions_per_run=max_partitions_per_run)

    @property
    def policy_type(self) -> BackfillPolicyType:
        """SINGLE_RUN when unlimited, MULTI_RUN otherwise.

        Example:
            >>> BackfillPolicy.multi_run(4).policy_type
            <BackfillPolicyType.MULTI_RUN: 'MULTI_RUN'>
        """
        if self.max_partitions_per_run is None:
            return BackfillPolicyType.SINGLE_RUN
        return BackfillPolicyType.MULTI_RUN


def chunk_partition_keys(
    partition_keys: Iterable[str],
    backfill_policy: BackfillPolicy | None,
    *,
    all_partition_keys: Sequence[str] | None = None,
) -> list[list[str]]:
    """Split the keys of a backfill into the keys of each run.

    Without a policy every partition gets its own run, as in Dagster. Repeated keys are
    backfilled once. Runs keep the given order; with ``all_partition_keys`` (the
    definition's keys, in order) they follow the definition's order instead and never
    span a gap in the selection, so every run is a contiguous key range.

    Example:
        >>> days = ["01", "02", "03", "04", "05"]
        >>> chunk_partition_keys(["01", "02", "04", "05"], BackfillPolicy.single_run(), all_partition_keys=days)
        [['01', '02'], ['04', '05']]
        >>> chunk_partition_keys(["02", "01"], None)
        [['02'], ['01']]
    """
    keys = list(dict.fromkeys(partition_keys))
    for key in keys:
        if not isinstance(key, str):
            raise PartitionsDefinitionError(f"partition keys must be strings, got {key!r}")
    limit = 1 if backfill_policy is None else backfill_policy.max_partitions_per_run
    runs: list[list[str]] = []
    for segment in _contiguous_segments(keys, all_partition_keys):
        step = len(segment) if limit is None else limit
        runs.extend(segment[start : start + step] for start in range(0, len(segment), step))
    return runs


def _contiguous_segments(keys: list[str], all_partition_keys: Sequence[str] | None) -> list[list[str]]:
    if all_partition_keys is None or not keys:
        return [keys] if keys else []
    position = {key: index for index, key in enumerate(all_partition_keys)}
    unknown = [key for key in keys if key not in position]
    if unknown:
        raise PartitionKeyError(
            f"cannot plan the backfill: {unknown[0]} is not one of the partition keys",
            partition_key=unknown[0],
        )
    ordered = sorted(keys, key=position.__getitem__)
    segments = [[ordered[0]]]
    for previous, key in itertools.pairwise(ordered):
        if position[key] == position[previous] + 1:
            segments[-1].append(key)
        else:
            segments.append([key])
    return segments
