"""What the Lambda handlers of ``functions/`` call: one function per handler, plus their setup.

Handlers stay thin: ``functions/sensor.py`` calls ``handle_sensor_event``,
``functions/schedule_tick.py`` ``handle_schedule_tick``, ``functions/automation.py``
``handle_automation_event``, each with an ``AutomationRuntime`` (definitions,
store, launcher) built once per Lambda container from the environment:

==============================  ================================================
``ALOFT_DEFINITIONS``           ``module[:attribute]`` of the user's Definitions
``ALOFT_STATE``                 the state store URL (``dynamodb://<table>``)
``ALOFT_LAUNCHER``              ``cloud`` (default: start the compiled state
                                machine) or ``local`` (run in the handler's
                                process: the local cloud, tests)
==============================  ================================================

With ``cloud``, runs start through ``aloft.cloud``'s ``StepFunctionsStarter`` on
the machine ``ALOFT_STATE_MACHINE_ARN_PREFIX`` + ``machine_name(ALOFT_NAME_PREFIX, job)``.

Example:
    >>> from aloft import Definitions
    >>> from aloft.automation.launcher import InProcessRunLauncher
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> store = InMemoryStateStore()
    >>> runtime = AutomationRuntime(Definitions(), store, InProcessRunLauncher(Definitions(), store))
    >>> handle_schedule_tick({"schedule_name": "nope", "scheduled_time": "2024-01-01T00:00:00Z"}, runtime)
    Traceback (most recent call last):
    ...
    aloft.errors.DefinitionError: no schedule named 'nope'.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from aloft.automation.evaluator import run_automation_tick
from aloft.automation.launcher import (
    CloudRunLauncher,
    InProcessRunLauncher,
    RunLauncher,
    StartExecution,
)
from aloft.automation.s3 import S3SensorDefinition
from aloft.automation.schedule import ScheduleDefinition
from aloft.automation.sensor import SensorDefinition
from aloft.automation.tick import dispatch_s3_events, evaluate_schedule, evaluate_sensor
from aloft.automation.validation import automation_definitions
from aloft.definitions.asset_key import AssetKey
from aloft.definitions.definitions import Definitions
from aloft.errors import AloftError, DefinitionError, ExecutionError
from aloft.storage.base import StateStore

__all__ = [
    "AutomationRuntime",
    "automation_stream_filter",
    "cloud_launcher",
    "handle_automation_event",
    "handle_schedule_tick",
    "handle_sensor_event",
    "runtime_from_environment",
    "updated_assets_from_stream",
]

_log = logging.getLogger("aloft.automation.runtime")


@dataclass(frozen=True)
class AutomationRuntime:
    """The project's definitions, its state store and a launcher: what every handler needs."""

    definitions: Definitions
    store: StateStore
    launcher: RunLauncher


class _EnvironmentDeployments(Mapping[str, Any]):
    """Each job's deployed entry state machine, derived from the deployment's naming contract.

    ``ALOFT_STATE_MACHINE_ARN_PREFIX`` + the compiler's ``machine_name(ALOFT_NAME_PREFIX, job)``
    is the ARN the CDK gave the job's entry machine; its steps come from compiling
    the job (pure, cached per container).
    """

    def __init__(self, definitions: Definitions, name_prefix: str, arn_prefix: str) -> None:
        self._definitions = definitions
        self._name_prefix = name_prefix
        self._arn_prefix = arn_prefix
        self._cache: dict[str, Any] = {}

    def __getitem__(self, job_name: str) -> Any:
        if job_name not in self._cache:
            from aloft.cloud.launcher import JobDeployment
            from aloft.compiler import CompileOptions, compile_job
            from aloft.compiler.names import machine_name

            if job_name not in self._definitions.job_names and job_name != "__ASSET_JOB":
                raise KeyError(job_name)
            compiled = compile_job(self._definitions, job_name, CompileOptions(name_prefix=self._name_prefix))
            arn = self._arn_prefix + machine_name(self._name_prefix, job_name)
            self._cache[job_name] = JobDeployment.from_compiled(compiled, arn)
        return self._cache[job_name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._definitions.job_names)

    def __len__(self) -> int:
        return len(self._definitions.job_names)


