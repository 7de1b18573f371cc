"""Golden files: the exact ASL and manifest of seven small jobs.

The files live in ``tests/golden/``. They change only when you mean it:
regenerate them with ``ALOFT_UPDATE_GOLDEN=1 pytest tests/unit/compiler/test_golden.py``
and review the diff.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from compiler_graphs import CHAIN, DIAMOND, N_GRAPH, RETRY_POLICIES, job_definitions, wide

from aloft import Definitions
from aloft.compiler import CompileOptions, compile_job
from aloft.compiler.contract import StepSize

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
UPDATE = os.environ.get("ALOFT_UPDATE_GOLDEN") == "1"


def _partitioned() -> Definitions:
    from aloft.partitions import DailyPartitionsDefinition

    return job_definitions(
        DIAMOND, job="daily", partitions_def=DailyPartitionsDefinition("2026-01-01")
    )


JOBS: dict[str, Callable[[], tuple[Definitions, str]]] = {
    "chain": lambda: (job_definitions(CHAIN, job="chain"), "chain"),
    "diamond": lambda: (job_definitions(DIAMOND, job="diamond"), "diamond"),
    "n_graph": lambda: (job_definitions(N_GRAPH, job="n_graph"), "n_graph"),
    "wide": lambda: (job_definitions(wide(6), job="wide"), "wide"),
    "partitioned": lambda: (_partitioned(), "daily"),
    "retry": lambda: (job_definitions(CHAIN, job="retry", retry=RETRY_POLICIES), "retry"),
    "sized": lambda: (job_definitions(DIAMOND, job="sized"), "sized"),
}
# Steps on run_step functions of their own size (what `aloft deploy` passes from op tags and
# [tool.aloft.assets]): one placeholder per distinct size; the others keep the default one.
OPTIONS = {
    "sized": CompileOptions(
        step_sizes={
            "b": StepSize(memory_mb=4096, timeout_seconds=900),
            "c": StepSize(memory_mb=4096, timeout_seconds=900),
            "d": StepSize(memory_mb=512, timeout_seconds=60),
        }
    )
}


def _check(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual)
        return
    if not path.exists():
        pytest.fail(f"{path.name} is missing; create it with ALOFT_UPDATE_GOLDEN=1")
    expected = path.read_text()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                str(path),
                "compiled",
            )
        )
        pytest.fail(
            f"compiled output differs from {path.name} (ALOFT_UPDATE_GOLDEN=1 to accept):\n{diff[:6000]}"
        )


@pytest.mark.parametrize("name", sorted(JOBS))
def test_golden(name: str) -> None:
    definitions, job_name = JOBS[name]()
    job = compile_job(definitions, job_name, OPTIONS.get(name))
    _check(GOLDEN / f"{name}.asl.json", job.entry.to_json())
    _check(GOLDEN / f"{name}.manifest.json", job.manifest_json())


def test_golden_files_have_no_strays() -> None:
    expected = {f"{n}.{kind}.json" for n in JOBS for kind in ("asl", "manifest")}
    assert {p.name for p in GOLDEN.glob("*.json")} <= expected
