"""``aloft ui``: serves the project's definitions and state store until interrupted."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import fetch

import aloft.cli.main as cli
import aloft.cli.ui as ui_command

PROJECT = """
from aloft import Definitions, asset

@asset(group_name="raw")
def numbers() -> list[int]:
    return [1, 2, 3]

@asset(group_name="mart")
def total(numbers: list[int]) -> int:
    return sum(numbers)

defs = Definitions(assets=[numbers, total])
"""


@pytest.fixture
def project(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ALOFT_STATE", raising=False)
    (in_tmp / "defs.py").write_text(textwrap.dedent(PROJECT))
    (in_tmp / "pyproject.toml").write_text('[tool.aloft]\nfile = "defs.py"\n')
    return in_tmp


def test_ui_is_a_registered_command() -> None:
    assert "aloft.cli.ui" in cli.COMMAND_MODULES


def test_aloft_ui_serves_the_project_until_interrupted(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["materialize", "--select", "*", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    seen: dict[str, Any] = {}

    def browse_then_interrupt(server: Any) -> None:
        seen["url"] = server.url
        seen["assets"] = fetch(server.url + "/api/assets").json()
        seen["run"] = fetch(server.url + f"/api/runs/{run_id}").json()
        raise KeyboardInterrupt

    monkeypatch.setattr(ui_command, "_serve_until_interrupted", browse_then_interrupt)
    assert cli.main(["ui", "--port", "0"]) == 0
    out = capsys.readouterr().out
    assert f"aloft UI on {seen['url']}" in out and "stopped" in out
    assert seen["url"].startswith("http://127.0.0.1:")
    latest = {a["key"]: a["latest"]["run_id"] for a in seen["assets"]["assets"]}
    assert latest == {"numbers": run_id, "total": run_id}
    assert [s["status"] for s in seen["run"]["steps"]] == ["SUCCEEDED", "SUCCEEDED"]
    with pytest.raises(OSError):
        fetch(seen["url"] + "/api/assets")  # stopped with the command


def test_aloft_ui_reports_a_busy_port(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        assert cli.main(["ui", "--port", str(busy)]) == 2
    err = capsys.readouterr().err
    assert f"cannot serve the UI on 127.0.0.1:{busy}" in err and "--port" in err


def test_the_static_page_ships_in_the_wheel_and_import_aloft_stays_light() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())
    assert "ui/static/*" in pyproject["tool"]["setuptools"]["package-data"]["aloft"]
    code = "import sys, aloft; print(sorted(m for m in sys.modules if m.startswith(('aloft.ui', 'http.server'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
