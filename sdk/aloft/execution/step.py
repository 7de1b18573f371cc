"""THE step runner: materialize one step (an asset, a multi-asset or an op) of a run.

Every way of running calls :func:`execute_step`: the in-process executor (in
a thread pool), the ``run_step`` Lambda handler, and the local cloud through
that handler. Orchestration differs; materialization never does.

One call: record STARTED, load inputs through I/O managers, resolve config
and resources, call user code inside a single error boundary, store outputs,
record materializations with their metadata, record SUCCEEDED or
FAILED/RETRIED. User exceptions never escape: the outcome carries them.
"""

from __future__ import annotations

import inspect
import time
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aloft.definitions.config import Config
from aloft.definitions.metadata import MetadataValue, normalize_metadata
from aloft.definitions.node import NodeOutput
from aloft.definitions.results import MaterializeResult, Output
from aloft.errors import AloftError, StepExecutionError
from aloft.execution.context import AssetExecutionContext, Resources
from aloft.execution.logs import StepLog
from aloft.execution.plan import PlanStep, StepInputSource
from aloft.io.base import InputContext, IOManager, OutputContext
from aloft.storage.base import StateStore
from aloft.storage.records import (
    MaterializationRecord,
    PartitionStatus,
    StepError,
    StepEvent,
    StepEventType,
)

__all__ = ["RunContext", "StepOutcome", "StepStatus", "execute_step"]


