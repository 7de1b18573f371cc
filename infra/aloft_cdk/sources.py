"""What the infrastructure is built from: the project's jobs, schedules and sensors as plain values.

This is the one seam between the CDK app and the rest of aloft. The compiler
(:mod:`aloft.compiler`) turns each job into Amazon States Language with
``${Placeholder}`` ARNs; the automation package (:mod:`aloft.automation`) says
how each schedule and S3 sensor looks to EventBridge. Here both are read into
small frozen values that the constructs consume, so a change of shape on either
side is absorbed in one module and the constructs never import the SDK.

Example:
    >>> spec = ScheduleSpec(name="nightly", job="daily", expression="cron(0 3 * * ? *)",
    ...                     time_zone="Europe/Berlin", enabled=False)
    >>> spec.construct_id
    'nightly'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aloft_cdk.settings import (
    ASSET_MEMORY_TAG,
    ASSET_TIMEOUT_TAG,
    DeploySettings,
    FunctionSize,
    SettingsError,
)

__all__ = [
    "FunctionRef",
    "machine_specs",
    "MachineRef",
    "MachineSpec",
    "ProjectSources",
    "S3SensorSpec",
    "ScheduleSpec",
    "SourceUnavailable",
    "step_sizes",
]


class SourceUnavailable(RuntimeError):
    """A part of aloft the deployment needs (compiler, automation) is not installed or too old."""


@dataclass(frozen=True)
class FunctionRef:
    """A placeholder that stands for a Lambda function: its role, and for steps its size."""

    role: str
    size: FunctionSize | None = None


@dataclass(frozen=True)
class MachineRef:
    """A placeholder that stands for another state machine of the same job (a part of a split job)."""

    name: str


@dataclass(frozen=True)
class MachineSpec:
    """One state machine: the compiler's ASL text with placeholders, and what each placeholder stands for.

    ``name`` is the physical state machine name (``<name>-<stage>-<job>[-partN]``);
    ``role`` is ``entry`` for the machine a run starts, ``part`` for a child.
    """

    job: str
    name: str
    definition: str
    placeholders: Mapping[str, FunctionRef | MachineRef]
    role: str = "entry"

    @property
    def key(self) -> str:
        """Unique within a project: the physical name."""
        return self.name


@dataclass(frozen=True)
class ScheduleSpec:
    """One EventBridge Scheduler schedule (a schedule with several crons yields several)."""

    name: str
    job: str
    expression: str
    time_zone: str
    enabled: bool
    index: int = 0
    description: str | None = None

    @property
    def construct_id(self) -> str:
        """A stable id: the schedule's name, suffixed by the cron's index when there are several."""
        return self.name if self.index == 0 else f"{self.name}-{self.index}"


@dataclass(frozen=True)
class S3SensorSpec:
    """An S3 sensor: the EventBridge pattern of the ``Object Created`` events that wake it.

    ``event_pattern`` is the automation package's own pattern (source,
    detail-type, bucket name, key prefix/suffix), used verbatim.
    """

    name: str
    bucket: str
    prefix: str
    event_pattern: Mapping[str, Any]
    enabled: bool
    job: str | None = None


@dataclass(frozen=True)
class ProjectSources:
    """Everything the constructs need from the user's ``Definitions``."""

    machines: tuple[MachineSpec, ...]
    schedules: tuple[ScheduleSpec, ...]
    s3_sensors: tuple[S3SensorSpec, ...]
    automation: bool
    automation_interval_minutes: int | None = None
    missing: tuple[str, ...] = field(default=())

    @classmethod
    def from_definitions(
        cls, definitions: Any, settings: DeploySettings, *, strict: bool = True
    ) -> ProjectSources:
        """Read a ``Definitions``. With ``strict=False`` a missing aloft package leaves its part empty.

        ``missing`` lists what was left out and why (tests report it when they skip).
        """
        missing: list[str] = []

        def attempt(label: str, read: Any) -> Any:
            try:
                return read()
            except SourceUnavailable as err:
                if strict:
                    raise
                missing.append(f"{label}: {err}")
                return ()

        machines = attempt("jobs", lambda: compile_machines(definitions, settings))
        schedules = attempt("schedules", lambda: schedule_specs(definitions))
        sensors = attempt("s3 sensors", lambda: s3_sensor_specs(definitions))
        return cls(
            machines=tuple(machines),
            schedules=tuple(schedules),
            s3_sensors=tuple(sensors),
            automation=uses_automation(definitions),
            automation_interval_minutes=automation_interval(definitions),
            missing=tuple(missing),
        )


