"""``aloft backfill ...`` and ``aloft partitions status`` on a project with a SQLite state store."""

from __future__ import annotations

import io
import json
import textwrap
import threading
import time
from pathlib import Path

import pytest

import aloft.cli.main as cli
from aloft.cli.backfill import ProgressBar
from aloft.execution.backfill import BackfillProgress
from aloft.storage.records import BackfillRecord, BackfillStatus, PartitionStatus, RunTrigger
from aloft.storage.sqlite import SqliteStateStore

PROJECT = '''
import os
import time

from aloft import AssetIn, Definitions, asset, define_asset_job
from aloft.partitions import DailyPartitionsDefinition, TimeWindowPartitionMapping

days = DailyPartitionsDefinition(start_date="2026-01-15", end_date="2026-03-10")


@asset(partitions_def=days)
def events(context) -> str:
    if context.partition_key in os.environ.get("BROKEN_DAYS", "").split(","):
        raise ValueError(f"no events for {context.partition_key}")
    time.sleep(float(os.environ.get("EVENT_SECONDS", "0")))
    return context.partition_key


@asset(partitions_def=days, ins={"balance": AssetIn(
    "balance", partition_mapping=TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))})
def balance(balance: int | None, events: str) -> int:
    return (balance or 0) + 1


@asset
def report() -> int:
    return 1


defs = Definitions(assets=[events, balance, report], jobs=[define_asset_job("ledger", selection="events+ and not report")])
'''


