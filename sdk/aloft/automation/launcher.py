"""Launching the runs schedules, sensors and automation ask for.

A ``RunLauncher`` turns a ``LaunchRequest`` into a run: it reserves the run in
the state store, conditional on the run key (``StateStore.reserve_run``), so a
request made twice (a duplicated S3 event, a retried schedule tick) yields one
run; then it starts it. Two launchers:

- ``InProcessRunLauncher`` executes the run here with ``execute_run`` (the
  local daemon, ``aloft dev`` without the cloud, tests);
- ``CloudRunLauncher`` starts the job's compiled state machine through a
  ``start_execution`` callable (the compiler/cloud package provides it) with a
  deterministic execution name, so Step Functions itself deduplicates too.

Run ids are deterministic for keyed requests (a UUID5 of the run key), so every
layer agrees on the identity of "the run for this event".

Example:
    >>> from aloft.storage.records import RunTrigger
    >>> request = LaunchRequest.build(job_name="ingest", origin="sensor:drops", run_key="drops/a.csv/e/1",
    ...                               trigger=RunTrigger.SENSOR)
    >>> request.run_key, len(request.run_id)
    ('sensor:drops:drops/a.csv/e/1', 36)
    >>> request.run_id == LaunchRequest.build(job_name="ingest", origin="sensor:drops",
    ...                                       run_key="drops/a.csv/e/1", trigger=RunTrigger.SENSOR).run_id
    True
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from aloft.automation.background import BackgroundRuns
from aloft.definitions.asset_key import AssetKey
from aloft.definitions.definitions import Definitions
from aloft.errors import AloftError, DefinitionError
from aloft.storage.base import InvalidRunTransition, StateStore
from aloft.storage.records import RunRecord, RunStatus, RunTrigger, new_run_id

__all__ = [
    "CloudRunLauncher",
    "InProcessRunLauncher",
    "LaunchRequest",
    "LaunchResult",
    "RunLauncher",
    "StartExecution",
]

_log = logging.getLogger("aloft.automation.launcher")
_RUN_ID_NAMESPACE = uuid.UUID("6f0b8a4e-5d0c-4c6e-9d55-7a1f0c2b9e31")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")

TAG_RUN_KEY = "aloft/run_key"
TAG_ORIGIN = "aloft/origin"
TAG_PARTITION = "aloft/partition"


def _run_id_for(run_key: str | None) -> str:
    return str(uuid.uuid5(_RUN_ID_NAMESPACE, run_key)) if run_key is not None else new_run_id()


@dataclass(frozen=True)
class LaunchRequest:
    """One run to start, fully resolved: job, run key, config, tags, partition, trigger.

    ``run_key`` is already scoped to its origin (``sensor:<name>:<key>``);
    ``execution_name`` is the Step Functions execution name (legal, <= 80 chars).
    """

    run_id: str
    job_name: str
    origin: str
    trigger: RunTrigger
    execution_name: str
    run_key: str | None = None
    run_config: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    partition_key: str | None = None
    asset_selection: tuple[AssetKey, ...] | None = None

    @staticmethod
    def build(
        *,
        job_name: str,
        origin: str,
        trigger: RunTrigger,
        run_key: str | None = None,
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        partition_key: str | None = None,
        asset_selection: tuple[AssetKey, ...] | None = None,
        execution_name: str | None = None,
    ) -> LaunchRequest:
        """A request whose run key is scoped to ``origin`` and whose run id derives from it."""
        scoped = None if run_key is None else f"{origin}:{run_key}"
        run_id = _run_id_for(scoped)
        if execution_name is None:
            execution_name = f"{_UNSAFE.sub('-', origin)[:43]}-{run_id}"
        all_tags = {TAG_ORIGIN: origin, **dict(tags or {})}
        if scoped is not None:
            all_tags[TAG_RUN_KEY] = scoped
        if partition_key is not None:
            all_tags[TAG_PARTITION] = partition_key
        return LaunchRequest(
            run_id=run_id,
            job_name=job_name,
            origin=origin,
            trigger=trigger,
            execution_name=execution_name,
            run_key=scoped,
            run_config=dict(run_config or {}),
            tags=all_tags,
            partition_key=partition_key,
            asset_selection=asset_selection,
        )

    def to_run_record(self, selection: tuple[str, ...] = ()) -> RunRecord:
        """The QUEUED run record that reserves this request's run key."""
        return RunRecord(
            run_id=self.run_id,
            job_name=self.job_name,
            selection=selection,
            partition_key=self.partition_key,
            trigger=self.trigger,
            run_key=self.run_key,
            tags=dict(self.tags),
            run_config=dict(self.run_config),
        )


