"""Sensors: ``@sensor``, ``SensorDefinition``, ``SensorEvaluationContext``, ``@asset_sensor``.

A sensor is a function evaluated every ``minimum_interval_seconds`` (30 by
default, as in Dagster) that returns or yields ``RunRequest`` / ``SkipReason``
or returns a ``SensorResult``; it keeps its progress in a string cursor that
the state store persists between evaluations. In the cloud a polling sensor is
an EventBridge Scheduler ``rate(...)`` schedule invoking the ``sensor`` Lambda;
S3 sensors (``aloft.automation.s3``) are driven by S3 events instead.

Example:
    >>> from aloft import define_asset_job
    >>> from aloft.automation.run_request import RunRequest
    >>> @sensor(job=define_asset_job("ingest"), minimum_interval_seconds=60)
    ... def new_numbers(context):
    ...     last = int(context.cursor or 0)
    ...     for n in range(last + 1, last + 3):
    ...         yield RunRequest(run_key=str(n))
    ...     context.update_cursor(str(last + 2))
    >>> evaluation = new_numbers.evaluate_tick(build_sensor_context(cursor="4"))
    >>> [r.run_key for r in evaluation.run_requests], evaluation.cursor
    (['5', '6'], '6')
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aloft.automation._user_code import Evaluation, call_user_fn, normalize_output
from aloft.automation.errors import CursorError, SensorEvaluationError
from aloft.automation.run_request import DefaultSensorStatus, SkipReason
from aloft.definitions.asset_key import AssetKey, CoercibleToAssetKey
from aloft.errors import AloftError, DefinitionError

__all__ = [
    "DEFAULT_MINIMUM_INTERVAL_SECONDS",
    "EventLogEntry",
    "SensorDefinition",
    "SensorEvaluationContext",
    "asset_sensor",
    "build_sensor_context",
    "read_versioned_cursor",
    "sensor",
    "write_versioned_cursor",
]

DEFAULT_MINIMUM_INTERVAL_SECONDS = 30
SensorFunction = Callable[..., Any]


class SensorEvaluationContext:
    """What a sensor function receives: its cursor, the store (``instance``), resources.

    ``update_cursor`` changes the cursor that is stored if the evaluation succeeds
    (a sensor that raises keeps its previous cursor).

    Example:
        >>> context = build_sensor_context(cursor="3")
        >>> context.update_cursor("4")
        >>> context.cursor
        '4'
    """

    def __init__(
        self,
        *,
        cursor: str | None = None,
        instance: Any = None,
        resources: Mapping[str, Any] | None = None,
        sensor_name: str | None = None,
        definitions: Any = None,
        last_tick_completion_time: float | None = None,
        last_run_key: str | None = None,
    ) -> None:
        self._cursor = cursor
        self._cursor_updated = False
        self.instance = instance
        self.resources: Mapping[str, Any] = dict(resources or {})
        self.sensor_name = sensor_name
        self.definitions = definitions
        self.last_tick_completion_time = last_tick_completion_time
        self.last_run_key = last_run_key

    @property
    def cursor(self) -> str | None:
        """The cursor the previous successful evaluation left (or that ``update_cursor`` set)."""
        return self._cursor

    @property
    def cursor_updated(self) -> bool:
        """Whether ``update_cursor`` was called during this evaluation."""
        return self._cursor_updated

    def update_cursor(self, cursor: str | None) -> None:
        """Set the cursor stored after this evaluation."""
        if cursor is not None and not isinstance(cursor, str):
            raise DefinitionError(f"update_cursor takes a string, got {type(cursor).__name__}")
        self._cursor = cursor
        self._cursor_updated = True

    @property
    def repository_def(self) -> Any:
        """The project's ``Definitions`` (Dagster's name)."""
        return self.definitions

    @property
    def log(self) -> logging.Logger:
        """A logger named after the sensor."""
        return logging.getLogger(f"aloft.sensor.{self.sensor_name or 'unnamed'}")


def build_sensor_context(
    instance: Any = None,
    cursor: str | None = None,
    resources: Mapping[str, Any] | None = None,
    definitions: Any = None,
    sensor_name: str | None = None,
    last_tick_completion_time: float | None = None,
    repository_def: Any = None,
) -> SensorEvaluationContext:
    """A context to evaluate a sensor in a unit test (``instance`` is a state store).

    Example:
        >>> build_sensor_context(cursor="7").cursor
        '7'
    """
    return SensorEvaluationContext(
        cursor=cursor,
        instance=instance,
        resources=resources,
        sensor_name=sensor_name,
        definitions=definitions if definitions is not None else repository_def,
        last_tick_completion_time=last_tick_completion_time,
    )


def _job_target(job: Any, job_name: str | None, owner: str) -> tuple[str | None, Any]:
    if job is not None:
        name = getattr(job, "name", None)
        if not isinstance(name, str):
            raise DefinitionError(f"{owner}: job= must be a job (define_asset_job(...) or @job), got {job!r}")
        if job_name is not None and job_name != name:
            raise DefinitionError(f"{owner}: pass either job= or job_name=, not both")
        return name, job
    return job_name, None


@dataclass(frozen=True, eq=False, init=False)
class SensorDefinition:
    """A function evaluated periodically that asks for runs of a job.

    ``sensor_type`` says how it is triggered: ``standard`` (polled),
    ``asset`` and ``run_status`` (polled, with a cursor aloft manages) or ``s3``
    (S3 "Object Created" events).

    Example:
        >>> from aloft import define_asset_job
        >>> s = SensorDefinition("watch", evaluation_fn=lambda context: None, job=define_asset_job("j"))
        >>> s.minimum_interval_seconds, s.default_status.value
        (30, 'STOPPED')
    """

    name: str
    evaluation_fn: SensorFunction
    job_name: str | None = None
    job: Any = None
    minimum_interval_seconds: int = DEFAULT_MINIMUM_INTERVAL_SECONDS
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED
    description: str | None = None
    asset_selection: tuple[AssetKey, ...] | None = None
    sensor_type: str = "standard"
    tags: Mapping[str, str] = field(default_factory=dict)

    def __init__(
        self,
        name: str | None = None,
        *,
        evaluation_fn: SensorFunction,
        job: Any = None,
        job_name: str | None = None,
        minimum_interval_seconds: int | None = None,
        default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
        description: str | None = None,
        asset_selection: Sequence[CoercibleToAssetKey] | None = None,
        sensor_type: str = "standard",
        tags: Mapping[str, str] | None = None,
    ) -> None:
        name = name or getattr(evaluation_fn, "__name__", "")
        if not name or not name.replace("_", "").replace("-", "").isalnum():
            raise DefinitionError(
                f"sensor name {name!r} must contain only letters, digits, '_' and '-'"
            )
        owner = f"sensor '{name}'"
        target, job_obj = _job_target(job, job_name, owner)
        interval = DEFAULT_MINIMUM_INTERVAL_SECONDS if minimum_interval_seconds is None else minimum_interval_seconds
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise DefinitionError(f"{owner}: minimum_interval_seconds must be a positive integer, got {interval!r}")
        if not isinstance(default_status, DefaultSensorStatus):
            raise DefinitionError(f"{owner}: default_status must be a DefaultSensorStatus")
        if not callable(evaluation_fn):
            raise DefinitionError(f"{owner}: evaluation_fn must be callable")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "evaluation_fn", evaluation_fn)
        object.__setattr__(self, "job_name", target)
        object.__setattr__(self, "job", job_obj)
        object.__setattr__(self, "minimum_interval_seconds", interval)
        object.__setattr__(self, "default_status", default_status)
        object.__setattr__(self, "description", description)
        object.__setattr__(
            self,
            "asset_selection",
            None if asset_selection is None else tuple(AssetKey.from_coercible(k) for k in asset_selection),
        )
        object.__setattr__(self, "sensor_type", sensor_type)
        object.__setattr__(self, "tags", {str(k): str(v) for k, v in (tags or {}).items()})

    @property
    def is_running_by_default(self) -> bool:
        """Whether the deployed sensor starts enabled."""
        return self.default_status is DefaultSensorStatus.RUNNING

    @property
    def label(self) -> str:
        """How messages name the sensor."""
        return f"sensor '{self.name}'"

    def evaluate_tick(self, context: SensorEvaluationContext, *inputs: Any) -> Evaluation:
        """Run the sensor function once; ``SensorEvaluationError`` (cause kept) if it raises.

        The returned cursor is the ``SensorResult`` cursor, else the one set with
        ``update_cursor`` (``cursor_set`` says whether either happened). ``inputs``
        go to the function after the context (an S3 sensor's event).
        """
        if context.sensor_name is None:
            context.sensor_name = self.name
        try:
            output = call_user_fn(self.evaluation_fn, context, context.resources, label=self.label, positional=inputs)
            evaluation = normalize_output(output, label=self.label, none_message=f"{self.label} returned nothing")
        except (CursorError, SensorEvaluationError):
            raise
        except AloftError as err:
            raise SensorEvaluationError(f"{self.label}: {err}", sensor_name=self.name) from err
        except Exception as err:
            raise SensorEvaluationError(
                f"{self.label} raised {type(err).__name__}: {err}", sensor_name=self.name
            ) from err
        if evaluation.cursor_set and context.cursor_updated:
            raise SensorEvaluationError(
                f"{self.label} both called context.update_cursor and returned SensorResult(cursor=...); "
                "use one of the two",
                sensor_name=self.name,
            )
        cursor_set = evaluation.cursor_set or context.cursor_updated
        cursor = evaluation.cursor if evaluation.cursor_set else context.cursor
        return Evaluation(
            run_requests=tuple(r.with_defaults(tags=self.tags) for r in evaluation.run_requests),
            skip_message=evaluation.skip_message,
            cursor=cursor,
            cursor_set=cursor_set,
            dynamic_partitions_requests=evaluation.dynamic_partitions_requests,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the decorated function directly (unit tests), as Dagster allows."""
        return self.evaluation_fn(*args, **kwargs)

    def __repr__(self) -> str:
        target = self.job_name or "assets"
        return f"<SensorDefinition {self.name} ({self.sensor_type}) -> {target}>"


def sensor(
    job: Any = None,
    *,
    job_name: str | None = None,
    name: str | None = None,
    minimum_interval_seconds: int | None = None,
    description: str | None = None,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    asset_selection: Sequence[CoercibleToAssetKey] | None = None,
    tags: Mapping[str, str] | None = None,
) -> Callable[[SensorFunction], SensorDefinition]:
    """Decorate a sensor function of a ``SensorEvaluationContext``.

    Example:
        >>> from aloft import define_asset_job
        >>> @sensor(job=define_asset_job("refresh"), default_status=DefaultSensorStatus.RUNNING)
        ... def always(context):
        ...     return SkipReason("nothing to do")
        >>> always.evaluate_tick(build_sensor_context()).skip_message
        'nothing to do'
    """

    def build(fn: SensorFunction) -> SensorDefinition:
        return SensorDefinition(
            name=name or fn.__name__,
            evaluation_fn=fn,
            job=job,
            job_name=job_name,
            minimum_interval_seconds=minimum_interval_seconds,
            default_status=default_status,
            description=description if description is not None else fn.__doc__,
            asset_selection=asset_selection,
            tags=tags,
        )

    return build


# -- versioned cursors (the sensors aloft writes the cursor of) --------------------------------


def write_versioned_cursor(version: int, **fields: Any) -> str:
    """A JSON cursor with a version, so a later aloft can tell which format it reads.

    Example:
        >>> write_versioned_cursor(1, t=1.5)
        '{"t":1.5,"v":1}'
    """
    return json.dumps({**fields, "v": version}, sort_keys=True, separators=(",", ":"))


def read_versioned_cursor(cursor: str | None, version: int, *, owner: str, required: Sequence[str]) -> dict[str, Any] | None:
    """Read a cursor ``write_versioned_cursor`` wrote; ``CursorError`` saying how to fix it otherwise.

    Example:
        >>> read_versioned_cursor('{"t":1.5,"v":1}', 1, owner="sensor 's'", required=["t"])
        {'t': 1.5, 'v': 1}
        >>> read_versioned_cursor("1700000000", 1, owner="sensor 's'", required=["t"])
        Traceback (most recent call last):
        ...
        aloft.automation.errors.CursorError: sensor 's' cannot read its stored cursor '1700000000': it was not written by this version of aloft (expected a JSON object with "v": 1). The cursor was left unchanged and nothing was skipped; reset it with `aloft sensor cursor s --set ''` (start over) or set a valid value.
    """
    if cursor is None or cursor == "":
        return None
    name = owner.split("'")[1] if "'" in owner else owner
    fix = (
        "The cursor was left unchanged and nothing was skipped; reset it with "
        f"`aloft sensor cursor {name} --set ''` (start over) or set a valid value."
    )
    shown = cursor if len(cursor) <= 80 else cursor[:77] + "..."
    try:
        data = json.loads(cursor)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "v" not in data:
        raise CursorError(
            f"{owner} cannot read its stored cursor {shown!r}: it was not written by this version of aloft "
            f'(expected a JSON object with "v": {version}). {fix}'
        )
    found = data["v"]
    if found != version:
        newer = isinstance(found, int) and found > version
        raise CursorError(
            f"{owner} cannot read its stored cursor: format version {found!r} was written by "
            f"{'a newer' if newer else 'an older'} aloft (this one reads version {version}). {fix}"
        )
    missing = [key for key in required if key not in data]
    if missing:
        raise CursorError(f"{owner}: stored cursor {shown!r} lacks {', '.join(missing)}. {fix}")
    return data


# -- asset sensors ---------------------------------------------------------------------------

_ASSET_CURSOR_VERSION = 1


@dataclass(frozen=True)
class EventLogEntry:
    """A materialization an ``@asset_sensor`` reacts to (Dagster's ``EventLogEntry``, reduced).

    ``asset_materialization`` is the state store's ``MaterializationRecord``.

    Example:
        >>> from aloft.storage.records import MaterializationRecord
        >>> entry = EventLogEntry.from_record(MaterializationRecord(AssetKey("orders"), "r1", "orders", timestamp=5.0))
        >>> entry.run_id, entry.timestamp
        ('r1', 5.0)
    """

    run_id: str
    timestamp: float
    asset_key: AssetKey
    partition_key: str | None
    asset_materialization: Any

    @staticmethod
    def from_record(record: Any) -> EventLogEntry:
        """Wrap a ``MaterializationRecord``."""
        return EventLogEntry(
            run_id=record.run_id,
            timestamp=record.timestamp,
            asset_key=record.asset_key,
            partition_key=record.partition_key,
            asset_materialization=record,
        )


def asset_sensor(
    asset_key: CoercibleToAssetKey,
    *,
    job: Any = None,
    job_name: str | None = None,
    name: str | None = None,
    minimum_interval_seconds: int | None = None,
    description: str | None = None,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
) -> Callable[[SensorFunction], SensorDefinition]:
    """A sensor called with the newest materialization of ``asset_key`` it has not seen yet.

    The function takes ``(context, asset_event)`` and returns RunRequest / SkipReason;
    aloft keeps the cursor (the last materialization handled).

    Example:
        >>> from aloft import define_asset_job
        >>> from aloft.automation.run_request import RunRequest
        >>> @asset_sensor(asset_key="orders", job=define_asset_job("report"))
        ... def orders_updated(context, asset_event):
        ...     return RunRequest(run_key=asset_event.run_id)
        >>> orders_updated.sensor_type
        'asset'
    """
    key = AssetKey.from_coercible(asset_key)

    def build(fn: SensorFunction) -> SensorDefinition:
        sensor_name = name or fn.__name__
        owner = f"asset sensor '{sensor_name}'"

        def evaluate(context: SensorEvaluationContext) -> Any:
            store = context.instance
            if store is None:
                raise DefinitionError(f"{owner} needs the state store: build_sensor_context(instance=store)")
            seen = read_versioned_cursor(context.cursor, _ASSET_CURSOR_VERSION, owner=owner, required=["t", "run"])
            latest = store.latest_materialization(key)
            if latest is None:
                return SkipReason(f"asset '{key.to_user_string()}' has never been materialized")
            if seen is not None and (latest.timestamp, latest.run_id) <= (seen["t"], seen["run"]):
                return SkipReason(f"no new materialization of '{key.to_user_string()}'")
            entry = EventLogEntry.from_record(latest)
            output = call_user_fn(fn, context, context.resources, label=owner, positional=[entry])
            context.update_cursor(
                write_versioned_cursor(_ASSET_CURSOR_VERSION, t=latest.timestamp, run=latest.run_id)
            )
            return output

        evaluate.__name__ = sensor_name
        return SensorDefinition(
            name=sensor_name,
            evaluation_fn=evaluate,
            job=job,
            job_name=job_name,
            minimum_interval_seconds=minimum_interval_seconds,
            default_status=default_status,
            description=description if description is not None else fn.__doc__,
            sensor_type="asset",
        )

    return build