@pytest.fixture
def project(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ALOFT_STATE", raising=False)
    monkeypatch.delenv("BROKEN_DAYS", raising=False)
    (in_tmp / "defs.py").write_text(textwrap.dedent(PROJECT))
    (in_tmp / "pyproject.toml").write_text('[tool.aloft]\nfile = "defs.py"\n')
    return in_tmp


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def state(project: Path) -> SqliteStateStore:
    return SqliteStateStore(project / ".aloft" / "state.db")


def test_backfill_a_range_with_progress_and_summary(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "backfill", "--select", "events", "--from", "2026-01-20", "--to", "2026-01-29")
    assert code == 0, err
    assert "COMPLETED: 10 of 10 partitions materialized in 10 runs" in out
    assert "10 partitions" in err and "[10/10] 100%  10 materialized" in err  # line output: stderr is no TTY
    store = state(project)
    [record] = store.list_backfills()
    assert record.status is BackfillStatus.COMPLETED and record.selection == ("events",)
    assert record.partition_keys[0] == "2026-01-20" and len(record.partition_keys) == 10
    runs = store.list_runs(limit=20)
    assert len(runs) == 10 and {r.trigger for r in runs} == {RunTrigger.BACKFILL}
    assert (project / ".aloft" / "storage" / "events" / "2026-01-25").is_file()


def test_failure_status_resume_and_json(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROKEN_DAYS", "2026-01-18")
    code, out, err = run(capsys, "backfill", "--job", "ledger", "--from", "2026-01-15", "--to", "2026-01-21", "--json")
    assert code == 1
    outcome = json.loads(out)
    backfill_id = outcome["backfill_id"]
    assert outcome["status"] == "FAILED" and outcome["success"] is False
    assert outcome["counts"] == {"MATERIALIZED": 3, "FAILED": 1, "SKIPPED": 3}
    assert outcome["partitions"]["2026-01-18"] == "FAILED" and outcome["partitions"]["2026-01-19"] == "SKIPPED"
    assert "ValueError: no events for 2026-01-18" in outcome["errors"]["2026-01-18"]
    assert "2026-01-18 failed" in err

    code, out, _ = run(capsys, "backfill", "status", backfill_id)
    assert code == 0
    assert f"backfill {backfill_id}  FAILED" in out
    assert "7 partitions: 3 materialized, 1 failed, 3 missing" in out
    assert "MATERIALIZED  2026-01-15..2026-01-17" in out and "MISSING       2026-01-19..2026-01-21" in out
    assert f"resume with: aloft backfill resume {backfill_id}" in out

    code, out, _ = run(capsys, "backfill", "list", "--json")
    [listed] = json.loads(out)
    assert listed["backfill_id"] == backfill_id and listed["job_name"] == "ledger"
    assert listed["counts"] == {"MATERIALIZED": 3, "FAILED": 1, "IN_PROGRESS": 0, "MISSING": 3}

    monkeypatch.delenv("BROKEN_DAYS")
    code, out, _ = run(capsys, "backfill", "resume", backfill_id)
    assert code == 0
    assert f"backfill {backfill_id} COMPLETED: 7 of 7 partitions materialized in 8 runs" in out  # 4 events + 4 balance
    code, out, _ = run(capsys, "backfill", "status", backfill_id, "--json")
    assert json.loads(out)["status"] == "COMPLETED"
    code, _, err = run(capsys, "backfill", "resume", backfill_id)
    assert code == 2 and "nothing to resume" in err


def test_partitions_list_all_and_missing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "backfill", "--select", "events", "--partitions", "2026-01-16, 2026-03-01")
    assert code == 0 and "2 of 2 partitions" in out
    code, out, _ = run(capsys, "backfill", "--select", "events", "--missing", "--max-concurrent", "4")
    assert code == 0 and "52 of 52 partitions" in out
    code, out, _ = run(capsys, "backfill", "--select", "events", "--missing")
    assert code == 0 and "nothing to backfill: every requested partition of events is materialized" in out
    code, out, _ = run(capsys, "backfill", "--select", "events", "--all")
    assert code == 0 and "54 of 54 partitions" in out


def test_list_and_cancel(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "backfill", "list")
    assert code == 0 and "no backfills recorded" in out
    state(project).create_backfill(BackfillRecord(
        "stalled", "__ASSET_JOB", partition_keys=("2026-01-15", "2026-01-16"), selection=("events",),
        status=BackfillStatus.IN_PROGRESS, partition_statuses={"2026-01-15": PartitionStatus.MATERIALIZED}))
    code, out, _ = run(capsys, "backfill", "list")
    assert "stalled" in out and "IN_PROGRESS" in out and "1/2" in out
    code, out, _ = run(capsys, "backfill", "cancel", "stalled")
    assert code == 0 and "backfill stalled CANCELED" in out and "1 partitions are not materialized" in out
    code, _, err = run(capsys, "backfill", "cancel", "stalled")
    assert code == 2 and "already ended (CANCELED)" in err
    code, out, _ = run(capsys, "backfill", "list", "--status", "canceled")
    assert "stalled" in out
    code, out, _ = run(capsys, "backfill", "resume", "stalled")
    assert code == 0 and "COMPLETED: 2 of 2" in out


def test_cancel_from_another_command_stops_a_running_backfill(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENT_SECONDS", "0.05")
    results: list[int] = []
    worker = threading.Thread(target=lambda: results.append(cli.main(
        ["backfill", "--select", "events", "--all", "--max-concurrent", "1"])))
    worker.start()
    deadline = time.monotonic() + 10
    while not (project / ".aloft" / "state.db").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    store = state(project)
    while not store.list_backfills() and time.monotonic() < deadline:
        time.sleep(0.01)
    [record] = store.list_backfills()
    # Another process would write the status through its own connection.
    store.update_backfill(record.backfill_id, status=BackfillStatus.CANCELED)
    worker.join(timeout=20)
    assert results == [1]
    final = store.get_backfill(record.backfill_id)
    assert final is not None and final.status is BackfillStatus.CANCELED
    done = sum(1 for key in final.partition_keys if final.status_of(key) is PartitionStatus.MATERIALIZED)
    # Stopped launching before the end (how soon depends on the machine's load: no bound here).
    assert done < len(final.partition_keys) == 54
    capsys.readouterr()


def test_bad_input_exits_2_with_the_fix(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        ("backfill", "--from", "2026-01-20", "--to", "2026-01-21"): "--select SELECTION or --job NAME",
        ("backfill", "--select", "events", "--from", "2026-01-20"): "--from and --to go together",
        ("backfill", "--select", "events"): "--from KEY --to KEY, --partitions A,B,C, --all or --missing",
        ("backfill", "--select", "events", "--from", "2026-02-10", "--to", "2026-02-01"):
            "starts at 2026-02-10, which comes after its end 2026-02-01",
        ("backfill", "--select", "events", "--partitions", "2026-02-30"):
            "2026-02-30 is not a partition of events: expected YYYY-MM-DD between 2026-01-15 and 2026-03-09",
        ("backfill", "--select", "evnts", "--all"): "Did you mean 'events'",
        ("backfill", "--select", "events,report", "--all"): "asset 'report' is not partitioned",
        ("backfill", "status", "nope"): "no backfill 'nope' in the state store. No backfill is recorded",
        ("partitions", "status", "report"): "asset 'report' is not partitioned; `aloft asset status`",
        ("partitions", "status", "event"): "no asset 'event'. Did you mean 'events'",
    }
    for argv, message in cases.items():
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
        assert message in err, (argv, err)
    assert state(project).list_backfills() == []


def test_partitions_status_grid_and_json(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROKEN_DAYS", "2026-02-03")
    run(capsys, "backfill", "--select", "events", "--from", "2026-02-01", "--to", "2026-02-05")
    code, out, _ = run(capsys, "partitions", "status", "events")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("events: 54 partitions  DailyPartitionsDefinition(")
    assert "         1234567890123456789012345678901" in lines
    assert "2026-01                ................." in lines  # starts on the 15th
    assert "2026-02  ##X##......................." in lines
    assert "2026-03  ........." in lines
    assert "# materialized 4   X failed 1   ~ in progress 0   . missing 49" in lines
    assert "failed: 2026-02-03" in lines

    code, out, _ = run(capsys, "partitions", "status", "events", "--json")
    data = json.loads(out)
    assert data["total"] == 54 and data["counts"]["MATERIALIZED"] == 4 and data["counts"]["FAILED"] == 1
    assert data["partitions"]["2026-02-03"] == "FAILED" and data["partitions"]["2026-01-15"] == "MISSING"
    assert data["ranges"][1] == {"start": "2026-02-01", "end": "2026-02-02", "status": "MATERIALIZED", "count": 2}
    assert set(data["run_ids"]) == {"2026-02-01", "2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05"}


def test_progress_bar_redraws_in_place_on_a_terminal() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, tty=True)
    bar.update(BackfillProgress("abc", total=4, in_progress=2))
    bar.update(BackfillProgress("abc", total=4, materialized=3, failed=1, elapsed=1.25))
    text = out.getvalue()
    assert text.startswith("backfill abc: 4 partitions\n")
    assert "\r[" + "-" * 30 + "] 0/4  0 materialized  2 running" in text
    assert text.endswith("\r[" + "#" * 30 + "] 4/4  3 materialized  1 failed  1.2s\x1b[K\n")
