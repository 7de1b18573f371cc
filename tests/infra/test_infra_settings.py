"""Deployment settings, step sizes and bundle plans: plain Python, no CDK or Node needed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from _infra_synth import FIXTURE_ROOT, REPO

from aloft import Definitions, asset, define_asset_job
from aloft_cdk.bundling import NOT_FOR_LAMBDA, BundleError, BundlePlan, runtime_requirements
from aloft_cdk.settings import DeploySettings, FunctionSize, SettingsError
from aloft_cdk.sources import SourceUnavailable, compile_machines, job_names, step_sizes


def _settings(**values: object) -> DeploySettings:
    return DeploySettings.from_pyproject({"module": "pkg.defs", **values}, root=REPO)


def test_settings_from_pyproject_with_context_overrides() -> None:
    settings = DeploySettings.from_pyproject(
        {
            "module": "pkg.defs",
            "name": "shop",
            "region": "eu-west-1",
            "requirements": ["pandas>=2"],
            "functions": {"run_step": {"memory_mb": 2048}},
            "assets": {"raw_orders": {"timeout_seconds": 60}},
            "compile": {"layout": "layers"},
        },
        root=REPO,
        overrides={"stage": "prod", "alarm_email": "ops@example.com"},
    )
    assert settings.stack_name == "aloft-shop-prod"
    assert settings.size_of("run_step") == FunctionSize(memory_mb=2048, timeout_seconds=900)
    # An asset's own size starts from the configured run_step size.
    assert settings.asset_sizes["raw_orders"] == FunctionSize(memory_mb=2048, timeout_seconds=60)
    assert settings.requirements == ("pandas>=2",)
    assert settings.compile_options == {"layout": "layers"}
    assert settings.alarm_email == "ops@example.com"


def test_file_definitions_become_a_module_of_the_project() -> None:
    settings = DeploySettings.from_pyproject(
        {"file": "examples/quickstart/definitions.py"}, root=REPO
    )
    assert settings.definitions == "examples.quickstart.definitions"
    with pytest.raises(SettingsError, match="outside the project root"):
        DeploySettings.from_pyproject({"file": "../elsewhere.py"}, root=REPO)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": "My_Project"}, "lower-case letters"),
        ({"name": "x" * 40}, "longer than 32"),
        ({"python_version": "3.9"}, "not supported"),
        ({"functions": {"run_stp": {"memory_mb": 512}}}, "no such function"),
        ({"functions": {"gate": {"memory_mb": 64}}}, "between 128 and 10240"),
        ({"functions": {"gate": {"memory": 512}}}, "unknown key"),
        ({"requirements": "pandas"}, "list of pip specifiers"),
        ({"compile": {"name_prefix": "x"}}, "set by aloft"),
        ({"alarm_email": "a@b.c", "alarm_topic_arn": "arn:aws:sns:eu-west-1:1:t"}, "not both"),
    ],
)
def test_bad_settings_say_what_to_fix(values: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        _settings(**values)


def test_missing_definitions_say_how_to_name_them() -> None:
    with pytest.raises(SettingsError, match=r"\[tool.aloft\] module"):
        DeploySettings.from_pyproject({}, root=REPO)


def _sized_defs() -> Definitions:
    @asset(op_tags={"aloft/memory_mb": "4096"})
    def big() -> int:
        return 1

    @asset
    def small(big: int) -> int:
        return big

    @asset
    def configured(small: int) -> int:
        return small

    return Definitions(
        assets=[big, small, configured], jobs=[define_asset_job("all", selection="*")]
    )


def test_step_sizes_from_op_tags_and_pyproject() -> None:
    settings = _settings(assets={"configured": {"memory_mb": 3008, "timeout_seconds": 120}})
    sizes = step_sizes(_sized_defs(), settings)
    assert sizes == {
        "big": FunctionSize(memory_mb=4096, timeout_seconds=900),
        "configured": FunctionSize(memory_mb=3008, timeout_seconds=120),
    }
    with pytest.raises(SettingsError, match="unknown asset"):
        step_sizes(_sized_defs(), _settings(assets={"nope": {"memory_mb": 512}}))


def test_per_asset_sizes_fail_loudly_while_the_compiler_calls_one_run_step() -> None:
    # Deploying them silently with the default size would OOM the big step in production.
    with pytest.raises(SettingsError, match="per-asset sizes need the compiler"):
        compile_machines(_sized_defs(), _settings())


def test_the_implicit_asset_job_is_deployed_unless_turned_off() -> None:
    defs = _sized_defs()
    assert job_names(defs, _settings()) == ["all", "__ASSET_JOB"]
    assert job_names(defs, _settings(deploy_implicit_job=False)) == ["all"]


def test_runtime_requirements_leave_out_the_emulator_the_runtime_and_cli_only_packages() -> None:
    requirements = runtime_requirements()
    names = {
        r.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip().lower()
        for r in requirements
    }
    assert {"pydantic", "croniter", "pynamodb"} <= names
    assert not names & NOT_FOR_LAMBDA
    assert "aloft" not in names


def test_no_runtime_module_imports_pyyaml() -> None:
    # The bundle leaves PyYAML out (2.7 MB): only the CLI may use it.
    sdk = REPO / "sdk" / "aloft"
    users = [
        str(path.relative_to(sdk))
        for path in sdk.rglob("*.py")
        if "cli" not in path.relative_to(sdk).parts and "import yaml" in path.read_text()
    ]
    assert users == []


def test_bundle_plans_target_lambda_and_carry_the_user_package() -> None:
    plan = BundlePlan.runtime(
        project_root=FIXTURE_ROOT, definitions_module="aloft_infra_fixture.definitions"
    )
    command = plan.pip_command("out")
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    for flag, value in (
        ("--platform", "manylinux2014_x86_64"),
        ("--implementation", "cp"),
        ("--python-version", "3.12"),
    ):
        assert command[command.index(flag) + 1] == value
    assert "--only-binary=:all:" in command
    copied = {name for _, name in plan.copies}
    assert {"aloft", "aloft_infra_fixture"} <= copied
    layer = BundlePlan.dependencies_layer(
        requirements=["pandas>=2"], requirements_file=Path("r.txt")
    )
    assert layer.subdir == "python"
    assert layer.pip_command("out")[-3:] == ["--requirement", "r.txt", "pandas>=2"]


def test_a_definitions_module_outside_the_project_is_refused() -> None:
    with pytest.raises(BundleError, match="not under the project root"):
        BundlePlan.runtime(
            project_root=FIXTURE_ROOT, definitions_module="examples.quickstart.definitions"
        )


def test_source_unavailable_is_reported_not_raised_when_not_strict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aloft_cdk import sources

    def unavailable(*_: object) -> list[object]:
        raise SourceUnavailable("aloft.compiler is not available (test)")

    monkeypatch.setattr(sources, "compile_machines", unavailable)
    result = sources.ProjectSources.from_definitions(_sized_defs(), _settings(), strict=False)
    assert result.machines == () and "aloft.compiler" in result.missing[0]
    with pytest.raises(SourceUnavailable):
        sources.ProjectSources.from_definitions(_sized_defs(), _settings())


def test_the_automation_interval_is_the_most_frequent_polled_sensor_in_minutes() -> None:
    from aloft.automation.sensor import SensorDefinition
    from aloft_cdk.sources import automation_interval

    def poll(context):  # type: ignore[no-untyped-def]
        return None

    job = define_asset_job("j")

    def defs(*seconds: int) -> Definitions:
        sensors = [
            SensorDefinition(f"s{i}", evaluation_fn=poll, job=job, minimum_interval_seconds=n)
            for i, n in enumerate(seconds)
        ]
        return Definitions(sensors=sensors, jobs=[job])

    assert automation_interval(defs(30)) == 1
    assert automation_interval(defs(600, 150)) == 3
    assert automation_interval(defs(3600)) == 5
    assert automation_interval(Definitions()) is None
