"""What the infra tests share: the projects under test and the one synthesis of them.

Starting the CDK (Node via jsii) costs seconds and each synthesis several more,
so every infra test reads one cloud assembly holding two stacks:

* ``quickstart``: ``examples/quickstart`` as ``[tool.aloft]`` deploys it;
* ``shop``: ``tests/infra/projects/aloft_infra_fixture``, which uses what the
  quickstart does not (schedules, S3 and polled sensors, a job split into parts).

Bundling is skipped (context ``aws:cdk:bundling-stacks: []``): the Lambda bundle
is built and measured by ``benchmarks/bench_infra.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
FIXTURE_ROOT = Path(__file__).resolve().parent / "projects"

# Where the projects under test come from: (key, definitions module, root, settings overrides).
PROJECTS: tuple[tuple[str, str, Path, dict[str, Any]], ...] = (
    ("quickstart", "examples.quickstart.definitions", REPO, {}),
    # max_steps_per_part splits even this small job, so that parts (child machines) are deployed
    # too; `audit` is sized as [tool.aloft.assets."audit"] would size it; alarms mail a team
    # (the quickstart has no alarm destination).
    (
        "shop",
        "aloft_infra_fixture.definitions",
        FIXTURE_ROOT,
        {
            "compile_options": {"max_steps_per_part": 2},
            "asset_sizes": {"audit": {"memory_mb": 512, "timeout_seconds": 60}},
            "alarm_email": "data-team@example.com",
        },
    ),
)

if str(INFRA) not in sys.path:
    sys.path.insert(0, str(INFRA))


def require_cdk() -> None:
    """Skip (with the fix) unless Node.js and the CDK's Python packages are installed."""
    if shutil.which("node") is None:
        pytest.skip(
            "Node.js is not installed: the AWS CDK runs on it (install Node 18+, e.g. `apt install nodejs`)"
        )
    try:
        import aws_cdk  # noqa: F401
        import cdk_nag  # noqa: F401
    except ImportError as err:
        pytest.skip(f"aws-cdk-lib / cdk-nag not installed ({err}): pip install -e '.[infra]'")


@dataclass
class Project:
    """One synthesized project: its settings, what it was built from, and its template."""

    key: str
    settings: Any
    definitions: Any
    sources: Any
    template: dict[str, Any]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource, for one CloudFormation type."""
        return {k: r for k, r in self.template["Resources"].items() if r["Type"] == resource_type}

    def function_id(self, role: str, size: Any = None) -> str:
        """The logical id of the function of a role; for ``run_step``, of that size (None: default)."""
        size = size or self.settings.size_of(role)
        found = [
            k
            for k, r in self.resources("AWS::Lambda::Function").items()
            if r["Properties"]["Environment"]["Variables"]["ALOFT_FUNCTION_ROLE"] == role
            and (r["Properties"]["MemorySize"], r["Properties"]["Timeout"])
            == (size.memory_mb, size.timeout_seconds)
        ]
        assert len(found) == 1, f"{self.key}: expected one {role} function of {size}, found {found}"
        return found[0]


@dataclass
class Synthesis:
    """The session's cloud assembly."""

    projects: dict[str, Project]
    violations: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def _violations(outdir: Path) -> list[dict[str, Any]]:
    report = outdir / "validation-report.json"
    if not report.is_file():
        return []
    data = json.loads(report.read_text())
    found = []
    for plugin in data.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                found.append(
                    {"rule": violation.get("ruleName"), "path": construct.get("constructPath")}
                )
    return found


def _settings(cls: Any, key: str, module: str, root: Path, overrides: dict[str, Any]) -> Any:
    """A project's DeploySettings, with ``asset_sizes`` given as [tool.aloft.assets] tables."""
    from aloft_cdk.settings import FunctionSize

    values = dict(overrides)
    default = cls(definitions=module, root=root).size_of("run_step")
    values["asset_sizes"] = {
        asset: FunctionSize.from_table(table, where=asset, default=default)
        for asset, table in values.get("asset_sizes", {}).items()
    }
    return cls(definitions=module, root=root, project_name=key, **values)


def synthesize(outdir: Path) -> Synthesis:
    """Build every project into one app, run cdk-nag, synthesize once into ``outdir``."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    started = time.perf_counter()
    from aws_cdk import App

    from aloft.cli.loading import load_definitions
    from aloft_cdk import nag
    from aloft_cdk.settings import DeploySettings
    from aloft_cdk.sources import ProjectSources
    from aloft_cdk.stack import AloftStack, feature_flags

    app = App(context={**feature_flags(), "aws:cdk:bundling-stacks": []}, outdir=str(outdir))
    built = {}
    for key, module, root, overrides in PROJECTS:
        settings = _settings(DeploySettings, key, module, root, overrides)
        definitions = load_definitions(module=module, root=root)
        sources = ProjectSources.from_definitions(definitions, settings)
        stack = AloftStack(app, settings=settings, definitions=definitions, sources=sources)
        built[key] = (settings, definitions, sources, stack.stack_name)
    nag.add_aws_solutions_checks(app)
    try:
        app.synth()
    except RuntimeError as err:
        # Unacknowledged cdk-nag findings fail synthesis after the templates are written.
        if "ValidationFailed" not in str(err):
            raise
    projects = {
        key: Project(
            key,
            settings,
            definitions,
            sources,
            json.loads((outdir / f"{name}.template.json").read_text()),
        )
        for key, (settings, definitions, sources, name) in built.items()
    }
    return Synthesis(projects, _violations(outdir), time.perf_counter() - started)
