"""Backfill policies and how they split a backfill into runs."""

from __future__ import annotations

import dataclasses

import pytest

from aloft.partitions import (
    BackfillPolicy,
    BackfillPolicyType,
    PartitionKeyError,
    PartitionsDefinitionError,
    chunk_partition_keys,
)

DAYS = [f"2026-01-{day:02d}" for day in range(1, 8)]


def test_constructors() -> None:
    assert BackfillPolicy.single_run() == BackfillPolicy(max_partitions_per_run=None)
    assert BackfillPolicy.single_run().policy_type is BackfillPolicyType.SINGLE_RUN
    assert BackfillPolicy.multi_run() == BackfillPolicy(max_partitions_per_run=1)
    assert BackfillPolicy.multi_run(5).policy_type is BackfillPolicyType.MULTI_RUN
    assert repr(BackfillPolicy.multi_run(5)) == "BackfillPolicy(max_partitions_per_run=5)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        BackfillPolicy.multi_run().max_partitions_per_run = 3  # type: ignore[misc]


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2"])
def test_invalid_limits(bad: object) -> None:
    with pytest.raises(PartitionsDefinitionError, match="max_partitions_per_run must be a positive integer"):
        BackfillPolicy.multi_run(bad)  # type: ignore[arg-type]


def test_multi_run_chunks() -> None:
    assert chunk_partition_keys(DAYS, BackfillPolicy.multi_run(3)) == [DAYS[0:3], DAYS[3:6], DAYS[6:7]]
    assert chunk_partition_keys(DAYS[:2], BackfillPolicy.multi_run()) == [[DAYS[0]], [DAYS[1]]]


def test_single_run_is_one_chunk() -> None:
    assert chunk_partition_keys(DAYS, BackfillPolicy.single_run()) == [DAYS]


def test_no_policy_means_one_partition_per_run() -> None:
    assert chunk_partition_keys(DAYS[:3], None) == [[DAYS[0]], [DAYS[1]], [DAYS[2]]]


def test_nothing_to_backfill() -> None:
    assert chunk_partition_keys([], BackfillPolicy.single_run()) == []
    assert chunk_partition_keys([], BackfillPolicy.single_run(), all_partition_keys=DAYS) == []


def test_repeated_keys_run_once() -> None:
    assert chunk_partition_keys(["b", "a", "b"], BackfillPolicy.single_run()) == [["b", "a"]]


def test_runs_do_not_span_gaps_when_the_definition_is_known() -> None:
    selected = [DAYS[4], DAYS[0], DAYS[1], DAYS[5], DAYS[6]]
    assert chunk_partition_keys(selected, BackfillPolicy.single_run(), all_partition_keys=DAYS) == [
        DAYS[0:2],
        DAYS[4:7],
    ]
    assert chunk_partition_keys(selected, BackfillPolicy.multi_run(2), all_partition_keys=DAYS) == [
        DAYS[0:2],
        DAYS[4:6],
        DAYS[6:7],
    ]


def test_unknown_key_in_a_known_definition() -> None:
    with pytest.raises(PartitionKeyError, match="2026-02-30 is not one of the partition keys"):
        chunk_partition_keys(["2026-02-30"], None, all_partition_keys=DAYS)
