"""Golden files of a backfill state machine: the partitioned diamond and an ordered (self-dependent) job.

They live in ``tests/golden/backfill/`` and change only when you mean it:
regenerate them with ``ALOFT_UPDATE_GOLDEN=1 pytest tests/unit/compiler/test_backfill_golden.py``
and review the diff.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from compiler_graphs import DIAMOND, job_definitions

from aloft import AssetIn, Definitions, asset, define_asset_job
from aloft.compiler.backfill import compile_backfill
from aloft.partitions import DailyPartitionsDefinition, TimeWindowPartitionMapping

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "backfill"
UPDATE = os.environ.get("ALOFT_UPDATE_GOLDEN") == "1"
DAYS = DailyPartitionsDefinition("2026-01-01")


def _lagged() -> Definitions:
    # `lagged` reads yesterday's `events`, which the same backfill makes: the partitions go in order.
    @asset(partitions_def=DAYS)
    def events() -> int:
        return 1

    @asset(
        partitions_def=DAYS,
        ins={"events": AssetIn(partition_mapping=TimeWindowPartitionMapping(-1, -1))},
    )
    def lagged(events: int) -> int:
        return events

    return Definitions(assets=[events, lagged], jobs=[define_asset_job("lagged", selection="*")])


BACKFILLS: dict[str, Callable[[], tuple[Definitions, str]]] = {
    "partitioned": lambda: (job_definitions(DIAMOND, job="daily", partitions_def=DAYS), "daily"),
    "ordered": lambda: (_lagged(), "lagged"),
}


def _check(path: Path, actual: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        return
    if not path.exists():
        pytest.fail(f"{path.name} is missing; create it with ALOFT_UPDATE_GOLDEN=1")
    expected = path.read_text()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True), actual.splitlines(keepends=True), str(path), "compiled"
            )
        )
        pytest.fail(f"compiled output differs from {path.name} (ALOFT_UPDATE_GOLDEN=1 to accept):\n{diff[:6000]}")


@pytest.mark.parametrize("name", sorted(BACKFILLS))
def test_backfill_golden(name: str) -> None:
    definitions, job_name = BACKFILLS[name]()
    backfill = compile_backfill(definitions, job_name)
    _check(GOLDEN / f"{name}.asl.json", backfill.state_machine.to_json())
    _check(GOLDEN / f"{name}.manifest.json", backfill.manifest_json())


def test_backfill_golden_files_have_no_strays() -> None:
    expected = {f"{n}.{kind}.json" for n in BACKFILLS for kind in ("asl", "manifest")}
    assert {p.name for p in GOLDEN.glob("*.json")} <= expected
