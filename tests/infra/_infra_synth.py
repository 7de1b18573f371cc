"""What the infra tests share: the projects under test and the one synthesis of them.

Starting the CDK (Node via jsii) costs seconds and each synthesis several more,
so every infra test reads one cloud assembly holding two stacks:

* ``quickstart``: ``examples/quickstart`` as the repository's ``[tool.aloft]`` deploys it
  (with its requirements layer);
* ``shop``: ``tests/infra/projects/aloft_infra_fixture`` as ``tests/infra/projects/pyproject.toml``
  deploys it: what the quickstart does not use (schedules, S3 and polled sensors, a job split
  into parts, steps of their own size, alarms by email).

Both are read from their ``pyproject.toml`` as ``aloft synth`` reads them. Bundling is skipped (context ``aws:cdk:bundling-stacks: []``): the Lambda bundle
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

# The projects under test: each deployed as its own pyproject.toml's [tool.aloft] says.
PROJECTS: tuple[tuple[str, Path], ...] = (("quickstart", REPO), ("shop", FIXTURE_ROOT))

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


def project_settings(root: Path) -> Any:
    """The DeploySettings of the project at ``root``, from its ``[tool.aloft]`` (as ``aloft synth``)."""
    from aloft.cli.project import find_project
    from aloft_cdk.settings import DeploySettings

    project = find_project(root)
    assert project.root == root, f"{root} has no pyproject.toml of its own"
    table = {"module": project.module, "file": project.file, "name": project.name, **project.extra}
    return DeploySettings.from_pyproject(
        {k: v for k, v in table.items() if v is not None}, root=project.root
    )


def synthesize(outdir: Path) -> Synthesis:
    """Build every project into one app, run cdk-nag, synthesize once into ``outdir``."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    started = time.perf_counter()
    from aws_cdk import App

    from aloft.cli.loading import load_definitions
    from aloft_cdk import nag
    from aloft_cdk.sources import ProjectSources
    from aloft_cdk.stack import AloftStack, feature_flags

    app = App(context={**feature_flags(), "aws:cdk:bundling-stacks": []}, outdir=str(outdir))
    built = {}
    for key, root in PROJECTS:
        settings = project_settings(root)
        assert settings.project_name == key
        definitions = load_definitions(module=settings.definitions, root=root)
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