class StepStatus(str, Enum):
    """How a step ended."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    SKIPPED = "SKIPPED"


@dataclass
class RunContext:
    """What every step of a run shares: ids, validated config, live resources, the store."""

    run_id: str
    job_name: str
    store: StateStore
    resources: Mapping[str, Any]
    node_configs: Mapping[str, Config] = field(default_factory=dict)
    partition_key: str | None = None
    partition_key_range: Any = None
    tags: Mapping[str, str] = field(default_factory=dict)
    dynamic_partitions_store: Any = None


@dataclass
class StepOutcome:
    """The result of one step: status, timing, materializations, error, captured logs."""

    step_key: str
    status: StepStatus
    attempt: int = 1
    duration: float = 0.0
    materializations: list[MaterializationRecord] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    error: StepError | None = None
    exception: BaseException | None = None
    will_retry: bool = False
    logs: tuple[str, ...] = ()

    @property
    def succeeded(self) -> bool:
        """Whether the step succeeded."""
        return self.status is StepStatus.SUCCESS


def execute_step(step: PlanStep, run: RunContext, *, attempt: int = 1) -> StepOutcome:
    """Materialize ``step`` for ``run``; never raises for a failure of user code."""
    started = time.perf_counter()
    store = run.store
    store.add_step_event(
        StepEvent(run.run_id, step.key, StepEventType.STARTED, attempt=attempt, partition_key=run.partition_key)
    )
    log = StepLog(step.key, {"run_id": run.run_id, "partition_key": run.partition_key})
    context = AssetExecutionContext(
        run_id=run.run_id,
        step_key=step.key,
        asset_keys=step.asset_keys,
        log=log,
        resources=Resources(
            **{key: _user_facing(run.resources[key]) for key in step.node.resource_keys if key in run.resources}
        ),
        partition_key=run.partition_key,
        partition_key_range=run.partition_key_range,
        partitions_def=step.partitions_def,
        op_config=run.node_configs.get(step.key),
        job_name=run.job_name,
        instance=store,
        retry_number=attempt - 1,
        run_tags=run.tags,
    )
    try:
        kwargs = _arguments(step, run, context)
        assert step.node.compute_fn is not None
        returned = step.node.compute_fn(**kwargs)
        produced = _collect_outputs(step, returned)
        materializations, values = _store_outputs(step, run, context, produced, attempt)
    except Exception as user_error:  # the one boundary around user code and I/O managers
        duration = time.perf_counter() - started
        return _failed(step, run, user_error, attempt, duration, log)
    duration = time.perf_counter() - started
    for record in materializations:
        store.record_materialization(record)
    store.add_step_event(
        StepEvent(
            run.run_id,
            step.key,
            StepEventType.SUCCEEDED,
            attempt=attempt,
            duration=duration,
            logs=log.captured(),
            partition_key=run.partition_key,
        )
    )
    return StepOutcome(
        step.key,
        StepStatus.SUCCESS,
        attempt=attempt,
        duration=duration,
        materializations=materializations,
        values=values,
        logs=log.captured(),
    )


def _user_facing(resource: Any) -> Any:
    getter = getattr(resource, "get_resource", None)
    return getter() if callable(getter) else resource


def _failed(
    step: PlanStep, run: RunContext, user_error: Exception, attempt: int, duration: float, log: StepLog
) -> StepOutcome:
    policy = step.node.retry_policy
    will_retry = policy is not None and attempt <= policy.max_retries
    wrapped = StepExecutionError(
        f"{step.label} failed: {type(user_error).__name__}: {user_error}", step_key=step.key
    )
    wrapped.__cause__ = user_error
    error = StepError(
        error_type=type(user_error).__name__,
        message=str(user_error),
        traceback="".join(traceback.format_exception(user_error))[-8000:],
    )
    run.store.add_step_event(
        StepEvent(
            run.run_id,
            step.key,
            StepEventType.RETRIED if will_retry else StepEventType.FAILED,
            attempt=attempt,
            duration=duration,
            error=error,
            logs=log.captured(),
            partition_key=run.partition_key,
        )
    )
    if not will_retry:
        for partition in _run_partition_keys(step, run):
            for key in step.asset_keys:
                run.store.set_partition_status(key, partition, PartitionStatus.FAILED, run.run_id)
    return StepOutcome(
        step.key,
        StepStatus.FAILURE,
        attempt=attempt,
        duration=duration,
        error=error,
        exception=wrapped,
        will_retry=will_retry,
        logs=log.captured(),
    )


# -- inputs ------------------------------------------------------------------------------


def _arguments(step: PlanStep, run: RunContext, context: AssetExecutionContext) -> dict[str, Any]:
    roles = step.node.roles
    kwargs: dict[str, Any] = {}
    if roles.context:
        kwargs[roles.context] = context
    if roles.config:
        kwargs[roles.config] = run.node_configs[step.key]
    for param, resource_key in roles.resources.items():
        kwargs[param] = _user_facing(run.resources[resource_key])
    for source in step.inputs:
        kwargs[source.name] = _load_input(step, run, source, context)
    return kwargs


def _load_input(
    step: PlanStep, run: RunContext, source: StepInputSource, context: AssetExecutionContext
) -> Any:
    manager = _io_manager(run, source.input_manager_key or source.io_manager_key, step)
    upstream_keys = _upstream_partition_keys(step, run, source)
    upstream = OutputContext(
        name=source.upstream_output,
        step_key=source.upstream_step or (source.asset_key.to_python_identifier() if source.asset_key else ""),
        run_id=run.run_id,
        asset_key=source.asset_key,
        partition_key=upstream_keys[0] if len(upstream_keys) == 1 else None,
        definition_metadata=source.upstream_metadata,
        resources=context.resources,
        log=context.log,
    )
    input_context = InputContext(
        name=source.name,
        upstream_output=upstream,
        asset_key=source.asset_key,
        partition_key=run.partition_key,
        asset_partition_keys=upstream_keys,
        asset_partitions_def=source.upstream_partitions_def,
        definition_metadata=source.metadata,
        resources=context.resources,
        log=context.log,
    )
    return manager.load_input(input_context)


def _upstream_partition_keys(step: PlanStep, run: RunContext, source: StepInputSource) -> list[str]:
    upstream_def = source.upstream_partitions_def
    if upstream_def is None:
        return []
    from aloft.execution.partition_inputs import upstream_partition_keys

    return upstream_partition_keys(
        mapping=source.partition_mapping,
        downstream_partitions_def=step.partitions_def,
        upstream_partitions_def=upstream_def,
        downstream_partition_key=run.partition_key,
        downstream_partition_key_range=run.partition_key_range,
        dynamic_partitions_store=run.dynamic_partitions_store,
    )


def _io_manager(run: RunContext, key: str, step: PlanStep) -> IOManager:
    manager = run.resources.get(key)
    if not isinstance(manager, IOManager):
        raise AloftError(
            f"{step.label}: resource '{key}' is not an I/O manager (got {type(manager).__name__}); "
            "subclass aloft.ConfigurableIOManager or aloft.IOManager"
        )
    return manager


# -- outputs -----------------------------------------------------------------------------


@dataclass
class _Produced:
    output: NodeOutput
    value: Any
    metadata: dict[str, MetadataValue]
    store_value: bool
    data_version: str | None = None


def _collect_outputs(step: PlanStep, returned: Any) -> list[_Produced]:
    outputs = step.node.outputs
    by_name = {o.name: o for o in outputs}
    by_key = {o.asset_key: o for o in outputs if o.asset_key is not None}
    items: list[Any]
    if inspect.isgenerator(returned) or isinstance(returned, Iterator):
        items = list(returned)
    elif len(outputs) > 1 and isinstance(returned, tuple):
        if len(returned) != len(outputs):
            raise AloftError(
                f"{step.label} returned {len(returned)} values for {len(outputs)} outputs "
                f"({', '.join(by_name)}); return one value per output, in order"
            )
        items = [Output(value, output_name=o.name) for value, o in zip(returned, outputs, strict=True)]
    else:
        items = [returned]
    produced: list[_Produced] = []
    for item in items:
        if isinstance(item, Output):
            output = by_name.get(item.output_name) or (outputs[0] if len(outputs) == 1 else None)
            if output is None:
                raise AloftError(f"{step.label} yielded Output for unknown output '{item.output_name}'")
            produced.append(
                _Produced(output, item.value, normalize_metadata(item.metadata), True, item.data_version)
            )
        elif isinstance(item, MaterializeResult):
            if item.asset_key is not None:
                output = by_key.get(item.asset_key)
                if output is None:
                    raise AloftError(
                        f"{step.label} returned MaterializeResult for '{item.asset_key.to_user_string()}', "
                        "which it does not define"
                    )
            elif len(outputs) == 1:
                output = outputs[0]
            else:
                raise AloftError(f"{step.label}: MaterializeResult needs asset_key= in a multi-asset")
            produced.append(
                _Produced(output, None, normalize_metadata(item.metadata), False, item.data_version)
            )
        elif len(outputs) == 1 and not produced:
            produced.append(_Produced(outputs[0], item, {}, item is not None))
        else:
            raise AloftError(
                f"{step.label} yielded {type(item).__name__}; yield Output(...) or MaterializeResult(...)"
            )
    missing = [o.name for o in outputs if o.is_required and o.name not in {p.output.name for p in produced}]
    if missing:
        raise AloftError(f"{step.label} did not produce required output(s) {missing}")
    return produced


def _store_outputs(
    step: PlanStep,
    run: RunContext,
    context: AssetExecutionContext,
    produced: list[_Produced],
    attempt: int,
) -> tuple[list[MaterializationRecord], dict[str, Any]]:
    records: list[MaterializationRecord] = []
    values: dict[str, Any] = {}
    for item in produced:
        output = item.output
        output_context = OutputContext(
            name=output.name,
            step_key=step.key,
            run_id=run.run_id,
            asset_key=output.asset_key,
            partition_key=run.partition_key if step.partitions_def is not None else None,
            definition_metadata=output.metadata,
            resources=context.resources,
            log=context.log,
        )
        if item.store_value:
            _io_manager(run, output.io_manager_key, step).handle_output(output_context, item.value)
            values[output.name] = item.value
        if output.asset_key is None:
            continue
        metadata = {
            **item.metadata,
            **context.output_metadata_for(output.name),
            **output_context.consume_logged_metadata(),
        }
        location = metadata.get("path")
        # A run over a partition key range (a single-run backfill) materializes every key in it.
        partitions: list[str | None] = [*_run_partition_keys(step, run)] or [None]
        for partition in partitions:
            records.append(
                MaterializationRecord(
                    asset_key=output.asset_key,
                    run_id=run.run_id,
                    step_key=step.key,
                    partition_key=partition,
                    metadata={label: value.to_json() for label, value in metadata.items()},
                    code_version=output.code_version,
                    data_version=item.data_version,
                    storage_location=str(location.value) if location is not None else None,
                    attempt=attempt,
                )
            )
    return records, values


def _run_partition_keys(step: PlanStep, run: RunContext) -> list[str]:
    """The partitions of ``step`` this run materializes: its key, the keys of its range, or none.

    An unpartitioned asset in a partitioned run (a dimension table beside a daily fact
    table) materializes as a whole: none.
    """
    if step.partitions_def is None:
        return []
    if run.partition_key is not None:
        return [run.partition_key]
    if run.partition_key_range is None:
        return []
    keys: list[str] = step.partitions_def.get_partition_keys_in_range(
        run.partition_key_range, dynamic_partitions_store=run.dynamic_partitions_store
    )
    return keys