class _LazyStepFunctions:
    """A Step Functions client created on first use (never at import or cold start)."""

    def __init__(self) -> None:
        self._client: Any = None

    def start_execution(self, **kwargs: Any) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("stepfunctions")
        return self._client.start_execution(**kwargs)


def cloud_launcher(definitions: Definitions, store: StateStore, environ: Mapping[str, str], sfn: Any = None) -> RunLauncher:
    """``CloudRunLauncher`` over ``aloft.cloud``'s ``StepFunctionsStarter`` and the deployed machines.

    Needs ``ALOFT_NAME_PREFIX`` and ``ALOFT_STATE_MACHINE_ARN_PREFIX`` (set by the CDK app).
    """
    try:
        from aloft.cloud.launcher import StepFunctionsStarter
    except ImportError as err:
        raise AloftError(
            "ALOFT_LAUNCHER=cloud needs aloft.cloud (StepFunctionsStarter), which this installation lacks; "
            "set ALOFT_LAUNCHER=local to run in process"
        ) from err
    missing = [name for name in ("ALOFT_NAME_PREFIX", "ALOFT_STATE_MACHINE_ARN_PREFIX") if not environ.get(name)]
    if missing:
        raise DefinitionError(f"ALOFT_LAUNCHER=cloud needs {', '.join(missing)} (the CDK app sets them)")
    deployments = _EnvironmentDeployments(
        definitions, environ["ALOFT_NAME_PREFIX"], environ["ALOFT_STATE_MACHINE_ARN_PREFIX"]
    )
    # cast: aloft.cloud's StartRequest protocol declares settable attributes; LaunchRequest is frozen.
    starter = cast(StartExecution, StepFunctionsStarter(sfn or _LazyStepFunctions(), deployments))
    return CloudRunLauncher(store, starter, definitions=definitions)


def runtime_from_environment(environ: Mapping[str, str] | None = None) -> AutomationRuntime:
    """Build the runtime from ``ALOFT_DEFINITIONS``, ``ALOFT_STATE`` and ``ALOFT_LAUNCHER``."""
    from aloft.cli.loading import load_definitions
    from aloft.storage.url import open_store

    env = os.environ if environ is None else environ
    module = env.get("ALOFT_DEFINITIONS")
    if not module:
        raise DefinitionError("ALOFT_DEFINITIONS is not set: it names the module[:attribute] of the Definitions")
    defs = automation_definitions(load_definitions(module=module))
    state = env.get("ALOFT_STATE")
    if not state:
        raise DefinitionError("ALOFT_STATE is not set: it is the state store URL (dynamodb://TABLE)")
    store = open_store(state)
    mode = env.get("ALOFT_LAUNCHER", "cloud")
    if mode == "local":
        return AutomationRuntime(defs, store, InProcessRunLauncher(defs, store))
    if mode != "cloud":
        raise DefinitionError(f"ALOFT_LAUNCHER={mode!r}: use 'cloud' or 'local'")
    return AutomationRuntime(defs, store, cloud_launcher(defs, store, env))


