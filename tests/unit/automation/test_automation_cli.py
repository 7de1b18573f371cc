"""``aloft schedule|sensor|automation`` against a project on disk with a SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from automation_cli_project import run


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
    event["detail"]["object"].pop("key")
    (project / "broken.json").write_text(json.dumps(event))
    code, _, err = run(capsys, "sensor", "preview", "drops", "--event", "broken.json")
    assert code == 1 and "sensor 'drops' failed" in err and "key" in err
    (project / "garbage.json").write_text("{")
    code, _, err = run(capsys, "sensor", "preview", "drops", "--event", "garbage.json")
    assert code == 2 and "--event garbage.json" in err


def test_the_automation_cursor_can_be_read_and_reset(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "sensor", "cursor", "automation")[1].strip() == "(no cursor)"
    run(capsys, "daemon", "--once", "--workers", "0")
    assert json.loads(run(capsys, "sensor", "cursor", "automation")[1])["v"] == 1
    assert run(capsys, "sensor", "cursor", "automation", "--set", "")[0] == 0
    assert run(capsys, "sensor", "cursor", "automation")[1].strip() == "(no cursor)"
