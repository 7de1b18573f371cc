"""Running a plan in process: pre-flight checks, the run record, resources, the executor."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aloft.definitions.config import check_run_config_nodes, validate_node_config
from aloft.definitions.resources import ConfigurableResource, resolve_resource
from aloft.errors import AloftError, RunConfigError, did_you_mean
from aloft.execution.executor import execute_plan
from aloft.execution.plan import ExecutionPlan
from aloft.execution.result import ExecuteInProcessResult
from aloft.execution.step import RunContext, StepOutcome
from aloft.storage.base import DuplicateRunKey, RunAlreadyExists, StateStore
from aloft.storage.records import RunRecord, RunStatus, RunTrigger, new_run_id

__all__ = ["execute_run"]


def _resources_needed(plan: ExecutionPlan) -> set[str]:
    keys: set[str] = set()
    for step in plan.steps.values():
        keys |= step.node.resource_keys
        keys |= {o.io_manager_key for o in step.node.outputs}
        keys |= {s.input_manager_key or s.io_manager_key for s in step.inputs}
    return keys


def prepare_resources(
    plan: ExecutionPlan, resources: Mapping[str, Any], run_config: Mapping[str, Any]
) -> dict[str, Any]:
    """The run-time resources of a plan: EnvVars read, resource run config applied."""
    resource_config = run_config.get("resources", {}) or {}
    for key in resource_config:
        if key not in resources:
            raise RunConfigError(
                f"run config names resources.{key}, which is not a resource." + did_you_mean(key, resources),
                path=f"resources.{key}",
            )
    live: dict[str, Any] = {}
    for key in sorted(_resources_needed(plan)):
        if key not in resources:
            raise AloftError(f"resource '{key}' is needed by this run but not provided." + did_you_mean(key, resources))
        entry = resource_config.get(key, {}) or {}
        live[key] = resolve_resource(resources[key], entry.get("config") if isinstance(entry, Mapping) else None)
    return live


def validate_run_config(plan: ExecutionPlan, run_config: Mapping[str, Any]) -> dict[str, Any]:
    """Check run config against every step's schema before anything runs."""
    check_run_config_nodes(run_config, set(plan.steps))
    configs = {}
    for key, step in plan.steps.items():
        config_type = step.node.roles.config_type
        if config_type is not None:
            configs[key] = validate_node_config(config_type, key, run_config)
    return configs


def _claim_run(store: StateStore, record: RunRecord, *, adopt: bool) -> RunRecord:
    """Create the run record, reserve its run key, or adopt the caller's own reservation."""
    reserved = store.get_run(record.run_id) if adopt else None
    if reserved is not None:
        if reserved.status is RunStatus.QUEUED and reserved.started_at is None and reserved.run_key == record.run_key:
            return reserved
        raise RunAlreadyExists(f"a run with id '{record.run_id}' already exists ({reserved.status.value})")
    run, created = store.reserve_run(record)
    if not created:
        raise DuplicateRunKey(f"run key {record.run_key!r} is already taken by run '{run.run_id}'", existing=run)
    return run


def execute_run(
    plan: ExecutionPlan,
    *,
    resources: Mapping[str, Any],
    store: StateStore,
    run_config: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    partition_key_range: Any = None,
    tags: Mapping[str, str] | None = None,
    run_id: str | None = None,
    run_key: str | None = None,
    trigger: RunTrigger = RunTrigger.MANUAL,
    parent_run_id: str | None = None,
    raise_on_error: bool = True,
    on_outcome: Callable[[StepOutcome], None] | None = None,
    on_start: Callable[[str], None] | None = None,
) -> ExecuteInProcessResult:
    """Validate, record and execute a run in this process.

    Everything that can be checked before a step runs (run config, resources,
    environment variables) is checked first: a bad run leaves no record.

    ``run_key`` makes the run idempotent: the record is written with
    ``StateStore.reserve_run``, and a key another run holds raises
    ``DuplicateRunKey`` (its ``existing`` is that run) before anything runs. A
    caller that reserved the run itself (a launcher answering before the run
    executes) passes the reserved ``run_id``: a QUEUED run that never started is
    adopted instead of created.

    Example:
        >>> from aloft import Definitions, asset
        >>> from aloft.execution.plan import build_asset_plan
        >>> from aloft.io.memory import InMemoryIOManager
        >>> from aloft.storage.memory import InMemoryStateStore
        >>> @asset
        ... def one() -> int:
        ...     return 1
        >>> plan = build_asset_plan(Definitions(assets=[one]).get_asset_graph(), [one.key], "daily")
        >>> store, io = InMemoryStateStore(), {"io_manager": InMemoryIOManager()}
        >>> execute_run(plan, resources=io, store=store, run_key="2026-03-01").success
        True
        >>> execute_run(plan, resources=io, store=store, run_key="2026-03-01")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        aloft.storage.base.DuplicateRunKey: run key '2026-03-01' is already taken by run '...'
    """
    run_config = dict(run_config or {})
    node_configs = validate_run_config(plan, run_config)
    live = prepare_resources(plan, resources, run_config)
    execution = (run_config.get("execution", {}) or {}).get("config", {}) or {}
    run = _claim_run(
        store,
        RunRecord(
            run_id=run_id or new_run_id(),
            job_name=plan.job_name,
            selection=tuple(k.to_user_string() for k in plan.asset_keys) or tuple(plan.steps),
            partition_key=partition_key,
            partition_range=(partition_key_range.start, partition_key_range.end) if partition_key_range else None,
            trigger=trigger,
            run_key=run_key,
            tags=dict(tags or {}),
            parent_run_id=parent_run_id,
            run_config=run_config,
        ),
        adopt=run_id is not None,
    )
    store.update_run_status(run.run_id, RunStatus.STARTED)
    context = RunContext(
        run_id=run.run_id,
        job_name=plan.job_name,
        store=store,
        resources=live,
        node_configs=node_configs,
        partition_key=partition_key,
        partition_key_range=partition_key_range,
        tags=dict(tags or {}),
        dynamic_partitions_store=store,
    )
    started: list[ConfigurableResource] = []
    outcomes: dict[str, StepOutcome] = {}
    try:
        for value in live.values():
            if isinstance(value, ConfigurableResource):
                value.setup_for_execution(context)
                started.append(value)
        outcomes = execute_plan(
            plan,
            context,
            max_concurrent=execution.get("max_concurrent"),
            on_outcome=on_outcome,
            on_start=on_start,
        )
    finally:
        for value in reversed(started):
            value.teardown_after_execution(context)
        succeeded = (bool(outcomes) and all(o.succeeded for o in outcomes.values())) or not plan.steps
        run = store.update_run_status(run.run_id, RunStatus.SUCCESS if succeeded else RunStatus.FAILURE)
    result = ExecuteInProcessResult(run, outcomes, store)
    if raise_on_error and not result.success:
        failed = next(o for o in outcomes.values() if o.exception is not None)
        assert failed.exception is not None
        raise failed.exception
    return result
