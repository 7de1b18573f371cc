"""``aloft runs``, ``aloft asset history|status`` and ``aloft state init`` on a SQLite state store."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

import aloft.cli.main as cli
from aloft.storage.records import RunRecord, RunStatus
from aloft.storage.sqlite import SqliteStateStore

PROJECT = '''
from aloft import Definitions, asset
from aloft.partitions import StaticPartitionsDefinition

@asset
def numbers(context) -> list[int]:
    context.log.info("read %d numbers", 3)
    return [1, 2, 3]

@asset
def total(numbers: list[int]) -> int:
    return sum(numbers)

@asset
def broken(numbers: list[int]) -> int:
    raise ValueError("broken on purpose")

@asset(partitions_def=StaticPartitionsDefinition(["eu", "us", "apac"]))
def regional(context) -> str:
    return context.partition_key

defs = Definitions(assets=[numbers, total, broken, regional])
'''


@pytest.fixture(autouse=True)
def state_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register aloft.cli.state until aloft.cli.main lists it."""
    if "aloft.cli.state" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "aloft.cli.state"))


@pytest.fixture
def project(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ALOFT_STATE", raising=False)
    (in_tmp / "defs.py").write_text(textwrap.dedent(PROJECT))
    (in_tmp / "pyproject.toml").write_text('[tool.aloft]\nfile = "defs.py"\n')  # default state: SQLite
    return in_tmp


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def materialize(capsys: pytest.CaptureFixture[str], select: str, partition: str | None = None) -> str:
    argv = ["materialize", "--select", select, "--json"] + (["--partition", partition] if partition else [])
    code, out, _ = run(capsys, *argv)
    run_id: str = json.loads(out)["run_id"]
    assert code in (0, 1)
    return run_id


def test_runs_list_filters_and_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = materialize(capsys, "numbers+ and not broken")
    failed = materialize(capsys, "broken")
    assert (project / ".aloft" / "state.db").is_file()  # history is kept between invocations

    code, out, _ = run(capsys, "runs", "list")
    assert code == 0
    assert ok in out and failed in out and "SUCCESS" in out and "FAILURE" in out
    assert out.index(failed) < out.index(ok)  # newest first

    code, out, _ = run(capsys, "runs", "list", "--status", "failure", "--json")
    assert code == 0
    assert [r["run_id"] for r in json.loads(out)] == [failed]
    code, out, _ = run(capsys, "runs", "list", "--job", "nope")
    assert "no runs recorded for job 'nope'" in out


def test_runs_list_rejects_an_unknown_status(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["runs", "list", "--status", "DONE"])
    assert exited.value.code == 2
    assert "unknown run status 'DONE'" in capsys.readouterr().err


def test_runs_show_steps_durations_logs_and_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = materialize(capsys, "numbers+")
    code, out, _ = run(capsys, "runs", "show", run_id)
    assert code == 0
    assert f"run {run_id}  FAILURE" in out
    lines = out.splitlines()
    assert any(line.split()[:2] == ["numbers", "SUCCEEDED"] for line in lines)
    assert any(line.split()[:2] == ["broken", "FAILED"] for line in lines)
    assert "INFO read 3 numbers" in out
    assert "ValueError: broken on purpose" in out and "Traceback" in out

    code, out, _ = run(capsys, "runs", "show", run_id, "--json")
    data = json.loads(out)
    assert data["run"]["status"] == "FAILURE"
    steps = {s["step"]: s for s in data["steps"]}
    assert steps["broken"]["status"] == "FAILED" and steps["broken"]["error"]["type"] == "ValueError"
    assert steps["total"]["status"] in ("SUCCEEDED", "SKIPPED")
    assert steps["numbers"]["duration"] is not None
    assert {e["event_type"] for e in data["events"]} >= {"STEP_STARTED", "STEP_SUCCEEDED", "STEP_FAILED"}


def test_runs_show_an_unknown_run(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "runs", "show", "nope")
    assert code == 2
    assert "no run 'nope'" in err and "no runs are recorded" in err


def test_asset_history(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = materialize(capsys, "numbers")
    second = materialize(capsys, "numbers")
    code, out, _ = run(capsys, "asset", "history", "numbers")
    assert code == 0
    assert out.index(second) < out.index(first)
    code, out, _ = run(capsys, "asset", "history", "numbers", "--json", "--limit", "1")
    assert [r["run_id"] for r in json.loads(out)] == [second]
    code, out, _ = run(capsys, "asset", "history", "total")
    assert "no materializations of total recorded" in out
    code, _, err = run(capsys, "asset", "history", "bad key!")
    assert code == 2 and "invalid asset key" in err


def test_asset_status_lists_every_asset_with_partitions(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = materialize(capsys, "numbers")
    materialize(capsys, "regional", partition="eu")
    materialize(capsys, "regional", partition="us")
    code, out, _ = run(capsys, "asset", "status")
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert set(rows) == {"numbers", "total", "broken", "regional"}
    assert run_id in rows["numbers"]
    assert "never" in rows["total"]
    assert "2/3 materialized" in rows["regional"]
    code, out, _ = run(capsys, "asset", "status", "--json")
    data = {row["asset"]: row for row in json.loads(out)}
    assert data["regional"]["partitions"] == {"MATERIALIZED": 2} and data["regional"]["partition_count"] == 3
    assert data["total"]["latest"] is None


def test_state_init_sqlite_honours_the_environment(project: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALOFT_STATE", "sqlite:custom/state.db")
    code, out, _ = run(capsys, "state", "init")
    assert code == 0
    assert (project / "custom" / "state.db").is_file()
    assert "SQLite state database ready" in out
    SqliteStateStore(project / "custom" / "state.db").create_run(RunRecord("r1", "daily"))
    code, out, _ = run(capsys, "runs", "list", "--status", RunStatus.QUEUED.value, "--json")
    assert [r["run_id"] for r in json.loads(out)] == ["r1"]


def test_state_init_refuses_to_create_a_table_in_aws(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--state", "dynamodb://aloft-state?region=eu-west-1", "state", "init")
    assert code == 2
    assert "CDK" in err and "endpoint" in err