# -- jobs -> state machines ------------------------------------------------------------------------


def job_names(definitions: Any, settings: DeploySettings) -> list[str]:
    """The jobs that get a state machine: every asset job, plus the implicit all-assets job."""
    from aloft.definitions.definitions import IMPLICIT_JOB_NAME
    from aloft.definitions.jobs import AssetJobDefinition

    names = sorted(job.name for job in definitions.jobs if isinstance(job, AssetJobDefinition))
    if settings.deploy_implicit_job and definitions.assets and IMPLICIT_JOB_NAME not in names:
        names.append(IMPLICIT_JOB_NAME)
    return names


def step_sizes(definitions: Any, settings: DeploySettings) -> dict[str, FunctionSize]:
    """Each step's function size when it differs from the default ``run_step`` size.

    ``[tool.aloft.assets."key"]`` wins over the ``aloft/memory_mb`` and
    ``aloft/timeout_seconds`` op tags, which win over ``[tool.aloft.functions.run_step]``.

    Example:
        >>> from pathlib import Path
        >>> from aloft import Definitions, asset
        >>> @asset(op_tags={"aloft/memory_mb": "4096"})
        ... def big() -> int: return 1
        >>> settings = DeploySettings(definitions="m", root=Path("."))
        >>> step_sizes(Definitions(assets=[big]), settings)["big"].memory_mb
        4096
    """
    default = settings.size_of("run_step")
    sizes: dict[str, FunctionSize] = {}
    for assets_def in definitions.assets:
        if getattr(assets_def, "is_external", False):
            continue
        node = assets_def.node
        keys = [key.to_user_string() for key in assets_def.keys]
        configured = [settings.asset_sizes[k] for k in keys if k in settings.asset_sizes]
        if configured:
            size = configured[0]
        else:
            tags = dict(node.tags)
            try:
                size = FunctionSize(
                    memory_mb=int(tags.get(ASSET_MEMORY_TAG, default.memory_mb)),
                    timeout_seconds=int(tags.get(ASSET_TIMEOUT_TAG, default.timeout_seconds)),
                )
            except (ValueError, SettingsError) as err:
                raise SettingsError(
                    f"asset {keys[0] if keys else node.name!r}: op tag {err}"
                ) from None
        if size != default:
            sizes[node.name] = size
    unknown = sorted(
        set(settings.asset_sizes) - {k.to_user_string() for a in definitions.assets for k in a.keys}
    )
    if unknown:
        raise SettingsError(f"[tool.aloft.assets] names unknown asset(s) {unknown}")
    return sizes


def compile_machines(definitions: Any, settings: DeploySettings) -> list[MachineSpec]:
    """Every job's compiled state machine(s), via :func:`aloft.compiler.compile_job`."""
    try:
        from aloft.compiler import CompileOptions, compile_job
    except ImportError as err:
        raise SourceUnavailable(f"aloft.compiler is not available ({err})") from err
    sizes = step_sizes(definitions, settings)
    try:
        options = CompileOptions(name_prefix=settings.resource_prefix, **settings.compile_options)
    except TypeError as err:
        raise SettingsError(f"[tool.aloft.compile]: {err}") from None
    machines: list[MachineSpec] = []
    for name in job_names(definitions, settings):
        machines += machine_specs(compile_job(definitions, name, options), sizes)
    return machines


