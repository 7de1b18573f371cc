"""The aloft command: loading definitions, materialize, list, graph, job, exit codes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from aloft.cli.main import main

PROJECT = '''
from aloft import Definitions, asset, define_asset_job, Config

class Threshold(Config):
    minimum: int = 0

@asset(group_name="raw")
def numbers() -> list[int]:
    return [1, 2, 3]

@asset(group_name="mart")
def total(config: Threshold, numbers: list[int]) -> int:
    return sum(n for n in numbers if n >= config.minimum)

@asset(group_name="mart")
def broken(numbers: list[int]) -> int:
    raise ValueError("broken on purpose")

defs = Definitions(assets=[numbers, total, broken], jobs=[define_asset_job("totals", selection="numbers+ and not broken")])
'''


@pytest.fixture
def project(in_tmp: Path) -> Path:
    (in_tmp / "defs.py").write_text(PROJECT)
    (in_tmp / "pyproject.toml").write_text('[tool.aloft]\nfile = "defs.py"\nstate = "memory:"\n')
    return in_tmp


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_materialize_success_summary_and_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "materialize", "--select", "numbers+ and not broken")
    assert code == 0
    assert "numbers" in out and "total" in out and "SUCCESS: 2 of 2 steps succeeded" in out
    assert (project / ".aloft" / "storage" / "numbers").is_file()


def test_materialize_failure_exit_code_and_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "materialize", "--json")
    assert code == 1
    data = json.loads(out)
    statuses = {s["step"]: s["status"] for s in data["steps"]}
    assert statuses == {"numbers": "SUCCESS", "total": "SUCCESS", "broken": "FAILURE"}
    assert data["status"] == "FAILURE"
    broken = next(s for s in data["steps"] if s["step"] == "broken")
    assert broken["error"] == {"type": "ValueError", "message": "broken on purpose"}


def test_materialize_with_config_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "run.yaml").write_text("ops:\n  total:\n    config:\n      minimum: 2\n")
    code, out, _ = run(capsys, "materialize", "--select", "numbers,total", "--config", "run.yaml", "--json")
    assert code == 0
    step = next(s for s in json.loads(out)["steps"] if s["step"] == "total")
    assert step["status"] == "SUCCESS"


def test_bad_config_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "run.json").write_text(json.dumps({"ops": {"total": {"config": {"minimum": "x"}}}}))
    code, _, err = run(capsys, "materialize", "--select", "numbers,total", "--config", "run.json")
    assert code == 2
    assert "ops.total.config.minimum" in err


def test_unknown_selection_suggests(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "materialize", "--select", "totl")
    assert code == 2 and "Did you mean 'total'" in err


def test_list_and_graph(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--json")
    data = json.loads(out)
    assert code == 0
    assert [a["key"] for a in data["assets"]] == ["numbers", "broken", "total"]
    assert data["groups"] == ["mart", "raw"] and data["jobs"][0]["name"] == "totals"
    code, out, _ = run(capsys, "graph")
    assert "level 1:" in out and "total <- numbers" in out
    code, out, _ = run(capsys, "graph", "--format", "mermaid")
    assert out.startswith("flowchart LR") and "a0 --> a" in out


def test_job_list_and_execute(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "job", "list")
    assert code == 0 and "totals  (assets: numbers, total)" in out
    code, out, _ = run(capsys, "job", "execute", "-j", "totals")
    assert code == 0 and "SUCCESS" in out
    code, _, err = run(capsys, "job", "execute", "-j", "total")
    assert code == 2 and "Did you mean 'totals'" in err


def test_import_error_points_at_the_user_file_and_line(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "broken_defs.py").write_text(textwrap.dedent("""
        from aloft import asset

        x = 1
        raise RuntimeError("boom at import")
    """))
    code, _, err = run(capsys, "--state", "memory:", "-f", "broken_defs.py", "list")
    assert code == 2
    assert "broken_defs.py:5" in err and "RuntimeError: boom at import" in err


def test_definition_error_in_user_code(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "cyclic.py").write_text(textwrap.dedent("""
        from aloft import asset, Definitions

        @asset
        def a(b: int) -> int: return b

        @asset
        def b(a: int) -> int: return a

        defs = Definitions(assets=[a, b])
    """))
    code, _, err = run(capsys, "-f", "cyclic.py", "list")
    assert code == 2 and "cycle: a -> b -> a" in err and "cyclic.py:10" in err


def test_no_definitions_found(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "list")
    assert code == 2 and "pass -f FILE.py or -m MODULE" in err
    (in_tmp / "empty.py").write_text("x = 1\n")
    code, _, err = run(capsys, "-f", "empty.py", "list")
    assert code == 2 and "defines no Definitions object" in err


def test_module_with_attribute(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "mypkg_defs.py").write_text(PROJECT + "\nother = defs\n")
    code, out, _ = run(capsys, "-m", "mypkg_defs:other", "list")
    assert code == 0 and "numbers" in out
    code, _, err = run(capsys, "-m", "mypkg_defs", "list")
    assert code == 2 and "several Definitions (defs, other)" in err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
