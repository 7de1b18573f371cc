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

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from aloft_cdk.settings import (
    ASSET_MEMORY_TAG,
    ASSET_TIMEOUT_TAG,
    DeploySettings,
    FunctionSize,
    SettingsError,
)

__all__ = [
    "BACKFILL_MAP_LABEL",
    "BACKFILL_PREFIX",
    "FunctionRef",
    "backfill_refusals",
    "compile_options",
    "machine_specs",
    "MachineRef",
    "MachineSpec",
    "ProjectSources",
    "S3SensorSpec",
    "ScheduleSpec",
    "SourceUnavailable",
    "step_sizes",
]


# Where backfill launchers write partition manifests and Distributed Maps their results (under the
# temporary prefix the data bucket expires), and the label of the backfill's map (its child
# executions are named execution:<machine>/<label>:<id>). aloft.cloud.backfill and
# aloft.compiler.backfill own both; these are their values (the infra tests check they agree).
BACKFILL_PREFIX = "tmp/backfills/"
BACKFILL_MAP_LABEL = "Partition"


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

    ``name`` is the physical state machine name (``<name>-<stage>-<job>[-partN|-backfill]``);
    ``role`` is ``entry`` for the machine a run starts, ``part`` for a child of a split job,
    ``backfill`` for the Distributed Map that runs a job once per partition.
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
    if not settings.deploy_implicit_job and uses_declarative_automation(definitions):
        raise SettingsError(
            "deploy_implicit_job = false, but assets have an automation_condition or freshness_policy: "
            f"declarative automation launches its runs on the implicit job {IMPLICIT_JOB_NAME}. "
            "Remove deploy_implicit_job = false from [tool.aloft] (or the conditions from the assets)"
        )
    if settings.deploy_implicit_job and definitions.assets and IMPLICIT_JOB_NAME not in names:
        names.append(IMPLICIT_JOB_NAME)
    return names


def step_sizes(definitions: Any, settings: DeploySettings) -> dict[str, FunctionSize]:
    """Each step's function size when it differs from the default ``run_step`` size.

    ``[tool.aloft.assets."key"]`` wins over the ``aloft/memory_mb`` and
    ``aloft/timeout_seconds`` op tags, which win over the same tags on the asset
    itself (``@asset(tags=...)``), which win over ``[tool.aloft.functions.run_step]``.
    Values are checked against Lambda's limits; an error names the asset.

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
        label = " / ".join(keys) if keys else node.name
        configured = sorted(
            {settings.asset_sizes[k] for k in keys if k in settings.asset_sizes},
            key=lambda s: (s.memory_mb, s.timeout_seconds),
        )
        if len(configured) > 1:
            raise SettingsError(
                f"assets {keys} run in one step (one function) but [tool.aloft.assets] gives them "
                f"different sizes {[s.label for s in configured]}: give them one size"
            )
        if configured:
            size = configured[0]
        else:
            tags = {
                **_asset_tags(assets_def, label),
                **_size_tags(dict(node.tags), label, "op tag"),
            }
            try:
                size = FunctionSize(
                    memory_mb=tags.get(ASSET_MEMORY_TAG, default.memory_mb),
                    timeout_seconds=tags.get(ASSET_TIMEOUT_TAG, default.timeout_seconds),
                )
            except SettingsError as err:
                raise SettingsError(f"asset {label!r}: {err} (from its aloft/ tags)") from None
        if size != default:
            sizes[node.name] = size
    unknown = sorted(
        set(settings.asset_sizes) - {k.to_user_string() for a in definitions.assets for k in a.keys}
    )
    if unknown:
        raise SettingsError(f"[tool.aloft.assets] names unknown asset(s) {unknown}")
    return sizes


def _size_tags(tags: Mapping[str, Any], label: str, kind: str) -> dict[str, int]:
    """The ``aloft/memory_mb`` / ``aloft/timeout_seconds`` tags as integers (misspellings refused)."""
    found: dict[str, int] = {}
    for tag, value in tags.items():
        if tag in (ASSET_MEMORY_TAG, ASSET_TIMEOUT_TAG):
            try:
                found[tag] = int(str(value).strip())
            except ValueError:
                unit = "MB" if tag == ASSET_MEMORY_TAG else "seconds"
                raise SettingsError(
                    f"asset {label!r}: {kind} {tag}={value!r} is not a whole number of {unit}"
                ) from None
        elif tag.startswith("aloft/") and ("memory" in tag or "timeout" in tag):
            close = ASSET_MEMORY_TAG if "memory" in tag else ASSET_TIMEOUT_TAG
            raise SettingsError(f"asset {label!r}: unknown {kind} {tag!r}; did you mean {close!r}?")
    return found


def _asset_tags(assets_def: Any, label: str) -> dict[str, int]:
    """Size tags on the asset(s) of a step (``@asset(tags=...)``); all outputs must agree."""
    per_output = [
        _size_tags(dict(getattr(output, "tags", None) or {}), label, "asset tag")
        for output in getattr(assets_def.node, "outputs", ())
    ]
    merged: dict[str, int] = {}
    for tags in per_output:
        for tag, value in tags.items():
            if merged.setdefault(tag, value) != value:
                raise SettingsError(
                    f"asset {label!r}: its outputs disagree on {tag} ({merged[tag]} and {value}); "
                    "they run in one step: tag the step with op_tags instead"
                )
    return merged


def compile_options(definitions: Any, settings: DeploySettings) -> Any:
    """The :class:`aloft.compiler.CompileOptions` a deployment compiles with.

    ``[tool.aloft.compile]``, the stage's name prefix and the step sizes of
    :func:`step_sizes` (each a ``run_step`` function of its own).
    """
    try:
        from aloft.compiler import CompileOptions
        from aloft.compiler.contract import StepSize
    except ImportError as err:
        raise SourceUnavailable(f"aloft.compiler is not available ({err})") from err
    sizes = {
        key: StepSize(memory_mb=size.memory_mb, timeout_seconds=size.timeout_seconds)
        for key, size in step_sizes(definitions, settings).items()
    }
    try:
        return CompileOptions(
            name_prefix=settings.resource_prefix, step_sizes=sizes, **settings.compile_options
        )
    except TypeError as err:
        raise SettingsError(f"[tool.aloft.compile]: {err}") from None


def compile_machines(definitions: Any, settings: DeploySettings) -> list[MachineSpec]:
    """Every job's compiled state machine(s), and the backfill machine of every partitioned job.

    A partitioned job gets a backfill machine (:func:`aloft.compiler.backfill.compile_backfill`:
    one Distributed Map over a partition manifest in S3) unless the compiler refuses it (a job
    that mixes unpartitioned assets in, or is too large for one execution per partition);
    :func:`backfill_refusals` says why for those.
    """
    try:
        from aloft.compiler import compile_job
    except ImportError as err:
        raise SourceUnavailable(f"aloft.compiler is not available ({err})") from err
    options = compile_options(definitions, settings)
    sizes = step_sizes(definitions, settings)
    machines: list[MachineSpec] = []
    for name in job_names(definitions, settings):
        compiled = compile_job(definitions, name, options)
        machines += machine_specs(compiled, sizes)
        if compiled.manifest.get("partitioned"):
            backfill = _compile_backfill(definitions, name, options)
            if not isinstance(backfill, str):
                machines += machine_specs(backfill, sizes)
    return machines


def backfill_refusals(definitions: Any, settings: DeploySettings) -> dict[str, str]:
    """Partitioned jobs that get no backfill machine, and the compiler's reason."""
    from aloft.compiler import compile_job

    options = compile_options(definitions, settings)
    refused = {}
    for name in job_names(definitions, settings):
        if compile_job(definitions, name, options).manifest.get("partitioned"):
            backfill = _compile_backfill(definitions, name, options)
            if isinstance(backfill, str):
                refused[name] = backfill
    return refused