@dataclass(frozen=True)
class LaunchResult:
    """What a launch did: the run, and whether it is new (False: its run key was already used)."""

    run: RunRecord
    created: bool

    @property
    def deduplicated(self) -> bool:
        """Whether the request collapsed onto an existing run."""
        return not self.created


class RunLauncher(Protocol):
    """Starts runs; implementations reserve the run key first (one run per key)."""

    def launch(self, request: LaunchRequest) -> LaunchResult:
        """Reserve and start the run of ``request`` (or return the run already holding its key)."""
        ...


# -- in process ---------------------------------------------------------------------------------


class InProcessRunLauncher:
    """Executes requested runs in this process (``execute_run``), after reserving their run keys.

    Pass an ``executor`` (e.g. a ``ThreadPoolExecutor``) to run in the background;
    by default a launch returns when the run has finished. ``on_run_finished`` is
    called with each finished run (the daemon evaluates eager automation there).

    Example:
        >>> from aloft import Definitions, asset, define_asset_job
        >>> from aloft.io.memory import InMemoryIOManager
        >>> from aloft.storage.memory import InMemoryStateStore
        >>> @asset
        ... def greeting() -> str:
        ...     return "hi"
        >>> defs = Definitions(assets=[greeting], jobs=[define_asset_job("greet")],
        ...                    resources={"io_manager": InMemoryIOManager()})
        >>> store = InMemoryStateStore()
        >>> launcher = InProcessRunLauncher(defs, store)
        >>> request = LaunchRequest.build(job_name="greet", origin="sensor:s", run_key="k", trigger=RunTrigger.SENSOR)
        >>> launcher.launch(request).run.status.value, launcher.launch(request).created
        ('SUCCESS', False)
    """

    def __init__(
        self,
        definitions: Definitions,
        store: StateStore,
        *,
        resources: Mapping[str, Any] | None = None,
        executor: Executor | None = None,
        on_run_finished: Callable[[RunRecord], None] | None = None,
    ) -> None:
        self.definitions = definitions
        self.store = store
        self.resources = dict(definitions.resources if resources is None else resources)
        self.executor = executor
        self.on_run_finished = on_run_finished
        self._runs = BackgroundRuns()  # only the runs in flight

    def _plan(self, request: LaunchRequest) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        from aloft.definitions.jobs import AssetJobDefinition
        from aloft.execution.plan import build_asset_plan
        from aloft.execution.run import validate_run_config

        defs = self.definitions
        resources = dict(self.resources)
        if request.asset_selection is not None:
            graph = defs.get_asset_graph()
            unknown = [k for k in request.asset_selection if not graph.has(k)]
            if unknown:
                name = unknown[0].to_user_string()
                raise DefinitionError(
                    f"{request.origin} asked for asset '{name}', which is not defined"
                    + _suggest(name, (k.to_user_string() for k in graph.all_keys))
                )
            plan = build_asset_plan(graph, request.asset_selection, request.job_name)
            config: dict[str, Any] = {}
        else:
            job = defs.get_job_def(request.job_name)
            if isinstance(job, AssetJobDefinition):
                plan = build_asset_plan(defs.get_asset_graph(), defs.resolve_job_keys(job.name), job.name)
            else:
                plan = job.plan
                resources.update(job.resource_defs)
            config = dict(job.config)
        run_config = dict(request.run_config) or config
        validate_run_config(plan, run_config)
        self._validate_partition(plan, request)
        return plan, run_config, resources

    def _validate_partition(self, plan: Any, request: LaunchRequest) -> None:
        partitioned = [s for s in plan.steps.values() if s.partitions_def is not None]
        if request.partition_key is None:
            return
        if not partitioned:
            raise DefinitionError(
                f"{request.origin} asked for partition {request.partition_key!r} of job "
                f"'{request.job_name}', but none of its assets is partitioned"
            )
        for step in partitioned:
            step.partitions_def.validate_partition_key(
                request.partition_key, asset_name=step.label.split("'")[1], dynamic_partitions_store=self.store
            )

    def launch(self, request: LaunchRequest) -> LaunchResult:
        plan, run_config, resources = self._plan(request)
        selection = tuple(k.to_user_string() for k in plan.asset_keys) or tuple(plan.steps)
        run, created = self.store.reserve_run(request.to_run_record(selection))
        if not created:
            return LaunchResult(run, created=False)
        if self.executor is None:
            return LaunchResult(self._execute(plan, run, run_config, resources, request), created=True)
        self._runs.track(self.executor.submit(self._execute, plan, run, run_config, resources, request))
        return LaunchResult(run, created=True)

    def _execute(
        self, plan: Any, run: RunRecord, run_config: dict[str, Any], resources: dict[str, Any], request: LaunchRequest
    ) -> RunRecord:
        from aloft.execution.run import execute_run

        try:
            result = execute_run(
                plan,
                resources=resources,
                store=self.store,
                run_config=run_config,
                partition_key=request.partition_key,
                tags=dict(request.tags),
                run_id=run.run_id,
                run_key=run.run_key,
                trigger=request.trigger,
                raise_on_error=False,
            )
            finished = result.run
        except AloftError as err:
            # Failed before any step ran (a resource or environment variable): the run
            # key stays used, and the run says why it never started.
            _log.error("run %s of %s could not start: %s", run.run_id, request.job_name, err)
            finished = self.store.update_run_status(run.run_id, RunStatus.FAILURE)
        if self.on_run_finished is not None:
            self.on_run_finished(finished)
        return finished

    @property
    def pending(self) -> int:
        """Background runs not finished yet."""
        return self._runs.pending

    def wait(self) -> list[RunRecord]:
        """Wait for every background run still in flight (see :meth:`BackgroundRuns.wait`)."""
        return self._runs.wait()


