"""``aloft synth`` / ``aloft deploy``: settings, preflight errors, missing tools, the CDK command."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from _infra_synth import INFRA, require_cdk

from aloft.cli import deploy
from aloft.cli import main as cli_main

DEFS = """\
from aloft import Definitions, asset, define_asset_job

@asset
def one() -> int:
    return 1

defs = Definitions(assets=[one], jobs=[define_asset_job("all_of_it")])
"""

BROKEN = """\
from aloft import Definitions, asset

raise RuntimeError("the user's code is broken here")
"""


def _aloft(*argv: str) -> int:
    # main.COMMAND_MODULES is the SDK owner's; make sure this module's commands are registered.
    modules = tuple(dict.fromkeys((*cli_main.COMMAND_MODULES, "aloft.cli.deploy")))
    with mock.patch.object(cli_main, "COMMAND_MODULES", modules):
        return cli_main.main(list(argv))


@pytest.fixture
def user_project(in_tmp: Path) -> Iterator[Path]:
    (in_tmp / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [tool.aloft]
            module = "shopdefs.definitions"
            name = "clitest"
            stage = "qa"
            region = "eu-west-1"
            """
        )
    )
    package = in_tmp / "shopdefs"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "definitions.py").write_text(DEFS)
    yield in_tmp
    # Each test writes its own shopdefs package: forget the one this test imported.
    for name in [n for n in sys.modules if n == "shopdefs" or n.startswith("shopdefs.")]:
        del sys.modules[name]
    if str(in_tmp.resolve()) in sys.path:
        sys.path.remove(str(in_tmp.resolve()))


def test_print_command_shows_the_pinned_cdk_with_the_project_settings(
    user_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock.patch.object(deploy, "_check_tools"):
        assert _aloft("deploy", "--stage", "prod", "--yes", "--print-command") == 0
    command = shlex.split(capsys.readouterr().out.strip())
    assert command[0] == str(INFRA / "node_modules" / ".bin" / "cdk")
    assert command[1] == "deploy"
    assert command[command.index("--app") + 1].endswith(f"{INFRA / 'app.py'}")
    assert command[command.index("--output") + 1] == str(user_project.resolve() / "cdk.out")
    context = [command[i + 1] for i, arg in enumerate(command) if arg == "-c"]
    assert f"aloft:root={user_project.resolve()}" in context
    assert "aloft:stage=prod" in context
    assert "aloft:definitions=shopdefs.definitions" in context
    assert "aloft-clitest-prod" in command
    assert command[-2:] == ["--require-approval", "never"]


def test_print_command_without_overrides_uses_the_pyproject_stage(
    user_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock.patch.object(deploy, "_check_tools"):
        assert _aloft("deploy", "--region", "us-east-2", "--print-command") == 0
    command = shlex.split(capsys.readouterr().out.strip())
    context = [command[i + 1] for i, arg in enumerate(command) if arg == "-c"]
    assert "aloft-clitest-qa" in command
    assert "aloft:region=us-east-2" in context
    assert not any(c.startswith("aloft:stage=") for c in context), "the app reads [tool.aloft]"
    assert "--require-approval" not in command, "deploy asks before IAM changes unless --yes"


@pytest.mark.parametrize("command", ["synth", "diff", "deploy"])
def test_a_definitions_import_error_points_at_the_users_file_and_line(
    user_project: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    (user_project / "shopdefs" / "definitions.py").write_text(BROKEN)
    with mock.patch.object(deploy.subprocess, "run") as run:
        assert _aloft(command) == 2
    run.assert_not_called()  # reported before Node starts
    err = capsys.readouterr().err
    broken = user_project / "shopdefs" / "definitions.py"
    assert f"{broken.resolve()}:3" in err or f"{broken}:3" in err, err
    assert "the user's code is broken here" in err


def test_a_missing_definitions_module_says_which_and_where(
    user_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (user_project / "pyproject.toml").write_text(
        '[tool.aloft]\nmodule = "shopdefs.definition"\nname = "clitest"\n'
    )
    assert _aloft("synth") == 2
    err = capsys.readouterr().err
    assert "cannot import shopdefs.definition: no module 'shopdefs.definition'" in err
    assert "loading.py" not in err, "aloft's own loader is not where the mistake is"


def test_a_missing_dependency_of_the_users_code_points_at_the_import(
    user_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (user_project / "shopdefs" / "definitions.py").write_text(
        "import not_installed_anywhere\n" + DEFS
    )
    assert _aloft("synth") == 2
    err = capsys.readouterr().err
    assert "definitions.py:1" in err and "not_installed_anywhere" in err


def test_a_definitions_error_names_the_asset(
    user_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (user_project / "shopdefs" / "definitions.py").write_text(
        DEFS.replace("@asset\n", '@asset(op_tags={"aloft/memory_mb": "99999"})\n')
    )
    with mock.patch.object(deploy.subprocess, "run") as run:
        assert _aloft("synth") == 2
    run.assert_not_called()
    err = capsys.readouterr().err
    assert "asset 'one'" in err and "between 128 and 10240" in err


def test_missing_node_says_how_to_install_it(
    user_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock.patch.object(deploy.shutil, "which", return_value=None):
        assert _aloft("synth") == 2
    err = capsys.readouterr().err
    assert "Node.js" in err and "npm ci --prefix" in err


def test_missing_cdk_cli_says_how_to_install_the_pinned_one(
    user_project: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    infra = tmp_path_factory.mktemp("infra-without-node-modules")
    (infra / "app.py").write_text("")
    with (
        mock.patch.dict("os.environ", {"ALOFT_INFRA_DIR": str(infra)}),
        mock.patch.object(deploy.shutil, "which", return_value="/usr/bin/node"),
        mock.patch.object(
            deploy,
            "_import_infra",
            side_effect=lambda _, module: __import__(module, fromlist=["_"]),
        ),
    ):
        assert _aloft("synth") == 2
    err = capsys.readouterr().err
    assert f"npm ci --prefix {infra}" in err and "do not install aws-cdk globally" in err


def test_bad_settings_are_reported_before_node_starts(
    user_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (user_project / "pyproject.toml").write_text(
        '[tool.aloft]\nmodule = "shopdefs.definitions"\nname = "Bad_Name"\n'
    )
    assert _aloft("synth") == 2
    assert "lower-case letters" in capsys.readouterr().err


def test_aloft_synth_runs_the_pinned_cdk_cli_end_to_end(user_project: Path) -> None:
    """The real thing: CDK CLI -> infra/app.py -> template with cdk-nag (bundling skipped for speed)."""
    require_cdk()
    if not (INFRA / deploy.CDK_BIN).exists():
        pytest.skip(f"the pinned CDK CLI is not installed: npm ci --prefix {INFRA}")
    assert shutil.which("node")
    assert _aloft("synth", "--no-bundle") == 0
    out = user_project / "cdk.out"
    # [tool.aloft] name, stage and region reach the app that the CDK CLI runs.
    template = json.loads((out / "aloft-clitest-qa.template.json").read_text())
    names = [
        r["Properties"]["StateMachineName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    assert sorted(names) == ["clitest-qa-__ASSET_JOB", "clitest-qa-all_of_it"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["artifacts"]["aloft-clitest-qa"]["environment"].endswith("/eu-west-1")
    report = json.loads((user_project / "cdk.out" / "validation-report.json").read_text())
    assert report["pluginReports"] == [] or all(
        p.get("conclusion") == "success" for p in report["pluginReports"]
    )