def _compile_backfill(definitions: Any, job_name: str, options: Any) -> Any:
    """The compiled backfill of a job, or the compiler's reason for refusing it.

    ``max_steps_per_part`` forces job machines into parts; a backfill runs each partition
    as ONE child execution, so it compiles the job whole (still within the history and
    size budgets, which the compiler checks).
    """
    try:
        from aloft.compiler import CompileError
        from aloft.compiler.backfill import compile_backfill
    except ImportError:
        return "this aloft has no cloud backfills (aloft.compiler.backfill)"
    try:
        return compile_backfill(definitions, job_name, replace(options, max_steps_per_part=None))
    except CompileError as err:
        return str(err)


def machine_specs(compiled: Any, sizes: Mapping[str, FunctionSize]) -> list[MachineSpec]:
    """Adapt a :class:`aloft.compiler.CompiledJob` (the only place that knows its shape).

    The manifest's ``placeholders`` say what each ``${Name}`` stands for:
    ``{"kind": "lambda", "function": "run_step"}`` or ``{"kind": "state_machine",
    "state_machine": "<name>"}``. A lambda placeholder may carry ``memory_mb`` /
    ``timeout_seconds`` for a step-size-specific ``run_step``.
    """
    refs: dict[str, FunctionRef | MachineRef] = {}
    for placeholder, target in compiled.manifest["placeholders"].items():
        kind = target.get("kind")
        if kind == "lambda":
            size = None
            if "memory_mb" in target or "timeout_seconds" in target:
                size = FunctionSize(
                    memory_mb=int(target["memory_mb"]),
                    timeout_seconds=int(target["timeout_seconds"]),
                )
            refs[placeholder] = FunctionRef(role=str(target["function"]), size=size)
        elif kind == "state_machine":
            refs[placeholder] = MachineRef(name=str(target["state_machine"]))
        else:
            raise SourceUnavailable(
                f"job {compiled.job_name!r}: unknown placeholder kind {kind!r} for {placeholder}"
            )
    # Never deploy a step on the wrong size: each step's Run task must call the function of its size.
    called = {
        step: refs.get(function.removeprefix("${").removesuffix("}"))
        for machine in compiled.state_machines
        for step, function in _run_tasks(machine.definition)
    }
    wrong = sorted(
        step
        for step, ref in called.items()
        if not isinstance(ref, FunctionRef) or ref.role != "run_step" or ref.size != sizes.get(step)
    )
    if wrong:
        raise SettingsError(
            f"job {compiled.job_name!r}: steps {wrong} would run on a run_step function of another "
            "size than their own (was the job compiled without CompileOptions.step_sizes?)"
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


def _run_tasks(node: Any) -> Iterator[tuple[str, str]]:
    """``(step, FunctionName)`` of every Task that materializes a step (``kind: run``)."""
    if isinstance(node, Mapping):
        payload = node.get("Parameters", {}).get("Payload") if node.get("Type") == "Task" else None
        if isinstance(payload, Mapping) and payload.get("kind") == "run":
            yield str(payload["step"]), str(node["Parameters"]["FunctionName"])
        for value in node.values():
            yield from _run_tasks(value)
    elif isinstance(node, list):
        for value in node:
            yield from _run_tasks(value)


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
    return any(not _is_s3_sensor(s) for s in definitions.sensors) or uses_declarative_automation(definitions)


def uses_declarative_automation(definitions: Any) -> bool:
    """Whether an asset has an automation condition or a freshness policy."""
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
