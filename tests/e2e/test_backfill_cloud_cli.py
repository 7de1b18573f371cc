"""``aloft backfill --job J ... --local-cloud``, in its own process (it starts its own emulated AWS)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aloft.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = str(Path(__file__).with_name("backfill_cloud_definitions.py"))


def test_backfill_local_cloud_runs_one_execution_and_records_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = f"sqlite:{tmp_path / 'state.db'}"
    command = ["-f", DEFINITIONS, "--state", state, "backfill", "--job", "bf_daily"]
    done = subprocess.run(
        [sys.executable, "-m", "aloft.cli.main", *command, "--from", "2026-02-01", "--to", "2026-02-03", "--local-cloud"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    first, last = done.stdout.splitlines()[0], done.stdout.splitlines()[-1]
    assert "job bf_daily, 3 partitions in ONE execution of aloft-bf_daily-backfill" in first
    backfill_id = first.split()[1].rstrip(":")
    assert last.startswith(f"backfill {backfill_id} COMPLETED (execution SUCCEEDED): 3 materialized")
    # the record is in the project's state store: the local `aloft backfill status` reads it
    assert main(["-f", DEFINITIONS, "--state", state, "backfill", "status", backfill_id, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["status"] == "COMPLETED"


def test_backfill_local_cloud_needs_a_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = f"sqlite:{tmp_path / 'state.db'}"
    code = main(["-f", DEFINITIONS, "--state", state, "backfill", "--select", "bf_events", "--all", "--local-cloud"])
    assert code == 2 and "pass --job NAME" in capsys.readouterr().err
