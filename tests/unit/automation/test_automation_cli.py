"""``aloft schedule|sensor|automation|daemon`` against a project on disk with a SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aloft.cli import main as cli_main

PROJECT = '''
from aloft import Definitions, asset, define_asset_job
from aloft.automation.conditions import AutomationCondition
from aloft.automation.run_request import DefaultScheduleStatus, DefaultSensorStatus, RunRequest
from aloft.automation.s3 import s3_sensor
from aloft.automation.schedule import ScheduleDefinition
from aloft.automation.sensor import sensor

@asset
def numbers() -> list[int]:
    return [1, 2, 3]

@asset(automation_condition=AutomationCondition.eager())
def total(numbers: list[int]) -> int:
    return sum(numbers)

refresh = define_asset_job("refresh", selection="numbers")

nightly = ScheduleDefinition(name="nightly", job=refresh, cron_schedule="30 2 * * *",
                             execution_timezone="Europe/Berlin", default_status=DefaultScheduleStatus.RUNNING)

@sensor(job=refresh, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def counter(context):
    n = int(context.cursor or 0) + 1
    context.update_cursor(str(n))
    return RunRequest(run_key=str(n))

@s3_sensor(bucket="landing-bucket", prefix="orders/", job=refresh)
def drops(context, s3_event):
    return RunRequest(tags={"key": s3_event.key})

defs = Definitions(assets=[numbers, total], schedules=[nightly], sensors=[counter, drops])
'''


@pytest.fixture
def project(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (in_tmp / "defs.py").write_text(PROJECT)
    (in_tmp / "pyproject.toml").write_text('[tool.aloft]\nfile = "defs.py"\nstate = "sqlite:.aloft/state.db"\n')
    if "aloft.cli.automation" not in cli_main.COMMAND_MODULES:  # until main.py registers it
        monkeypatch.setattr(cli_main, "COMMAND_MODULES", (*cli_main.COMMAND_MODULES, "aloft.cli.automation"))
    return in_tmp


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_schedule_list(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schedule", "list", "--json")
    assert code == 0
    (row,) = json.loads(out)
    assert row["eventbridge"] == ["cron(30 2 * * ? *)"]
    assert (row["job"], row["timezone"], row["default_status"]) == ("refresh", "Europe/Berlin", "RUNNING")
    code, out, _ = run(capsys, "schedule", "list")
    assert "nightly" in out and "cron(30 2 * * ? *)" in out


def test_schedule_preview_across_dst(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schedule", "preview", "nightly", "--count", "3", "--after", "2024-03-29T12:00:00+00:00",
                       "--json")
    assert code == 0
    ticks = json.loads(out)["ticks"]
    assert [t["local"] for t in ticks] == [
        "2024-03-30T02:30:00+01:00",
        "2024-04-01T02:30:00+02:00",  # 2024-03-31 02:30 does not exist in Berlin
        "2024-04-02T02:30:00+02:00",
    ]
    assert ticks[0]["execution_name"] == "nightly-20240330T013000Z"
    code, out, _ = run(capsys, "schedule", "preview", "nightly", "--count", "5")
    assert code == 0 and out.count("nightly-") == 5


def test_unknown_names_suggest(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "schedule", "preview", "nighty")
    assert code == 2 and "Did you mean 'nightly'" in err
    code, _, err = run(capsys, "sensor", "cursor", "countr")
    assert code == 2 and "Did you mean 'counter'" in err


def test_sensor_list_preview_and_cursor(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sensor", "list", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["counter"]["trigger"] == "every 60s" and rows["drops"]["trigger"] == "s3://landing-bucket/orders/*"
    code, out, _ = run(capsys, "sensor", "preview", "counter", "--json")
    evaluation = json.loads(out)["evaluations"][0]
    assert evaluation["run_requests"][0]["run_key"] == "1" and evaluation["cursor"] == "1"
    assert run(capsys, "sensor", "cursor", "counter")[1].strip() == "(no cursor)"  # preview stores nothing
    assert run(capsys, "sensor", "cursor", "counter", "--set", "41")[0] == 0
    assert run(capsys, "sensor", "cursor", "counter")[1].strip() == "41"
    code, out, _ = run(capsys, "sensor", "preview", "counter")
    assert code == 0
    assert "key=42" in out and "cursor would become: 42" in out
    run(capsys, "sensor", "cursor", "counter", "--set", "")
    assert run(capsys, "sensor", "cursor", "counter")[1].strip() == "(no cursor)"


def test_s3_sensor_preview_needs_an_event(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "sensor", "preview", "drops")
    assert code == 2 and "pass --event FILE" in err
    event = json.loads((Path(__file__).parent / "events" / "eventbridge_object_created.json").read_text())
    (project / "drop.json").write_text(json.dumps(event))
    code, out, _ = run(capsys, "sensor", "preview", "drops", "--event", "drop.json", "--json")
    (evaluation,) = json.loads(out)["evaluations"]
    assert evaluation["event"] == "s3://landing-bucket/orders/2021-11-11.csv"
    assert evaluation["run_requests"][0]["tags"]["key"] == "orders/2021-11-11.csv"


def test_daemon_runs_sensors_and_automation(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "daemon", "--iterations", "2", "--interval", "0", "--workers", "0")
    assert code == 0
    assert "schedules: nightly; sensors: counter" in out
    assert "counter: SUCCESS" in out
    code, out, _ = run(capsys, "runs", "list", "--json")
    runs = json.loads(out)
    assert len(runs) >= 2  # the sensor's run of 'refresh', then the eager run of 'total'
    code, out, _ = run(capsys, "automation", "status")
    assert "total  [eager]" in out
    assert run(capsys, "sensor", "cursor", "counter")[1].strip() == "1"