def machine_specs(compiled: Any, sizes: Mapping[str, FunctionSize]) -> list[MachineSpec]:
    """Adapt a :class:`aloft.compiler.CompiledJob` (the only place that knows its shape).

    The manifest's ``placeholders`` say what each ``${Name}`` stands for:
    ``{"kind": "lambda", "function": "run_step"}`` or ``{"kind": "state_machine",
    "state_machine": "<name>"}``. A lambda placeholder may carry ``memory_mb`` /
    ``timeout_seconds`` for a step-size-specific ``run_step``.
    """
    refs: dict[str, FunctionRef | MachineRef] = {}
    sized = False
    for placeholder, target in compiled.manifest["placeholders"].items():
        kind = target.get("kind")
        if kind == "lambda":
            size = None
            if "memory_mb" in target or "timeout_seconds" in target:
                sized = True
                size = FunctionSize(
                    memory_mb=int(target.get("memory_mb", FunctionSize().memory_mb)),
                    timeout_seconds=int(
                        target.get("timeout_seconds", FunctionSize().timeout_seconds)
                    ),
                )
            refs[placeholder] = FunctionRef(role=str(target["function"]), size=size)
        elif kind == "state_machine":
            refs[placeholder] = MachineRef(name=str(target["state_machine"]))
        else:
            raise SourceUnavailable(
                f"job {compiled.job_name!r}: unknown placeholder kind {kind!r} for {placeholder}"
            )
    job_steps = {step for machine in compiled.state_machines for step in machine.steps}
    resized = sorted(set(sizes) & job_steps)
    if resized and not sized:
        raise SettingsError(
            f"job {compiled.job_name!r}: steps {resized} ask for their own memory/timeout, but the compiled "
            "state machine calls one run_step function for every step. Size all steps with "
            "[tool.aloft.functions.run_step] instead (per-asset sizes need the compiler to emit a "
            "placeholder per size)."
        )
    specs = []
    for machine in compiled.state_machines:
        text = machine.machine.to_json(indent=None)
        used = {name: ref for name, ref in refs.items() if "${" + name + "}" in text}
        specs.append(
            MachineSpec(
                job=compiled.job_name,
                name=machine.name,
                definition=text,
                placeholders=used,
                role=machine.role,
            )
        )
    return specs


# -- schedules and sensors -------------------------------------------------------------------------


def schedule_specs(definitions: Any) -> list[ScheduleSpec]:
    """One :class:`ScheduleSpec` per cron of every schedule (EventBridge takes one cron each)."""
    specs: list[ScheduleSpec] = []
    for schedule in definitions.schedules:
        try:
            expressions: Sequence[str] = schedule.eventbridge_expressions
        except AttributeError as err:
            raise SourceUnavailable(
                f"schedule {schedule!r} has no eventbridge_expressions ({err})"
            ) from err
        for index, expression in enumerate(expressions):
            specs.append(
                ScheduleSpec(
                    name=schedule.name,
                    job=schedule.job_name,
                    expression=expression,
                    time_zone=schedule.execution_timezone,
                    enabled=bool(schedule.is_running_by_default),
                    index=index,
                    description=getattr(schedule, "description", None),
                )
            )
    return sorted(specs, key=lambda s: (s.name, s.index))


def s3_sensor_specs(definitions: Any) -> list[S3SensorSpec]:
    """The S3 sensors (other sensors are polled by the automation function, not fed events)."""
    specs = []
    for sensor in definitions.sensors:
        if not _is_s3_sensor(sensor):
            continue
        try:
            pattern = sensor.event_pattern()
        except AttributeError as err:
            raise SourceUnavailable(f"S3 sensor {sensor!r} has no event_pattern() ({err})") from err
        specs.append(
            S3SensorSpec(
                name=sensor.name,
                bucket=sensor.bucket,
                prefix=sensor.prefix,
                event_pattern=pattern,
                enabled=bool(sensor.is_running_by_default),
                job=sensor.job_name,
            )
        )
    return sorted(specs, key=lambda s: s.name)


def _is_s3_sensor(sensor: Any) -> bool:
    return getattr(sensor, "sensor_type", None) == "s3"


def uses_automation(definitions: Any) -> bool:
    """Whether anything needs the automation function (conditions, freshness, non-S3 sensors)."""
    if any(not _is_s3_sensor(s) for s in definitions.sensors):
        return True
    return any(
        getattr(a, "automation_condition", None) is not None
        or getattr(a, "freshness_policy", None) is not None
        for a in definitions.assets
    )


# Declarative conditions and freshness policies are re-checked this often when no polled sensor
# asks for more (EventBridge Scheduler's precision is one minute).
DEFAULT_AUTOMATION_INTERVAL_MINUTES = 5


def automation_interval(definitions: Any) -> int | None:
    """Minutes between automation ticks: the most frequent polled sensor's interval, or 5; None if unused.

    Example:
        >>> from aloft import Definitions
        >>> automation_interval(Definitions()) is None
        True
    """
    if not uses_automation(definitions):
        return None
    intervals = [
        int(getattr(s, "minimum_interval_seconds", 60))
        for s in definitions.sensors
        if not _is_s3_sensor(s)
    ]
    if not intervals:
        return DEFAULT_AUTOMATION_INTERVAL_MINUTES
    return max(1, min(DEFAULT_AUTOMATION_INTERVAL_MINUTES, -(-min(intervals) // 60)))
