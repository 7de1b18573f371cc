"""Deployment settings, step sizes and bundle plans: plain Python, no CDK or Node needed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from _infra_synth import FIXTURE_ROOT, REPO

from aloft import Definitions, asset, define_asset_job
from aloft_cdk.bundling import NOT_FOR_LAMBDA, BundleError, BundlePlan, runtime_requirements
from aloft_cdk.settings import DeploySettings, FunctionSize, SettingsError
from aloft_cdk.sources import (
    FunctionRef,
    SourceUnavailable,
    compile_machines,
    job_names,
    machine_specs,
    step_sizes,
)


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


def test_sized_steps_compile_to_one_run_step_placeholder_per_size() -> None:
    settings = _settings(assets={"configured": {"memory_mb": 3008, "timeout_seconds": 120}})
    specs = compile_machines(_sized_defs(), settings)
    (spec,) = [s for s in specs if s.job == "all"]
    run_step = {
        name: ref.size
        for name, ref in spec.placeholders.items()
        if isinstance(ref, FunctionRef) and ref.role == "run_step"
    }
    assert run_step == {
        "RunStepFunctionArn": None,  # `small`, and the crash-recording task
        "RunStepFunctionArn_4096_900": FunctionSize(memory_mb=4096, timeout_seconds=900),
        "RunStepFunctionArn_3008_120": FunctionSize(memory_mb=3008, timeout_seconds=120),
    }
    definition = json.loads(spec.definition)
    assert definition["States"]["Run_big"]["Parameters"]["FunctionName"] == (
        "${RunStepFunctionArn_4096_900}"
    )


def test_a_job_compiled_without_its_step_sizes_is_refused() -> None:
    # Deploying a sized step on the default function would OOM (or time out) in production.
    from aloft.compiler import CompileOptions, compile_job

    compiled = compile_job(_sized_defs(), "all", CompileOptions(name_prefix="aloft-dev"))
    with pytest.raises(SettingsError, match=r"steps \['big'\] would run on a run_step function"):
        machine_specs(compiled, step_sizes(_sized_defs(), _settings()))


def _tagged(
    op_tags: dict[str, str] | None = None, tags: dict[str, str] | None = None
) -> Definitions:
    @asset(op_tags=op_tags, tags=tags)
    def heavy() -> int:
        return 1

    return Definitions(assets=[heavy])


@pytest.mark.parametrize(
    ("op_tags", "tags", "message"),
    [
        ({"aloft/memory_mb": "64"}, None, "asset 'heavy': memory_mb must be between 128 and 10240"),
        ({"aloft/memory_mb": "20000"}, None, "asset 'heavy': memory_mb must be between"),
        ({"aloft/timeout_seconds": "3600"}, None, r"asset 'heavy': timeout_seconds must be .* 900"),
        (None, {"aloft/timeout_seconds": "0"}, "asset 'heavy': timeout_seconds must be"),
        (
            {"aloft/memory_mb": "4GB"},
            None,
            "asset 'heavy': op tag aloft/memory_mb='4GB' is not a whole",
        ),
        ({"aloft/timeout_s": "60"}, None, "did you mean 'aloft/timeout_seconds'"),
        (
            None,
            {"aloft/memory": "2048"},
            "unknown asset tag 'aloft/memory'; did you mean 'aloft/memory_mb'",
        ),
    ],
)
def test_step_size_tags_are_checked_against_lambda_limits_and_name_the_asset(
    op_tags: dict[str, str] | None, tags: dict[str, str] | None, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        step_sizes(_tagged(op_tags, tags), _settings())


def test_op_tags_win_over_asset_tags_and_pyproject_over_both() -> None:
    defs = _tagged(
        {"aloft/memory_mb": "2048"}, {"aloft/memory_mb": "512", "aloft/timeout_seconds": "60"}
    )
    assert step_sizes(defs, _settings())["heavy"] == FunctionSize(
        memory_mb=2048, timeout_seconds=60
    )
    configured = _settings(assets={"heavy": {"memory_mb": 3008}})
    assert step_sizes(defs, configured)["heavy"] == FunctionSize(
        memory_mb=3008, timeout_seconds=900
    )
    # A step at the default size needs no function of its own.
    assert step_sizes(_tagged({"aloft/memory_mb": "1024"}), _settings()) == {}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"memory_mb": 64},
            r'\[tool.aloft.assets."raw"\]: memory_mb must be between 128 and 10240',
        ),
        (
            {"timeout_seconds": 901},
            r'\[tool.aloft.assets."raw"\]: timeout_seconds must be between 1 and 900',
        ),
        ({"memory_mb": "lots"}, r'\[tool.aloft.assets."raw"\]: memory_mb must be a whole number'),
        ({"memory_mb": True}, "must be a whole number"),
    ],
)
def test_pyproject_step_sizes_are_checked_and_name_the_asset(
    table: dict[str, object], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        _settings(assets={"raw": table})


def test_step_sizes_cannot_be_set_through_compile_options() -> None:
    with pytest.raises(SettingsError, match=r"\[tool.aloft.assets"):
        _settings(compile={"step_sizes": {"raw": {"memory_mb": 2048}}})


def test_the_compiler_checks_step_sizes_too() -> None:
    from aloft.compiler import CompileError, CompileOptions
    from aloft.compiler.contract import StepSize

    with pytest.raises(CompileError, match="between 128 and 10240"):
        StepSize(memory_mb=10241, timeout_seconds=60)
    with pytest.raises(CompileError, match=r"step_sizes\['raw'\] must be a StepSize"):
        CompileOptions(step_sizes={"raw": (1024, 60)})  # type: ignore[dict-item]


def test_the_implicit_asset_job_is_deployed_unless_turned_off() -> None:
    defs = _sized_defs()
    assert job_names(defs, _settings()) == ["all", "__ASSET_JOB"]
    assert job_names(defs, _settings(deploy_implicit_job=False)) == ["all"]


def test_declarative_automation_needs_the_implicit_job() -> None:
    from aloft import AutomationCondition, Definitions, asset

    @asset(automation_condition=AutomationCondition.eager())
    def eager_one() -> int:
        return 1

    defs = Definitions(assets=[eager_one])
    assert job_names(defs, _settings()) == ["__ASSET_JOB"]
    with pytest.raises(SettingsError, match="deploy_implicit_job = false.*automation_condition"):
        job_names(defs, _settings(deploy_implicit_job=False))


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