# -- schedule_tick ---------------------------------------------------------------------------------


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise DefinitionError(f"scheduled_time must be an ISO 8601 string, got {value!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DefinitionError(f"scheduled_time {value!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def handle_schedule_tick(event: Mapping[str, Any], runtime: AutomationRuntime) -> dict[str, Any]:
    """Evaluate the tick EventBridge Scheduler sent (``schedule_name``, ``scheduled_time``).

    Raises ``ExecutionError`` when the tick failed, so that Scheduler retries it
    (a retry is harmless: run keys and execution names derive from the scheduled time).
    """
    name = event.get("schedule_name") or event.get("schedule")
    if not isinstance(name, str):
        raise DefinitionError(f"schedule_tick event has no schedule_name: {dict(event)!r}")
    schedule_def = runtime.definitions.get_schedule_def(name)
    if not isinstance(schedule_def, ScheduleDefinition):
        raise DefinitionError(f"'{name}' is not an aloft ScheduleDefinition")
    result = evaluate_schedule(
        runtime.definitions, schedule_def, runtime.store, runtime.launcher, _parse_time(event.get("scheduled_time"))
    )
    if result.failed:
        raise ExecutionError(f"schedule '{name}' tick failed: {result.tick.error}") from result.error
    return {
        "schedule": name,
        "status": result.tick.status.value,
        "run_ids": list(result.new_run_ids),
        "skip_reason": result.tick.skip_reason,
    }


# -- sensor ------------------------------------------------------------------------------------


def handle_sensor_event(event: Any, runtime: AutomationRuntime) -> dict[str, Any]:
    """S3 events (one EventBridge event, a list, an SQS batch) -> the S3 sensors; or ``{"sensor_name"}``.

    For an SQS batch it returns ``batchItemFailures`` (only the failed messages
    come back). Otherwise a failed sensor raises ``ExecutionError`` so that the
    asynchronous invocation is retried (then dead-lettered): nothing is lost, and
    run keys make the retry harmless. Malformed events are reported, not retried.
    """
    if isinstance(event, Mapping) and isinstance(event.get("sensor_name"), str):
        sensor_def = runtime.definitions.get_sensor_def(event["sensor_name"])
        if isinstance(sensor_def, S3SensorDefinition) or not isinstance(sensor_def, SensorDefinition):
            raise DefinitionError(f"sensor '{event['sensor_name']}' is not a polled sensor")
        tick = evaluate_sensor(runtime.definitions, sensor_def, runtime.store, runtime.launcher)
        if tick.failed:
            raise ExecutionError(f"sensor '{sensor_def.name}' failed: {tick.tick.error}") from tick.error
        return {"sensor": sensor_def.name, "status": tick.tick.status.value, "run_ids": list(tick.new_run_ids)}
    dispatch = dispatch_s3_events(runtime.definitions, runtime.store, runtime.launcher, event)
    summary: dict[str, Any] = {
        "events": sum(1 for r in dispatch.records if r.event is not None),
        "run_ids": list(dispatch.new_run_ids),
        "unmatched": [e.uri for e in dispatch.unmatched],
        "malformed": [str(r.error) for r in dispatch.malformed],
    }
    is_batch = any(r.message_id is not None for r in dispatch.records)
    if is_batch:
        summary["batchItemFailures"] = [{"itemIdentifier": m} for m in dispatch.failed_message_ids]
        return summary
    if dispatch.any_sensor_failed:
        raise ExecutionError("S3 sensor evaluation failed: " + "; ".join(dispatch.errors))
    return summary


# -- automation ------------------------------------------------------------------------------


def updated_assets_from_stream(records: Sequence[Mapping[str, Any]]) -> list[AssetKey]:
    """The assets whose latest materialization a DynamoDB Streams batch changed.

    Reads the state table's keys: ``pk = ASSET#<key>`` with ``sk = LATEST`` or
    ``PLATEST#<partition>`` (``aloft.storage.dynamodb``'s layout).

    Example:
        >>> updated_assets_from_stream([{"eventName": "MODIFY", "dynamodb": {"Keys": {
        ...     "pk": {"S": "ASSET#raw/orders"}, "sk": {"S": "LATEST"}}}}])
        [AssetKey(['raw', 'orders'])]
    """
    found: dict[AssetKey, None] = {}
    for record in records:
        if record.get("eventName") not in ("INSERT", "MODIFY"):
            continue
        keys = record.get("dynamodb", {}).get("Keys", {})
        pk = keys.get("pk", {}).get("S", "")
        sk = keys.get("sk", {}).get("S", "")
        if pk.startswith("ASSET#") and (sk == "LATEST" or sk.startswith("PLATEST#")):
            try:
                found[AssetKey.from_user_string(pk[len("ASSET#"):])] = None
            except ValueError:
                _log.warning("ignoring a stream record with an unreadable asset key: %r", pk)
    return list(found)


def automation_stream_filter() -> dict[str, Any]:
    """The Lambda event filter pattern of the ``automation`` function's DynamoDB Streams source.

    Only writes of an asset's latest materialization (``ASSET#<key>`` with
    ``LATEST`` or ``PLATEST#<partition>``) should invoke the function: without
    the filter every write to the table (step events, ticks, the automation
    cursor itself) invokes it for nothing.

    Example:
        >>> pattern = automation_stream_filter()
        >>> pattern["dynamodb"]["Keys"]["sk"]["S"]
        ['LATEST', {'prefix': 'PLATEST#'}]
    """
    return {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {
            "Keys": {
                "pk": {"S": [{"prefix": "ASSET#"}]},
                "sk": {"S": ["LATEST", {"prefix": "PLATEST#"}]},
            }
        },
    }


def evaluate_due_sensors(runtime: AutomationRuntime, now: datetime) -> list[dict[str, Any]]:
    """Evaluate every RUNNING polled sensor whose interval has passed (the periodic tick's job)."""
    results = []
    for sensor_def in runtime.definitions.sensors:
        if isinstance(sensor_def, S3SensorDefinition) or not isinstance(sensor_def, SensorDefinition):
            continue
        if not sensor_def.is_running_by_default:
            continue
        last = runtime.store.list_ticks(sensor_def.name, limit=1)
        if last and now.timestamp() - last[0].timestamp < sensor_def.minimum_interval_seconds:
            continue
        tick = evaluate_sensor(runtime.definitions, sensor_def, runtime.store, runtime.launcher, now=now.timestamp())
        results.append({"sensor": sensor_def.name, "status": tick.tick.status.value, "run_ids": list(tick.new_run_ids)})
    return results


def handle_automation_event(event: Mapping[str, Any], runtime: AutomationRuntime) -> dict[str, Any]:
    """A DynamoDB Streams batch (evaluate downstream of new materializations) or a periodic tick.

    The periodic tick (``{"source": "tick", "scheduled_time": ...}``) evaluates
    due polled sensors, then every automation condition and freshness policy.
    """
    records = event.get("Records")
    if isinstance(records, list):
        updated = updated_assets_from_stream(records)
        if not updated:
            return {"updated": [], "run_ids": [], "batchItemFailures": []}
        result = run_automation_tick(runtime.definitions, runtime.store, runtime.launcher, updated=updated)
        if result.error is not None:
            # Report the whole batch: the stream retries it (bisecting), then dead-letters.
            failures = [{"itemIdentifier": r.get("dynamodb", {}).get("SequenceNumber")} for r in records]
            return {"updated": [k.to_user_string() for k in updated], "run_ids": [], "batchItemFailures": failures}
        return {
            "updated": [k.to_user_string() for k in updated],
            "run_ids": [launch.run.run_id for launch in result.launches if launch.created],
            "batchItemFailures": [],
        }
    if event.get("source") == "tick":
        raw = event.get("scheduled_time")
        now = _parse_time(raw) if raw else datetime.now(UTC)
        sensors = evaluate_due_sensors(runtime, now)
        result = run_automation_tick(runtime.definitions, runtime.store, runtime.launcher, now=now)
        return {
            "sensors": sensors,
            "automation": result.tick.status.value,
            "run_ids": [launch.run.run_id for launch in result.launches if launch.created],
        }
    raise DefinitionError(
        "automation event is neither a DynamoDB Streams batch nor a periodic tick ({'source': 'tick'})"
    )