def _suggest(name: str, candidates: Any) -> str:
    from aloft.errors import did_you_mean

    return did_you_mean(name, list(candidates))


# -- cloud -------------------------------------------------------------------------------------


class StartExecution(Protocol):
    """Starts the compiled state machine of a run; returns the execution ARN.

    Must be idempotent for one ``request.execution_name`` (Step Functions
    Standard workflows are: same name, same input -> the same execution).
    """

    def __call__(self, request: LaunchRequest, run: RunRecord) -> str:
        """Start ``run`` (already reserved) and return its execution ARN."""
        ...


class CloudRunLauncher:
    """Reserves the run in the state store, then starts its state machine with a deterministic name.

    A request's ``run_config`` replaces the job's config for that run: it is
    checked against the job (with ``definitions``; else only its size) before
    the run is reserved, stored in the run record, and read there by the
    run's steps (``aloft.cloud.run_config``).

    A retried launch whose run is reserved but not started yet (no execution ARN:
    the previous attempt crashed in between) starts it again under the same
    execution name, so nothing is lost and nothing runs twice.

    Example:
        >>> from aloft.storage.memory import InMemoryStateStore
        >>> started = []
        >>> def start(request, run):
        ...     started.append(request.execution_name)
        ...     return f"arn:aws:states:eu-west-1:1:execution:{request.job_name}:{request.execution_name}"
        >>> launcher = CloudRunLauncher(InMemoryStateStore(), start)
        >>> request = LaunchRequest.build(job_name="ingest", origin="sensor:s", run_key="k", trigger=RunTrigger.SENSOR)
        >>> [launcher.launch(request).created for _ in range(3)], len(started)
        ([True, False, False], 1)
    """

    def __init__(
        self, store: StateStore, start_execution: StartExecution, *, definitions: Definitions | None = None
    ) -> None:
        self.store = store
        self.start_execution = start_execution
        self.definitions = definitions

    def launch(self, request: LaunchRequest) -> LaunchResult:
        if request.run_config:
            # The run record keeps the config (never the execution input); each step reads it there.
            request = replace(request, run_config=self._checked_config(request))
        selection = tuple(k.to_user_string() for k in request.asset_selection or ())
        run, created = self.store.reserve_run(request.to_run_record(selection))
        if not created and (run.execution_arn is not None or run.status != RunStatus.QUEUED):
            return LaunchResult(run, created=False)
        arn = self.start_execution(replace(request, run_id=run.run_id), run)
        try:
            run = self.store.update_run_status(run.run_id, RunStatus.QUEUED, execution_arn=arn)
        except InvalidRunTransition:  # the execution already moved the run on
            run = self.store.get_run(run.run_id) or run
        return LaunchResult(run, created=created)

    def _checked_config(self, request: LaunchRequest) -> dict[str, Any]:
        from aloft.storage.limits import check_run_config_size

        if self.definitions is None:
            return check_run_config_size(request.run_config)
        from aloft.cloud.run_config import check_cloud_run_config

        return check_cloud_run_config(self.definitions, request.job_name, request.run_config)
