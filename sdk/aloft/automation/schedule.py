"""Schedules: ``ScheduleDefinition``, ``@schedule``, ``build_schedule_from_partitioned_job``.

A schedule fires a job on a cron in a timezone. In the cloud each schedule is
an EventBridge Scheduler schedule (``eventbridge_expressions`` + the timezone)
that invokes the ``schedule_tick`` Lambda with the scheduled time; locally the
daemon computes the same ticks (``aloft.automation.cron``).

Example:
    >>> from aloft import define_asset_job
    >>> daily = define_asset_job("daily_refresh", selection="*")
    >>> nightly = ScheduleDefinition(job=daily, cron_schedule="0 3 * * *", execution_timezone="Europe/Berlin")
    >>> nightly.name, nightly.eventbridge_expressions
    ('daily_refresh_schedule', ('cron(0 3 * * ? *)',))
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aloft.automation._user_code import Evaluation, call_user_fn, normalize_output
from aloft.automation.cron import parse_cron, resolve_timezone, to_eventbridge_cron
from aloft.automation.errors import ScheduleEvaluationError
from aloft.automation.run_request import DefaultScheduleStatus, RunRequest
from aloft.errors import AloftError, DefinitionError

__all__ = [
    "ScheduleDefinition",
    "ScheduleEvaluationContext",
    "build_schedule_context",
    "build_schedule_from_partitioned_job",
    "schedule",
]

ScheduleFunction = Callable[..., Any]


def _job_name(job: Any, job_name: str | None, owner: str) -> str:
    if job is not None and job_name is not None and getattr(job, "name", None) != job_name:
        raise DefinitionError(f"{owner}: pass either job= or job_name=, not both")
    if job is not None:
        name = getattr(job, "name", None)
        if not isinstance(name, str):
            raise DefinitionError(
                f"{owner}: job= must be a job (define_asset_job(...) or @job), got {job!r}"
            )
        return name
    if job_name is None:
        raise DefinitionError(f"{owner} needs a target: pass job=define_asset_job(...) or job_name='...'")
    return job_name


def _valid_name(name: str, owner: str) -> str:
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise DefinitionError(
            f"{owner} name {name!r} must contain only letters, digits, '_' and '-' "
            "(it names an EventBridge schedule)"
        )
    return name


@dataclass(frozen=True)
class ScheduleEvaluationContext:
    """What a ``@schedule`` function receives.

    ``scheduled_execution_time`` is the tick's instant in the schedule's timezone;
    ``instance`` is the state store; ``resources`` the project's resources.

    Example:
        >>> from datetime import datetime, timezone
        >>> context = build_schedule_context(scheduled_execution_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
        >>> context.scheduled_execution_time.year
        2024
    """

    scheduled_execution_time: datetime | None
    instance: Any = None
    resources: Mapping[str, Any] = field(default_factory=dict)
    schedule_name: str | None = None
    definitions: Any = None

    @property
    def log(self) -> logging.Logger:
        """A logger named after the schedule."""
        return logging.getLogger(f"aloft.schedule.{self.schedule_name or 'unnamed'}")


def build_schedule_context(
    instance: Any = None,
    scheduled_execution_time: datetime | None = None,
    resources: Mapping[str, Any] | None = None,
    definitions: Any = None,
    schedule_name: str | None = None,
) -> ScheduleEvaluationContext:
    """A context to call a ``@schedule`` function in a unit test.

    Example:
        >>> build_schedule_context().resources
        {}
    """
    return ScheduleEvaluationContext(
        scheduled_execution_time=scheduled_execution_time,
        instance=instance,
        resources=dict(resources or {}),
        schedule_name=schedule_name,
        definitions=definitions,
    )


@dataclass(frozen=True, eq=False, init=False)
class ScheduleDefinition:
    """Run a job on a cron schedule, in a timezone (UTC by default).

    Without ``execution_fn`` every tick asks for one run with ``run_config`` and
    ``tags``. The name defaults to ``<job name>_schedule`` as in Dagster. The
    cron is validated and translated for EventBridge when the schedule is
    defined: a cron EventBridge cannot express is a ``DefinitionError``.

    Example:
        >>> from aloft import define_asset_job
        >>> s = ScheduleDefinition(name="hourly", job=define_asset_job("refresh"), cron_schedule="@hourly")
        >>> s.job_name, s.execution_timezone
        ('refresh', 'UTC')
    """

    name: str
    cron_schedule: str | tuple[str, ...]
    job_name: str
    job: Any = None
    execution_timezone: str = "UTC"
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED
    run_config: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    execution_fn: ScheduleFunction | None = None
    partitions_def: Any = None

    def __init__(
        self,
        name: str | None = None,
        *,
        cron_schedule: str | Sequence[str],
        job: Any = None,
        job_name: str | None = None,
        run_config: Mapping[str, Any] | Any = None,
        tags: Mapping[str, str] | None = None,
        execution_timezone: str | None = None,
        description: str | None = None,
        default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
        execution_fn: ScheduleFunction | None = None,
        partitions_def: Any = None,
    ) -> None:
        owner = f"schedule '{name}'" if name else "ScheduleDefinition"
        target = _job_name(job, job_name, owner)
        name = _valid_name(name or f"{target}_schedule", "schedule")
        owner = f"schedule '{name}'"
        crons = (cron_schedule,) if isinstance(cron_schedule, str) else tuple(cron_schedule)
        if not crons:
            raise DefinitionError(f"{owner}: cron_schedule is empty")
        for cron in crons:
            try:
                to_eventbridge_cron(cron)
            except DefinitionError as err:
                raise type(err)(f"{owner}: {err}") from None
        timezone = execution_timezone or "UTC"
        resolve_timezone(timezone, owner=owner)
        if execution_fn is not None and run_config:
            raise DefinitionError(f"{owner}: pass run_config or a schedule function, not both")
        if not isinstance(default_status, DefaultScheduleStatus):
            raise DefinitionError(f"{owner}: default_status must be a DefaultScheduleStatus")
        config = run_config.to_config_dict() if hasattr(run_config, "to_config_dict") else dict(run_config or {})
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "cron_schedule", crons[0] if len(crons) == 1 else crons)
        object.__setattr__(self, "job_name", target)
        object.__setattr__(self, "job", job)
        object.__setattr__(self, "execution_timezone", timezone)
        object.__setattr__(self, "default_status", default_status)
        object.__setattr__(self, "run_config", config)
        object.__setattr__(self, "tags", {str(k): str(v) for k, v in (tags or {}).items()})
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "execution_fn", execution_fn)
        object.__setattr__(self, "partitions_def", partitions_def)

    # -- views ------------------------------------------------------------------------------
    @property
    def cron_schedules(self) -> tuple[str, ...]:
        """Every cron string of the schedule (Dagster allows several; their ticks are merged)."""
        return (self.cron_schedule,) if isinstance(self.cron_schedule, str) else self.cron_schedule

    @property
    def eventbridge_expressions(self) -> tuple[str, ...]:
        """EventBridge Scheduler expressions, one per cron (``cron(... ? ... *)``)."""
        return tuple(to_eventbridge_cron(c) for c in self.cron_schedules)

    @property
    def timezone(self) -> ZoneInfo:
        """The execution timezone as a ``ZoneInfo``."""
        return resolve_timezone(self.execution_timezone, owner=f"schedule '{self.name}'")

    @property
    def is_running_by_default(self) -> bool:
        """Whether the deployed schedule starts ENABLED."""
        return self.default_status is DefaultScheduleStatus.RUNNING

    # -- evaluation --------------------------------------------------------------------------
    def evaluate_tick(self, context: ScheduleEvaluationContext) -> Evaluation:
        """What this schedule asks for at ``context.scheduled_execution_time``.

        User-code failures raise ``ScheduleEvaluationError`` with the cause kept.

        Example:
            >>> from aloft import define_asset_job
            >>> s = ScheduleDefinition(job=define_asset_job("j"), cron_schedule="@daily", tags={"a": "b"})
            >>> s.evaluate_tick(build_schedule_context()).run_requests[0].tags
            {'a': 'b'}
        """
        label = f"schedule '{self.name}'"
        if self.execution_fn is None:
            return Evaluation(run_requests=(RunRequest(run_config=self.run_config, tags=self.tags),))
        try:
            output = call_user_fn(self.execution_fn, context, context.resources, label=label)
            evaluation = normalize_output(output, label=label, none_message=f"{label} returned None")
        except AloftError as err:
            if isinstance(err, ScheduleEvaluationError):
                raise
            raise ScheduleEvaluationError(f"{label}: {err}", schedule_name=self.name) from err
        except Exception as err:
            raise ScheduleEvaluationError(
                f"{label} raised {type(err).__name__}: {err}", schedule_name=self.name
            ) from err
        tags = dict(self.tags)
        return Evaluation(
            run_requests=tuple(r.with_defaults(tags=tags) for r in evaluation.run_requests),
            skip_message=evaluation.skip_message,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the decorated function directly (unit tests), as Dagster allows."""
        if self.execution_fn is None:
            raise DefinitionError(f"schedule '{self.name}' has no function to call")
        return self.execution_fn(*args, **kwargs)

    def __repr__(self) -> str:
        crons = ", ".join(self.cron_schedules)
        return f"<ScheduleDefinition {self.name} [{crons} {self.execution_timezone}] -> {self.job_name}>"


def schedule(
    cron_schedule: str | Sequence[str],
    *,
    job: Any = None,
    job_name: str | None = None,
    name: str | None = None,
    tags: Mapping[str, str] | None = None,
    execution_timezone: str | None = None,
    description: str | None = None,
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
) -> Callable[[ScheduleFunction], ScheduleDefinition]:
    """Decorate a function of a ``ScheduleEvaluationContext`` that returns or yields RunRequest / SkipReason.

    Example:
        >>> from aloft import define_asset_job
        >>> @schedule(cron_schedule="0 6 * * *", job=define_asset_job("report"), execution_timezone="UTC")
        ... def morning_report(context):
        ...     day = context.scheduled_execution_time.strftime("%Y-%m-%d")
        ...     return RunRequest(run_key=day, tags={"day": day})
        >>> morning_report.name
        'morning_report'
    """

    def build(fn: ScheduleFunction) -> ScheduleDefinition:
        return ScheduleDefinition(
            name=name or fn.__name__,
            cron_schedule=cron_schedule,
            job=job,
            job_name=job_name,
            tags=tags,
            execution_timezone=execution_timezone,
            description=description if description is not None else fn.__doc__,
            default_status=default_status,
            execution_fn=fn,
        )

    return build


def build_schedule_from_partitioned_job(
    job: Any,
    description: str | None = None,
    name: str | None = None,
    minute_of_hour: int | None = None,
    hour_of_day: int | None = None,
    day_of_week: int | None = None,
    day_of_month: int | None = None,
    default_status: DefaultScheduleStatus = DefaultScheduleStatus.STOPPED,
    tags: Mapping[str, str] | None = None,
    cron_schedule: str | None = None,
    execution_timezone: str | None = None,
) -> ScheduleDefinition:
    """A schedule whose every tick runs the partition that just closed.

    Time-window partitions give the cadence (and timezone); each tick targets the
    last complete partition at the scheduled time (the partitions package's
    ``get_last_partition_key``). A job with static partitions needs
    ``cron_schedule`` and runs every partition on each tick.

    Example:
        >>> from aloft import define_asset_job
        >>> from aloft.partitions import DailyPartitionsDefinition
        >>> daily = define_asset_job("daily", partitions_def=DailyPartitionsDefinition("2024-01-01"))
        >>> s = build_schedule_from_partitioned_job(daily, hour_of_day=1)
        >>> s.cron_schedule
        '0 1 * * *'
        >>> from datetime import datetime, timezone
        >>> ctx = build_schedule_context(scheduled_execution_time=datetime(2024, 3, 5, 1, tzinfo=timezone.utc))
        >>> s.evaluate_tick(ctx).run_requests[0].partition_key
        '2024-03-04'
    """
    partitions_def = getattr(job, "partitions_def", None)
    job_label = getattr(job, "name", repr(job))
    if partitions_def is None:
        raise DefinitionError(
            f"build_schedule_from_partitioned_job: job '{job_label}' has no partitions_def; "
            "pass define_asset_job(..., partitions_def=...)"
        )
    get_cron = getattr(partitions_def, "get_cron_schedule", None)
    if callable(get_cron):
        if cron_schedule is None:
            try:
                cron_schedule = str(get_cron(minute_of_hour, hour_of_day, day_of_week, day_of_month))
            except AloftError as err:
                raise DefinitionError(f"build_schedule_from_partitioned_job('{job_label}'): {err}") from None
        timezone = execution_timezone or getattr(partitions_def, "timezone", None) or "UTC"

        def partition_that_closed(context: ScheduleEvaluationContext) -> Any:
            moment = context.scheduled_execution_time
            key = partitions_def.get_last_partition_key(current_time=moment)
            if key is None:
                from aloft.automation.run_request import SkipReason

                return SkipReason(f"no partition of job '{job_label}' has ended by {moment}")
            return RunRequest(run_key=key, partition_key=key)

        fn: ScheduleFunction = partition_that_closed
    else:
        if cron_schedule is None:
            raise DefinitionError(
                f"build_schedule_from_partitioned_job: job '{job_label}' is not partitioned by time; "
                "pass cron_schedule='...' to say when to run its partitions"
            )
        timezone = execution_timezone or "UTC"

        def every_partition(context: ScheduleEvaluationContext) -> Any:
            keys = partitions_def.get_partition_keys(
                current_time=context.scheduled_execution_time, dynamic_partitions_store=context.instance
            )
            return [RunRequest(run_key=key, partition_key=key) for key in keys]

        fn = every_partition
    parse_cron(cron_schedule)
    return ScheduleDefinition(
        name=name or f"{job_label}_schedule",
        cron_schedule=cron_schedule,
        job=job,
        tags=tags,
        execution_timezone=timezone,
        description=description,
        default_status=default_status,
        execution_fn=fn,
        partitions_def=partitions_def,
    )
