"""``aloft run --job NAME --local-cloud --config FILE``, and ``aloft runs show`` of such a run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN_CLI = "import sys, aloft.cli.main as m\nsys.exit(m.main(sys.argv[1:]))\n"


def aloft(*args: str, state: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_CLI, "-m", "examples.quickstart.definitions", "--state", state, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_run_local_cloud_with_a_config_file(tmp_path: Path) -> None:
    state = f"sqlite:{tmp_path / 'state.db'}"
    config = tmp_path / "run.yaml"
    config.write_text(
        "ops:\n  cleaned_orders:\n    config:\n      min_amount: 400\n"
        "resources:\n  io_manager:\n    config: {}\n"
    )
    default = aloft("run", "--job", "daily_revenue", "--local-cloud", "--json", state=state)
    assert default.returncode == 0, default.stderr[-3000:]
    done = aloft("run", "--job", "daily_revenue", "--local-cloud", "--config", str(config), "--json", state=state)
    assert done.returncode == 0, done.stderr[-3000:]
    run_id = json.loads(done.stdout)["run_id"]

    history = aloft("asset", "history", "cleaned_orders", "--json", state=state)
    assert history.returncode == 0, history.stderr[-3000:]
    counts = {row["run_id"]: row["metadata"]["row_count"]["value"] for row in json.loads(history.stdout)}
    # the run used the file's config: only the largest orders are kept
    assert 0 < counts[run_id] < counts[json.loads(default.stdout)["run_id"]]

    shown = aloft("runs", "show", run_id, "--json", state=state)
    assert json.loads(shown.stdout)["run"]["run_config"]["ops"]["cleaned_orders"]["config"]["min_amount"] == 400


def test_an_invalid_config_file_fails_before_the_run_is_recorded(tmp_path: Path) -> None:
    state = f"sqlite:{tmp_path / 'state.db'}"
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"ops": {"cleaned_orders": {"config": {"min_amount": "lots"}}}}))
    done = aloft("run", "--job", "daily_revenue", "--local-cloud", "--config", str(config), state=state)
    assert done.returncode != 0
    assert "ops.cleaned_orders.config.min_amount" in done.stderr
    listed = aloft("runs", "list", "--json", state=state)
    assert json.loads(listed.stdout) == []


def test_runs_show_masks_secret_looking_config_values(tmp_path: Path) -> None:
    from aloft.storage.records import RunRecord
    from aloft.storage.sqlite import SqliteStateStore

    path = tmp_path / "state.db"
    config = {"ops": {"fetch": {"config": {"api_token": "tok-123", "limit": 5, "password": {"env": "DB_PASS"}}}}}
    SqliteStateStore(path).create_run(RunRecord("r1", "daily", run_config=config))
    shown = aloft("runs", "show", "r1", state=f"sqlite:{path}")
    assert shown.returncode == 0, shown.stderr[-3000:]
    assert "tok-123" not in shown.stdout
    line = next(line for line in shown.stdout.splitlines() if "run config" in line)
    assert '"api_token": "***"' in line and '"limit": 5' in line and '"env": "DB_PASS"' in line
    as_json = json.loads(aloft("runs", "show", "r1", "--json", state=f"sqlite:{path}").stdout)
    assert as_json["run"]["run_config"]["ops"]["fetch"]["config"]["api_token"] == "***"
