"""What a deployment is configured with: typed, validated, keyword-only values.

Everything here is plain Python (no ``aws_cdk`` import) so the CLI can read
and validate the settings before it starts Node. Values come from
``[tool.aloft]`` in the project's ``pyproject.toml`` and may be overridden by
CDK context (``-c aloft:stage=prod``):

    [tool.aloft]
    module = "my_project.definitions"
    name = "my-project"
    stage = "dev"
    region = "eu-west-1"
    requirements = ["pandas>=2.0"]          # the user's code's dependencies, bundled into a layer
    alarm_email = "data-team@example.com"  # optional: alarms notify an SNS topic with this subscriber

    [tool.aloft.functions.run_step]          # the default size of a step
    memory_mb = 2048
    timeout_seconds = 900

    [tool.aloft.assets."raw_orders"]         # one asset's step gets its own size
    memory_mb = 4096

    [tool.aloft.compile]                     # aloft.compiler.CompileOptions, e.g. the layout
    layout = "layers"

Example:
    >>> size = FunctionSize(memory_mb=1024, timeout_seconds=60)
    >>> size.label
    'm1024t60'
    >>> FunctionSize(memory_mb=64)
    Traceback (most recent call last):
    ...
    aloft_cdk.settings.SettingsError: memory_mb must be between 128 and 10240 MB, not 64
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "ASSET_MEMORY_TAG",
    "ASSET_TIMEOUT_TAG",
    "FUNCTION_ROLES",
    "DeploySettings",
    "FunctionSize",
    "SettingsError",
]

# The Lambda functions aloft deploys, by role (the module in functions/ of the same name).
FUNCTION_ROLES = ("run_step", "gate", "run_status", "sensor", "schedule_tick", "automation")

# Op tags that size one asset's step, as Dagster users put compute settings in op_tags.
ASSET_MEMORY_TAG = "aloft/memory_mb"
ASSET_TIMEOUT_TAG = "aloft/timeout_seconds"

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_SUPPORTED_PYTHON = ("3.12", "3.13")


class SettingsError(ValueError):
    """A deployment setting is missing or out of range; the message says which and how to fix it."""


@dataclass(frozen=True, kw_only=True)
class FunctionSize:
    """Memory and timeout of a Lambda function.

    Example:
        >>> FunctionSize(memory_mb=512, timeout_seconds=30).timeout_seconds
        30
    """

    memory_mb: int = 1024
    timeout_seconds: int = 900

    def __post_init__(self) -> None:
        if not 128 <= self.memory_mb <= 10240:
            raise SettingsError(f"memory_mb must be between 128 and 10240 MB, not {self.memory_mb}")
        if not 1 <= self.timeout_seconds <= 900:
            raise SettingsError(
                f"timeout_seconds must be between 1 and 900 (Lambda's limit), not {self.timeout_seconds}"
            )

    @property
    def label(self) -> str:
        """A short name for construct ids: ``m<memory>t<timeout>``."""
        return f"m{self.memory_mb}t{self.timeout_seconds}"

    @classmethod
    def from_table(
        cls, table: Mapping[str, Any], *, where: str, default: FunctionSize
    ) -> FunctionSize:
        """Read ``memory_mb`` / ``timeout_seconds`` from a TOML table, the rest from ``default``."""
        unknown = sorted(set(table) - {"memory_mb", "timeout_seconds"})
        if unknown:
            raise SettingsError(
                f"{where}: unknown key(s) {unknown}; known: memory_mb, timeout_seconds"
            )
        values = {}
        for key, value in table.items():
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise SettingsError(f"{where}: {key} must be a whole number, not {value!r}")
            try:
                values[key] = int(value)
            except ValueError:
                raise SettingsError(
                    f"{where}: {key} must be a whole number, not {value!r}"
                ) from None
        try:
            return replace(default, **values)
        except SettingsError as err:
            raise SettingsError(f"{where}: {err}") from None


# Steps do the work; the others only read and write a few DynamoDB items.
DEFAULT_FUNCTION_SIZES: Mapping[str, FunctionSize] = {
    "run_step": FunctionSize(memory_mb=1024, timeout_seconds=900),
    "gate": FunctionSize(memory_mb=256, timeout_seconds=30),
    "run_status": FunctionSize(memory_mb=256, timeout_seconds=60),
    "sensor": FunctionSize(memory_mb=512, timeout_seconds=120),
    "schedule_tick": FunctionSize(memory_mb=256, timeout_seconds=60),
    "automation": FunctionSize(memory_mb=512, timeout_seconds=300),
}


@dataclass(frozen=True, kw_only=True)
class DeploySettings:
    """Everything one deployment of a project needs to know.

    ``definitions`` names the user's ``Definitions`` as ``package.module`` or
    ``package.module:attribute``; the Lambda functions import it by that name.

    Example:
        >>> s = DeploySettings(definitions="examples.quickstart.definitions", project_name="shop", root=Path("."))
        >>> s.resource_prefix
        'shop-dev'
    """

    definitions: str
    root: Path
    project_name: str = "aloft"
    stage: str = "dev"
    region: str | None = None
    account: str | None = None
    python_version: str = "3.12"
    requirements: tuple[str, ...] = ()
    requirements_file: str | None = None
    function_sizes: Mapping[str, FunctionSize] = field(
        default_factory=lambda: dict(DEFAULT_FUNCTION_SIZES)
    )
    asset_sizes: Mapping[str, FunctionSize] = field(default_factory=dict)
    alarm_email: str | None = None
    alarm_topic_arn: str | None = None
    log_retention_days: int = 30
    run_artifact_days: int = 7
    retain_data: bool = True
    deploy_implicit_job: bool = True
    compile_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for label, value in (("name", self.project_name), ("stage", self.stage)):
            if not _NAME.match(value):
                raise SettingsError(
                    f"[tool.aloft] {label} {value!r} must be lower-case letters, digits and '-', "
                    "starting with a letter (it prefixes every resource name)"
                )
        if len(self.resource_prefix) > 32:
            raise SettingsError(
                f"name + stage ({self.resource_prefix!r}) is longer than 32 characters; resource names "
                "such as state machines (80) and roles (64) would not fit: shorten [tool.aloft] name"
            )
        if self.python_version not in _SUPPORTED_PYTHON:
            raise SettingsError(
                f"python_version {self.python_version!r} is not supported; use one of {list(_SUPPORTED_PYTHON)}"
            )
        missing = sorted(set(FUNCTION_ROLES) - set(self.function_sizes))
        if missing:
            raise SettingsError(f"function_sizes lacks {missing}")
        if self.log_retention_days < 1 or self.run_artifact_days < 1:
            raise SettingsError("log_retention_days and run_artifact_days must be at least 1")
        if "name_prefix" in self.compile_options:
            raise SettingsError(
                "[tool.aloft.compile] name_prefix is set by aloft (<name>-<stage>); remove it"
            )
        if "step_sizes" in self.compile_options:
            raise SettingsError(
                "[tool.aloft.compile] step_sizes is set by aloft: size a step with "
                '[tool.aloft.assets."<asset key>"] or the aloft/memory_mb and aloft/timeout_seconds tags'
            )
        if self.alarm_email and self.alarm_topic_arn:
            raise SettingsError("give alarm_email or alarm_topic_arn, not both")

    @property
    def resource_prefix(self) -> str:
        """``<name>-<stage>``: the prefix of every physical name (state machines, the table)."""
        return f"{self.project_name}-{self.stage}"

    @property
    def stack_name(self) -> str:
        """The CloudFormation stack: ``aloft-<name>-<stage>`` (no doubled ``aloft-``).

        Example:
            >>> DeploySettings(definitions="m", root=Path("."), project_name="aloft").stack_name
            'aloft-dev'
        """
        prefix = self.resource_prefix
        return prefix if prefix.startswith("aloft-") else f"aloft-{prefix}"

    @property
    def definitions_module(self) -> str:
        """The module part of ``definitions``."""
        return self.definitions.partition(":")[0]

    def size_of(self, role: str) -> FunctionSize:
        """The size of the function with this role."""
        return self.function_sizes[role]

    @classmethod
    def from_pyproject(
        cls, table: Mapping[str, Any], *, root: Path, overrides: Mapping[str, Any] | None = None
    ) -> DeploySettings:
        """Settings from a ``[tool.aloft]`` table; ``overrides`` (CDK context) win.

        Example:
            >>> DeploySettings.from_pyproject({"module": "pkg.defs", "name": "p"}, root=Path("."),
            ...                               overrides={"stage": "prod"}).stack_name
            'aloft-p-prod'
        """
        values = {**dict(table), **{k: v for k, v in (overrides or {}).items() if v is not None}}
        definitions = values.get("definitions") or _definitions_name(values, root)
        sizes = dict(DEFAULT_FUNCTION_SIZES)
        for role, size_table in dict(values.get("functions") or {}).items():
            if role not in FUNCTION_ROLES:
                raise SettingsError(
                    f"[tool.aloft.functions.{role}]: no such function; known: {list(FUNCTION_ROLES)}"
                )
            sizes[role] = FunctionSize.from_table(
                size_table,
                where=f"[tool.aloft.functions.{role}]",
                default=DEFAULT_FUNCTION_SIZES[role],
            )
        asset_sizes = {
            key: FunctionSize.from_table(
                t, where=f'[tool.aloft.assets."{key}"]', default=sizes["run_step"]
            )
            for key, t in dict(values.get("assets") or {}).items()
        }
        requirements = values.get("requirements") or ()
        if isinstance(requirements, str):
            raise SettingsError(
                "[tool.aloft] requirements must be a list of pip specifiers; "
                "for a file use requirements_file = 'requirements.txt'"
            )
        return cls(
            definitions=definitions,
            root=root,
            project_name=str(values.get("name") or "aloft"),
            stage=str(values.get("stage") or "dev"),
            region=values.get("region"),
            account=None if values.get("account") is None else str(values["account"]),
            python_version=str(values.get("python_version") or "3.12"),
            requirements=tuple(str(r) for r in requirements),
            requirements_file=values.get("requirements_file"),
            function_sizes=sizes,
            asset_sizes=asset_sizes,
            alarm_email=values.get("alarm_email"),
            alarm_topic_arn=values.get("alarm_topic_arn"),
            log_retention_days=int(values.get("log_retention_days") or 30),
            run_artifact_days=int(values.get("run_artifact_days") or 7),
            retain_data=_bool(values.get("retain_data", True)),
            deploy_implicit_job=_bool(values.get("deploy_implicit_job", True)),
            compile_options=dict(values.get("compile") or {}),
        )


def _bool(value: Any) -> bool:
    # CDK context given on the command line arrives as a string.
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off", "")
    return bool(value)


def _definitions_name(values: Mapping[str, Any], root: Path) -> str:
    """``module[:attr]`` from ``module`` or ``file`` (a file must lie inside the project)."""
    if values.get("module"):
        return str(values["module"])
    file = values.get("file")
    if not file:
        raise SettingsError(
            "no definitions to deploy: set [tool.aloft] module = 'package.definitions' "
            "(or file = 'definitions.py') in pyproject.toml"
        )
    path, _, attribute = str(file).partition(":")
    absolute = (root / path).resolve()
    try:
        relative = absolute.relative_to(root.resolve())
    except ValueError:
        raise SettingsError(
            f"[tool.aloft] file {file!r} is outside the project root {root}; "
            "the Lambda bundle only carries the project's own files"
        ) from None
    if relative.suffix != ".py":
        raise SettingsError(f"[tool.aloft] file {file!r} is not a .py file")
    module = ".".join(relative.with_suffix("").parts)
    return f"{module}:{attribute}" if attribute else module
