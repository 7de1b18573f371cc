"""``aloft run --job NAME --local-cloud``, in its own process (it starts its own emulated AWS)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Registers the command module when the CLI does not list it yet.
RUN_CLI = (
    "import sys, aloft.cli.main as m\n"
    "if 'aloft.cli.cloud' not in m.COMMAND_MODULES:\n"
    "    m.COMMAND_MODULES = (*m.COMMAND_MODULES, 'aloft.cli.cloud')\n"
    "sys.exit(m.main(sys.argv[1:]))\n"
)


def test_run_local_cloud_prints_steps_as_they_happen(tmp_path: Path) -> None:
    state = f"sqlite:{tmp_path / 'state.db'}"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN_CLI,
            "-m",
            "examples.quickstart.definitions",
            "--state",
            state,
            "run",
            "--job",
            "daily_revenue",
            "--local-cloud",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("job daily_revenue: 4 steps, series-parallel layout")
    assert any("raw_orders" in line and "SUCCEEDED" in line for line in lines)
    assert lines[-2].endswith("SUCCESS (execution SUCCEEDED)")
