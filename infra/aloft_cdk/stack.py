"""The stack that holds one project, and the app that synthesizes it.

``build_app`` is what ``infra/app.py``, the tests and the benchmark call: it
reads the settings (``[tool.aloft]`` + CDK context), loads the user's
definitions, adds the cdk-nag checks and returns the app, ready to ``synth()``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, CfnOutput, Environment, Stack, Tags
from constructs import Construct

from aloft_cdk import nag
from aloft_cdk.project import AloftProject
from aloft_cdk.settings import DeploySettings
from aloft_cdk.sources import ProjectSources

__all__ = [
    "CONTEXT_PREFIX",
    "SKIP_BUNDLING_ENV",
    "AloftStack",
    "build_app",
    "feature_flags",
    "settings_from_context",
]

# `aloft synth --no-bundle` sets this for the app it runs.
SKIP_BUNDLING_ENV = "ALOFT_SKIP_BUNDLING"
# Context keys the CLI passes (`-c aloft:stage=prod`); each overrides the [tool.aloft] key of that name.
CONTEXT_PREFIX = "aloft:"
_CDK_JSON = Path(__file__).resolve().parent / "cdk-app" / "cdk.json"  # infra/cdk.json


def feature_flags() -> dict[str, Any]:
    """The feature flags in ``infra/cdk.json``.

    The CDK CLI passes them to ``app.py`` itself; an app built in-process (tests,
    benchmarks) must load them, or it synthesizes with old defaults.
    """
    context: dict[str, Any] = json.loads(_CDK_JSON.read_text())["context"]
    return context


class AloftStack(Stack):
    """One project at one stage: ``aloft-<name>-<stage>``."""

    def __init__(
        self,
        scope: Construct,
        *,
        settings: DeploySettings,
        definitions: Any = None,
        sources: ProjectSources | None = None,
    ) -> None:
        env = Environment(
            account=settings.account or os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=settings.region or os.environ.get("CDK_DEFAULT_REGION"),
        )
        super().__init__(
            scope,
            settings.stack_name,
            env=env,
            description=f"aloft project {settings.project_name}, stage {settings.stage}",
        )
        Tags.of(self).add("aloft:project", settings.project_name)
        Tags.of(self).add("aloft:stage", settings.stage)
        self.project = AloftProject(
            self, "Project", settings=settings, definitions=definitions, sources=sources
        )  # What operators and scripts look up after a deploy (aloft CLI state URL, drop zone, jobs).
        CfnOutput(self, "StateTableName", value=self.project.state.table.table_name)
        CfnOutput(self, "StateUrl", value=f"dynamodb://{self.project.state.table.table_name}")
        CfnOutput(self, "DataBucketName", value=self.project.buckets.data.bucket_name)
        CfnOutput(
            self,
            "StateMachineNames",
            value=",".join(
                sorted(s.name for s in self.project.sources.machines if s.role == "entry")
            )
            or "-",
        )
        CfnOutput(
            self,
            "BackfillStateMachineNames",
            value=",".join(
                sorted(s.name for s in self.project.sources.machines if s.role == "backfill")
            )
            or "-",
        )


def settings_from_context(app: App, *, root: Path | None = None) -> DeploySettings:
    """Settings from the project's ``[tool.aloft]``, overridden by ``aloft:*`` CDK context."""
    from aloft.cli.project import find_project

    context_root = app.node.try_get_context(f"{CONTEXT_PREFIX}root")
    project = find_project(Path(context_root) if context_root else root)
    table = {"module": project.module, "file": project.file, "name": project.name, **project.extra}
    overrides = {}
    for key in (
        "definitions",
        "name",
        "stage",
        "region",
        "account",
        "alarm_email",
        "alarm_topic_arn",
        "retain_data",
    ):
        value = app.node.try_get_context(f"{CONTEXT_PREFIX}{key}")
        if value is not None:
            overrides[key] = value
    return DeploySettings.from_pyproject(
        {k: v for k, v in table.items() if v is not None}, root=project.root, overrides=overrides
    )


def build_app(
    *,
    settings: DeploySettings | None = None,
    definitions: Any = None,
    sources: ProjectSources | None = None,
    context: Mapping[str, Any] | None = None,
    outdir: str | None = None,
    checks: bool = True,
    bundle: bool | None = None,
) -> tuple[App, AloftStack]:
    """An app with one :class:`AloftStack` and, unless ``checks=False``, cdk-nag's AwsSolutions pack.

    ``context`` is added to ``cdk.json``'s feature flags. ``bundle=False`` (or
    ``$ALOFT_SKIP_BUNDLING=1``, set by ``aloft synth --no-bundle``) skips building
    the Lambda code: the template is complete, the assets are placeholders.
    """
    if bundle is None:
        bundle = os.environ.get(SKIP_BUNDLING_ENV, "") in ("", "0", "false")
    # The CLI sets which stacks to bundle; only context applied after it can turn bundling off.
    post_cli: dict[str, Any] | None = None if bundle else {"aws:cdk:bundling-stacks": []}
    app = App(
        context={**feature_flags(), **dict(context or {})}, outdir=outdir, post_cli_context=post_cli
    )
    settings = settings or settings_from_context(app)
    stack = AloftStack(app, settings=settings, definitions=definitions, sources=sources)
    if checks:
        nag.add_aws_solutions_checks(app)
    return app, stack
