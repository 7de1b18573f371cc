"""One tick of a schedule or sensor against the state store: evaluate, launch, record.

The rules, the same locally and in the cloud:

- every evaluation is recorded as a tick (time, status, new run ids, skip
  reason or error, cursor after the tick);
- a cursor advances only when the whole tick succeeded: if the function raises,
  its cursor cannot be read, or a run cannot be launched, the tick is a FAILURE
  with the error and the cursor stays where it was, so the next evaluation sees
  the same input again (nothing lost);
- run keys are scoped to their sensor or schedule and reserved in the store, so
  re-evaluating the same input (or the same S3 event) launches nothing twice;
- dynamic partitions a sensor asks for are added before its runs launch.

Example:
    >>> from aloft import Definitions, asset, define_asset_job
    >>> from aloft.automation.launcher import InProcessRunLauncher
    >>> from aloft.automation.run_request import RunRequest
    >>> from aloft.automation.sensor import sensor
    >>> from aloft.io.memory import InMemoryIOManager
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> @asset
    ... def numbers() -> list[int]:
    ...     return [1, 2]
    >>> job = define_asset_job("refresh")
    >>> @sensor(job=job)
    ... def every_time(context):
    ...     return RunRequest(run_key="once")
    >>> defs = Definitions(assets=[numbers], jobs=[job], sensors=[every_time],
    ...                    resources={"io_manager": InMemoryIOManager()})
    >>> store = InMemoryStateStore()
    >>> launcher = InProcessRunLauncher(defs, store)
    >>> [evaluate_sensor(defs, every_time, store, launcher).tick.status.value for _ in range(2)]
    ['SUCCESS', 'SKIPPED']
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aloft.automation._user_code import Evaluation
from aloft.automation.cron import execution_name
from aloft.automation.launcher import LaunchRequest, LaunchResult, RunLauncher
from aloft.automation.run_request import RunRequest
from aloft.automation.s3 import ParsedS3Record, S3ObjectEvent, S3SensorDefinition, parse_s3_events
from aloft.automation.schedule import ScheduleDefinition, ScheduleEvaluationContext
from aloft.automation.sensor import SensorDefinition, SensorEvaluationContext
from aloft.definitions.definitions import IMPLICIT_JOB_NAME, Definitions
from aloft.errors import DefinitionError
from aloft.storage.base import StateStore
from aloft.storage.records import RunTrigger, TickRecord, TickStatus

__all__ = [
    "S3Dispatch",
    "TickResult",
    "dispatch_s3_events",
    "evaluate_schedule",
    "evaluate_sensor",
    "submit_run_requests",
]

_log = logging.getLogger("aloft.automation")
UNMATCHED_S3_TICKS = "s3-unmatched"
TAG_SENSOR = "aloft/sensor_name"
TAG_SCHEDULE = "aloft/schedule_name"
TAG_TICK_TIME = "aloft/scheduled_time"


@dataclass(frozen=True)
class TickResult:
    """The outcome of one tick: its record, the launches, and the error of a failed tick."""

    tick: TickRecord
    launches: tuple[LaunchResult, ...] = ()
    error: BaseException | None = None

    @property
    def failed(self) -> bool:
        """Whether the tick failed (its cursor did not advance)."""
        return self.tick.status == TickStatus.FAILURE

    @property
    def new_run_ids(self) -> tuple[str, ...]:
        """The runs this tick created (not the ones its run keys collapsed onto)."""
        return tuple(launch.run.run_id for launch in self.launches if launch.created)


def _describe(err: BaseException) -> str:
    cause = err.__cause__
    text = str(err)
    if cause is not None and str(cause) not in text:
        text += f" (caused by {type(cause).__name__}: {cause})"
    return text


def _job_for(request: RunRequest, default_job: str | None, label: str) -> str:
    if request.job_name is not None:
        return request.job_name
    if default_job is not None:
        return default_job
    if request.asset_selection is not None:
        return IMPLICIT_JOB_NAME
    raise DefinitionError(
        f"{label} asked for a run but targets no job; pass job= to it or RunRequest(job_name=...)"
    )


def submit_run_requests(
    requests: Sequence[RunRequest],
    launcher: RunLauncher,
    *,
    origin: str,
    label: str,
    default_job: str | None,
    trigger: RunTrigger,
    tags: Mapping[str, str] | None = None,
    name_for: Any = None,
) -> list[LaunchResult]:
    """Launch each request (run keys scoped to ``origin``); stops at the first launch error."""
    launches: list[LaunchResult] = []
    for index, request in enumerate(requests):
        job = _job_for(request, default_job, label)
        launch = LaunchRequest.build(
            job_name=job,
            origin=origin,
            trigger=trigger,
            run_key=request.run_key,
            run_config=request.run_config,
            tags={**(tags or {}), **request.tags},
            partition_key=request.partition_key,
            asset_selection=request.asset_selection,
            execution_name=name_for(index, request) if name_for is not None else None,
        )
        launches.append(launcher.launch(launch))
    return launches


def _apply_dynamic_partitions(store: StateStore, requests: Iterable[Any], label: str) -> None:
    from aloft.partitions.dynamic import AddDynamicPartitionsRequest, DeleteDynamicPartitionsRequest

    for request in requests:
        if isinstance(request, AddDynamicPartitionsRequest):
            store.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
        elif isinstance(request, DeleteDynamicPartitionsRequest):
            store.delete_dynamic_partitions(request.partitions_def_name, request.partition_keys)
        else:
            raise DefinitionError(
                f"{label} returned {request!r} in dynamic_partitions_requests; use "
                "AddDynamicPartitionsRequest or DeleteDynamicPartitionsRequest"
            )


def _finish(
    store: StateStore,
    name: str,
    *,
    evaluation: Evaluation | None,
    launches: Sequence[LaunchResult],
    error: BaseException | None,
    cursor: str | None,
    timestamp: float,
) -> TickResult:
    new_ids = tuple(launch.run.run_id for launch in launches if launch.created)
    if error is not None:
        tick = TickRecord(name, TickStatus.FAILURE, timestamp=timestamp, run_ids=new_ids,
                          error=_describe(error), cursor=cursor)
    elif new_ids:
        tick = TickRecord(name, TickStatus.SUCCESS, timestamp=timestamp, run_ids=new_ids, cursor=cursor)
    else:
        reason = evaluation.skip_message if evaluation is not None else None
        if launches:
            keys = ", ".join(sorted({launch.run.run_key or launch.run.run_id for launch in launches}))
            reason = f"already launched (run keys {keys})"
        tick = TickRecord(name, TickStatus.SKIPPED, timestamp=timestamp, skip_reason=reason, cursor=cursor)
    store.add_tick(tick)
    if error is not None:
        _log.error("%s: tick failed: %s", name, tick.error)
    return TickResult(tick=tick, launches=tuple(launches), error=error)


def _run_sensor(
    defs: Definitions,
    sensor_def: SensorDefinition,
    store: StateStore,
    launcher: RunLauncher,
    *,
    inputs: tuple[Any, ...],
    resources: Mapping[str, Any] | None,
    now: float | None,
) -> TickResult:
    timestamp = time.time() if now is None else now
    previous = store.get_sensor_cursor(sensor_def.name)
    last = store.list_ticks(sensor_def.name, limit=1)
    context = SensorEvaluationContext(
        cursor=previous,
        instance=store,
        resources=defs.resources if resources is None else resources,
        sensor_name=sensor_def.name,
        definitions=defs,
        last_tick_completion_time=last[0].timestamp if last else None,
    )
    evaluation: Evaluation | None = None
    launches: list[LaunchResult] = []
    try:
        if isinstance(sensor_def, S3SensorDefinition):
            evaluation = sensor_def.evaluate_event(context, inputs[0])
        else:
            evaluation = sensor_def.evaluate_tick(context, *inputs)
        _apply_dynamic_partitions(store, evaluation.dynamic_partitions_requests, sensor_def.label)
        launches = submit_run_requests(
            evaluation.run_requests,
            launcher,
            origin=f"sensor:{sensor_def.name}",
            label=sensor_def.label,
            default_job=sensor_def.job_name,
            trigger=RunTrigger.SENSOR,
            tags={TAG_SENSOR: sensor_def.name},
        )
    except Exception as err:  # user code is already wrapped; launch errors (AWS, store) fail the tick too
        return _finish(store, sensor_def.name, evaluation=evaluation, launches=launches, error=err,
                       cursor=previous, timestamp=timestamp)
    cursor = evaluation.cursor if evaluation.cursor_set else previous
    if evaluation.cursor_set and cursor != previous:
        store.set_sensor_cursor(sensor_def.name, cursor)
    return _finish(store, sensor_def.name, evaluation=evaluation, launches=launches, error=None,
                   cursor=cursor, timestamp=timestamp)


def evaluate_sensor(
    defs: Definitions,
    sensor_def: SensorDefinition,
    store: StateStore,
    launcher: RunLauncher,
    *,
    resources: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> TickResult:
    """Evaluate a polled sensor once with its stored cursor; launch, record the tick, store the cursor.

    S3 sensors are evaluated per event with ``dispatch_s3_events`` instead.
    """
    if isinstance(sensor_def, S3SensorDefinition):
        raise DefinitionError(
            f"{sensor_def.label} is driven by S3 events; feed it events with dispatch_s3_events"
        )
    return _run_sensor(defs, sensor_def, store, launcher, inputs=(), resources=resources, now=now)


def evaluate_schedule(
    defs: Definitions,
    schedule_def: ScheduleDefinition,
    store: StateStore,
    launcher: RunLauncher,
    scheduled_time: datetime,
    *,
    resources: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> TickResult:
    """Evaluate one tick of a schedule at ``scheduled_time``; idempotent per scheduled time.

    Run keys default to the scheduled time, and execution names derive from it,
    so a retried tick (EventBridge Scheduler retries, a Lambda retry, the daemon
    catching up) launches nothing twice.
    """
    if scheduled_time.tzinfo is None:
        raise ValueError("scheduled_time must be timezone-aware")
    timestamp = time.time() if now is None else now
    local_time = scheduled_time.astimezone(schedule_def.timezone)
    stamp = scheduled_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    context = ScheduleEvaluationContext(
        scheduled_execution_time=local_time,
        instance=store,
        resources=defs.resources if resources is None else resources,
        schedule_name=schedule_def.name,
        definitions=defs,
    )
    evaluation: Evaluation | None = None
    launches: list[LaunchResult] = []
    try:
        evaluation = schedule_def.evaluate_tick(context)
        keyed = [
            r if r.run_key is not None else r.with_defaults(run_key=stamp if i == 0 else f"{stamp}#{i}")
            for i, r in enumerate(evaluation.run_requests)
        ]
        launches = submit_run_requests(
            keyed,
            launcher,
            origin=f"schedule:{schedule_def.name}",
            label=f"schedule '{schedule_def.name}'",
            default_job=schedule_def.job_name,
            trigger=RunTrigger.SCHEDULE,
            tags={TAG_SCHEDULE: schedule_def.name, TAG_TICK_TIME: stamp},
            name_for=lambda i, r: execution_name(
                schedule_def.name, scheduled_time, None if r.run_key == stamp else r.run_key
            ),
        )
    except Exception as err:  # user code is already wrapped; launch errors (AWS, store) fail the tick too
        return _finish(store, schedule_def.name, evaluation=evaluation, launches=launches, error=err,
                       cursor=None, timestamp=timestamp)
    return _finish(store, schedule_def.name, evaluation=evaluation, launches=launches, error=None,
                   cursor=None, timestamp=timestamp)


@dataclass(frozen=True)
class S3Dispatch:
    """What happened to an incoming batch of S3 events.

    ``failed_message_ids`` are the SQS messages to report in
    ``batchItemFailures`` (their sensor failed: SQS redelivers them, and run keys
    make the redelivery harmless). ``malformed`` records cannot succeed on retry.
    """

    records: tuple[ParsedS3Record, ...]
    ticks: tuple[TickResult, ...] = ()
    unmatched: tuple[S3ObjectEvent, ...] = ()
    malformed: tuple[ParsedS3Record, ...] = ()
    failed_message_ids: tuple[str, ...] = ()
    errors: tuple[str, ...] = field(default=())

    @property
    def new_run_ids(self) -> tuple[str, ...]:
        """Every run the batch created."""
        return tuple(run_id for tick in self.ticks for run_id in tick.new_run_ids)

    @property
    def any_sensor_failed(self) -> bool:
        """Whether a sensor raised (or could not launch) for some event."""
        return any(tick.failed for tick in self.ticks)


def dispatch_s3_events(
    defs: Definitions,
    store: StateStore,
    launcher: RunLauncher,
    payload: Any,
    *,
    resources: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> S3Dispatch:
    """Route every S3 "Object Created" event of ``payload`` to the S3 sensors that match it.

    Each (sensor, event) pair is one tick. Events no S3 sensor watches are
    recorded as a SKIPPED tick named ``s3-unmatched`` (saying which buckets are
    watched); malformed events as a FAILURE tick of the same name.
    """
    sensors = [s for s in defs.sensors if isinstance(s, S3SensorDefinition)]
    records = parse_s3_events(payload)
    ticks: list[TickResult] = []
    unmatched: list[S3ObjectEvent] = []
    malformed: list[ParsedS3Record] = []
    failed: list[str] = []
    errors: list[str] = []
    timestamp = time.time() if now is None else now
    for record in records:
        if record.error is not None:
            malformed.append(record)
            errors.append(str(record.error))
            store.add_tick(TickRecord(UNMATCHED_S3_TICKS, TickStatus.FAILURE, timestamp=timestamp,
                                      error=str(record.error)))
            _log.error("malformed S3 event: %s", record.error)
            continue
        if record.event is None:
            continue  # an event S3 sensors ignore (e.g. "Object Deleted", the S3 test event)
        event = record.event
        matching = [s for s in sensors if s.matches(event)]
        if not matching:
            unmatched.append(event)
            watched = sorted({f"{s.bucket}/{s.prefix}*{s.suffix}" for s in sensors}) or ["nothing"]
            reason = f"no S3 sensor watches {event.uri} (S3 sensors watch: {', '.join(watched)})"
            store.add_tick(TickRecord(UNMATCHED_S3_TICKS, TickStatus.SKIPPED, timestamp=timestamp,
                                      skip_reason=reason))
            _log.warning(reason)
            continue
        for sensor_def in matching:
            tick = _run_sensor(defs, sensor_def, store, launcher, inputs=(event,), resources=resources,
                               now=timestamp)
            ticks.append(tick)
            if tick.failed:
                errors.append(tick.tick.error or "")
                if record.message_id is not None and record.message_id not in failed:
                    failed.append(record.message_id)
    return S3Dispatch(
        records=tuple(records),
        ticks=tuple(ticks),
        unmatched=tuple(unmatched),
        malformed=tuple(malformed),
        failed_message_ids=tuple(failed),
        errors=tuple(errors),
    )
