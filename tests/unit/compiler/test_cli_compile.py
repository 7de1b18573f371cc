"""``aloft compile`` and ``aloft plan`` on the quickstart project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import aloft.cli.main as cli_main


@pytest.fixture
def aloft_cli(monkeypatch: pytest.MonkeyPatch) -> object:
    if "aloft.cli.cloud" not in cli_main.COMMAND_MODULES:
        monkeypatch.setattr(
            cli_main, "COMMAND_MODULES", (*cli_main.COMMAND_MODULES, "aloft.cli.cloud")
        )
    return cli_main.main


ROOT = Path(__file__).resolve().parents[3]


def test_compile_writes_asl_and_manifest(
    aloft_cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = aloft_cli(
        [
            "-m",
            "examples.quickstart.definitions",
            "compile",
            "--job",
            "daily_revenue",
            "--out",
            str(tmp_path),
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary[0]["layout"] == "series-parallel"
    definition = json.loads((tmp_path / "aloft-daily_revenue.asl.json").read_text())
    assert definition["StartAt"] == "Selected_raw_orders"
    manifest = json.loads((tmp_path / "daily_revenue.manifest.json").read_text())
    assert manifest["steps"]["cleaned_orders"]["upstream"] == ["raw_orders"]


def test_plan_prints_transitions_invocations_and_cost(
    aloft_cli, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        aloft_cli(
            ["-m", "examples.quickstart.definitions", "plan", "--job", "daily_revenue", "--json"]
        )
        == 0
    )
    (row,) = json.loads(capsys.readouterr().out)
    assert row["state_transitions"] == 8 and row["lambda_invocations"] == 4
    assert row["cost_usd"]["step_functions"] == pytest.approx(8 * 0.025 / 1000)
    assert (
        aloft_cli(["-m", "examples.quickstart.definitions", "plan", "--job", "daily_revenue"]) == 0
    )
    assert "state transitions" in capsys.readouterr().out


def test_unknown_job_is_a_usage_error(aloft_cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        aloft_cli(["-m", "examples.quickstart.definitions", "plan", "--job", "daily_revenu"]) == 2
    )
    assert "Did you mean 'daily_revenue'" in capsys.readouterr().err
