"""Run status sensors: ``@run_status_sensor`` and ``@run_failure_sensor``.

The function is called once per run that reached ``run_status`` since the
previous evaluation (oldest first), with a ``RunStatusSensorContext``. It may
return nothing (an alert), or RunRequest / SkipReason for ``request_job``. As in
Dagster, a new sensor starts watching from its first evaluation: runs that
finished before it existed do not trigger it.

Example:
    >>> @run_failure_sensor
    ... def page_on_call(context):
    ...     context.log.error("run %s failed", context.dagster_run.run_id)
    >>> page_on_call.sensor_type
    'run_status'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from aloft.automation._user_code import call_user_fn, normalize_output
from aloft.automation.run_request import DefaultSensorStatus, RunRequest, SkipReason
from aloft.automation.sensor import (
    SensorDefinition,
    SensorEvaluationContext,
    read_versioned_cursor,
    write_versioned_cursor,
)
from aloft.errors import DefinitionError
from aloft.storage.records import RunRecord, RunStatus

__all__ = [
    "RunFailureSensorContext",
    "RunStatusSensorContext",
    "build_run_status_sensor_context",
    "run_failure_sensor",
    "run_status_sensor",
]

_CURSOR_VERSION = 1
# Runs examined per evaluation; a busier project evaluates more often.
_RUNS_PER_TICK = 200


@dataclass(frozen=True)
class RunStatusSensorContext:
    """What a run status sensor function receives: the run that changed status.

    Example:
        >>> from aloft.storage.records import RunRecord
        >>> ctx = build_run_status_sensor_context("s", RunRecord("r1", "daily", status=RunStatus.SUCCESS))
        >>> ctx.dagster_run.run_id
        'r1'
    """

    sensor_name: str
    dagster_run: RunRecord
    instance: Any = None
    resources: Any = None

    @property
    def run(self) -> RunRecord:
        """The run (``dagster_run`` is Dagster's name)."""
        return self.dagster_run

    @property
    def log(self) -> Any:
        """A logger named after the sensor."""
        import logging

        return logging.getLogger(f"aloft.sensor.{self.sensor_name}")


@dataclass(frozen=True)
class RunFailureSensorContext(RunStatusSensorContext):
    """The context of a ``@run_failure_sensor``: the failed run and its failure.

    ``failure_event`` is the first STEP_FAILED event of the run, when the store has it.
    """

    failure_event: Any = None


def build_run_status_sensor_context(
    sensor_name: str,
    dagster_run: RunRecord,
    instance: Any = None,
    resources: Any = None,
) -> RunStatusSensorContext:
    """A context to call a run status sensor's function in a unit test.

    Example:
        >>> from aloft.storage.records import RunRecord
        >>> build_run_status_sensor_context("s", RunRecord("r1", "j")).sensor_name
        's'
    """
    if dagster_run.status == RunStatus.FAILURE:
        return RunFailureSensorContext(sensor_name, dagster_run, instance, resources)
    return RunStatusSensorContext(sensor_name, dagster_run, instance, resources)


def _status_time(run: RunRecord) -> float:
    return run.ended_at or run.started_at or run.created_at


def _failure_event(store: Any, run: RunRecord) -> Any:
    getter = getattr(store, "get_step_events", None)
    if getter is None:
        return None
    for event in getter(run.run_id):
        if getattr(getattr(event, "event_type", None), "value", None) == "STEP_FAILED":
            return event
    return None


def _build(
    fn: Callable[..., Any],
    *,
    run_status: RunStatus,
    name: str | None,
    minimum_interval_seconds: int | None,
    monitored_jobs: Sequence[Any] | None,
    request_job: Any,
    default_status: DefaultSensorStatus,
    description: str | None,
) -> SensorDefinition:
    sensor_name = name or fn.__name__
    owner = f"run status sensor '{sensor_name}'"
    watched = None if monitored_jobs is None else {getattr(j, "name", j) for j in monitored_jobs}

    def evaluate(context: SensorEvaluationContext) -> Any:
        store = context.instance
        if store is None:
            raise DefinitionError(f"{owner} needs the state store: build_sensor_context(instance=store)")
        seen = read_versioned_cursor(context.cursor, _CURSOR_VERSION, owner=owner, required=["t", "ids"])
        runs = store.list_runs(status=run_status, limit=_RUNS_PER_TICK)
        if seen is None:
            newest = max((_status_time(r) for r in runs), default=time.time())
            at_newest = sorted(r.run_id for r in runs if _status_time(r) == newest)
            context.update_cursor(write_versioned_cursor(_CURSOR_VERSION, t=newest, ids=at_newest))
            return SkipReason(f"started watching for {run_status.value} runs")
        after, ids = float(seen["t"]), set(seen["ids"])
        fresh = sorted(
            (
                r
                for r in runs
                if (_status_time(r) > after or (_status_time(r) == after and r.run_id not in ids))
                and (watched is None or r.job_name in watched)
            ),
            key=lambda r: (_status_time(r), r.run_id),
        )
        if not fresh:
            return SkipReason(f"no run reached {run_status.value} since the last evaluation")
        requests: list[RunRequest] = []
        for run in fresh:
            run_context: RunStatusSensorContext
            if run_status == RunStatus.FAILURE:
                run_context = RunFailureSensorContext(
                    sensor_name, run, store, context.resources, _failure_event(store, run)
                )
            else:
                run_context = RunStatusSensorContext(sensor_name, run, store, context.resources)
            output = call_user_fn(fn, run_context, context.resources, label=owner)
            evaluation = normalize_output(output, label=owner, none_message="")
            requests.extend(r.with_defaults(run_key=run.run_id) for r in evaluation.run_requests)
        last = fresh[-1]
        last_time = _status_time(last)
        same_time = [r.run_id for r in fresh if _status_time(r) == last_time]
        if last_time == after:
            same_time = sorted(ids | set(same_time))
        context.update_cursor(write_versioned_cursor(_CURSOR_VERSION, t=last_time, ids=same_time))
        if requests:
            return requests
        return SkipReason(f"handled {len(fresh)} {run_status.value} run(s); no run requested")

    evaluate.__name__ = sensor_name
    return SensorDefinition(
        name=sensor_name,
        evaluation_fn=evaluate,
        job=request_job,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=description if description is not None else fn.__doc__,
        sensor_type="run_status",
    )


def run_status_sensor(
    run_status: RunStatus | str,
    *,
    name: str | None = None,
    minimum_interval_seconds: int | None = None,
    monitored_jobs: Sequence[Any] | None = None,
    request_job: Any = None,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    description: str | None = None,
) -> Callable[[Callable[..., Any]], SensorDefinition]:
    """A sensor called for each run that reaches ``run_status``.

    Example:
        >>> from aloft import define_asset_job
        >>> from aloft.automation.run_request import RunRequest
        >>> @run_status_sensor(RunStatus.SUCCESS, request_job=define_asset_job("report"))
        ... def report_after_load(context):
        ...     return RunRequest(run_key=context.dagster_run.run_id)
        >>> report_after_load.job_name
        'report'
    """
    try:
        status = RunStatus(run_status.value if isinstance(run_status, RunStatus) else str(run_status).upper())
    except ValueError:
        raise DefinitionError(
            f"run_status_sensor: unknown run status {run_status!r}; use one of "
            f"{', '.join(s.value for s in RunStatus)}"
        ) from None

    def build(fn: Callable[..., Any]) -> SensorDefinition:
        return _build(
            fn,
            run_status=status,
            name=name,
            minimum_interval_seconds=minimum_interval_seconds,
            monitored_jobs=monitored_jobs,
            request_job=request_job,
            default_status=default_status,
            description=description,
        )

    return build


@overload
def run_failure_sensor(fn: Callable[..., Any]) -> SensorDefinition: ...


@overload
def run_failure_sensor(
    fn: None = None,
    *,
    name: str | None = ...,
    minimum_interval_seconds: int | None = ...,
    monitored_jobs: Sequence[Any] | None = ...,
    request_job: Any = ...,
    default_status: DefaultSensorStatus = ...,
    description: str | None = ...,
) -> Callable[[Callable[..., Any]], SensorDefinition]: ...


def run_failure_sensor(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    minimum_interval_seconds: int | None = None,
    monitored_jobs: Sequence[Any] | None = None,
    request_job: Any = None,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    description: str | None = None,
) -> SensorDefinition | Callable[[Callable[..., Any]], SensorDefinition]:
    """A sensor called with a ``RunFailureSensorContext`` for each failed run (bare or called).

    Example:
        >>> @run_failure_sensor(name="alert", minimum_interval_seconds=60)
        ... def alert(context):
        ...     pass
        >>> alert.minimum_interval_seconds
        60
    """
    decorator = run_status_sensor(
        RunStatus.FAILURE,
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        monitored_jobs=monitored_jobs,
        request_job=request_job,
        default_status=default_status,
        description=description,
    )
    return decorator(fn) if fn is not None else decorator
