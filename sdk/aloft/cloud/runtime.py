"""``CloudRuntime``: what aloft's Lambda functions share inside one warm container.

A container loads the user's ``Definitions`` once (``ALOFT_DEFINITIONS``),
opens the state store once (``ALOFT_STATE``), creates AWS clients on first
use (never at import time) and caches each job's plan, validated config and
live resources. A run launched with its own config (``run.has_config`` in
the input) is read once per container (one GetItem of its run record), and
its validated config and resources are cached per (job, config) for the
few configs a container sees (:data:`MAX_CONFIGS_PER_CONTAINER`). The local cloud hands its own runtime to the handlers it
runs in-process with :func:`use_runtime`; on AWS, :func:`current_runtime`
builds one from the function's environment.

Example:
    >>> from aloft import Definitions, asset, define_asset_job
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> @asset
    ... def numbers() -> list[int]: return [1, 2]
    >>> runtime = CloudRuntime(
    ...     store=InMemoryStateStore(),
    ...     definitions=Definitions(assets=[numbers], jobs=[define_asset_job("nums", selection="*")]),
    ...     data_bucket="my-data",
    ... )
    >>> list(runtime.job("nums").plan.steps)
    ['numbers']
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aloft.cloud.exceptions import AloftMalformedEvent, CloudSetupError

if TYPE_CHECKING:
    from aloft.cloud.events import RunRef
    from aloft.definitions.definitions import Definitions
    from aloft.execution.plan import ExecutionPlan, PlanStep
    from aloft.execution.step import RunContext
    from aloft.storage.base import StateStore

__all__ = [
    "ENV_DATA_BUCKET",
    "ENV_DATA_PREFIX",
    "ENV_DEFINITIONS",
    "ENV_STATE",
    "MAX_CONFIGS_PER_CONTAINER",
    "CloudRuntime",
    "CloudSettings",
    "JobRuntime",
    "current_runtime",
    "use_runtime",
]

ENV_DEFINITIONS = "ALOFT_DEFINITIONS"
ENV_STATE = "ALOFT_STATE"
ENV_DATA_BUCKET = "ALOFT_DATA_BUCKET"
ENV_DATA_PREFIX = "ALOFT_DATA_PREFIX"

ClientFactory = Callable[[str], Any]

# Live resources per distinct run config, and run configs per run id, kept by a warm container.
MAX_CONFIGS_PER_CONTAINER = 8
_MAX_RUNS_REMEMBERED = 128


@dataclass(frozen=True)
class CloudSettings:
    """A function's configuration, read from its environment (the deployment's contract).

    Example:
        >>> CloudSettings.from_environment({"ALOFT_STATE": "memory:", "ALOFT_DATA_BUCKET": "b"}).data_prefix
        'aloft'
    """

    state_url: str
    definitions: str | None = None
    data_bucket: str | None = None
    data_prefix: str = "aloft"
    region: str | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> CloudSettings:
        """Read ``ALOFT_*`` (and ``AWS_REGION``) from ``env`` (default: ``os.environ``)."""
        env = os.environ if env is None else env
        state = env.get(ENV_STATE)
        if not state:
            raise CloudSetupError(
                f"{ENV_STATE} is not set: the functions need the state store URL (dynamodb://TABLE)"
            )
        return cls(
            state_url=state,
            definitions=env.get(ENV_DEFINITIONS) or None,
            data_bucket=env.get(ENV_DATA_BUCKET) or None,
            data_prefix=env.get(ENV_DATA_PREFIX) or "aloft",
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        )


def _boto3_factory(region: str | None) -> ClientFactory:
    def make(service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=region)  # type: ignore[call-overload]

    return make


@dataclass
class JobRuntime:
    """One job, ready to run steps: its plan, config and live resources (cached per container)."""

    plan: ExecutionPlan
    resources: Mapping[str, Any]
    node_configs: Mapping[str, Any]
    children: Mapping[str, tuple[str, ...]]

    def step(self, key: str) -> PlanStep:
        """The step ``key``; an unknown key is a malformed event (the deployment is out of date)."""
        step = self.plan.steps.get(key)
        if step is None:
            raise AloftMalformedEvent(
                f"job '{self.plan.job_name}' has no step '{key}': the deployed state machine and the "
                "deployed code disagree; redeploy the project"
            )
        return step

    def run_context(self, run_id: str, partition_key: str | None, store: StateStore) -> RunContext:
        """The context THE step runner needs for one step of run ``run_id``."""
        from aloft.execution.step import RunContext

        return RunContext(
            run_id=run_id,
            job_name=self.plan.job_name,
            store=store,
            resources=self.resources,
            node_configs=self.node_configs,
            partition_key=partition_key,
            dynamic_partitions_store=store,
        )

    @contextlib.contextmanager
    def resources_set_up(self, step: PlanStep, context: RunContext) -> Iterator[None]:
        """Set up the configurable resources ``step`` uses around its execution."""
        from aloft.definitions.resources import ConfigurableResource

        keys = set(step.node.resource_keys) | {o.io_manager_key for o in step.node.outputs}
        keys |= {s.input_manager_key or s.io_manager_key for s in step.inputs}
        started: list[ConfigurableResource] = []
        try:
            for key in sorted(keys):
                value = self.resources.get(key)
                if isinstance(value, ConfigurableResource):
                    value.setup_for_execution(context)
                    started.append(value)
            yield
        finally:
            for value in reversed(started):
                value.teardown_after_execution(context)


@dataclass
class CloudRuntime:
    """The store, the clients and the user's definitions, shared by the invocations of a container.

    ``definitions`` may be a loader (called once, on first use) so that a
    function that never needs user code (the gate) never imports it.
    ``clients`` makes AWS clients by service name (``boto3.client`` by default).
    """

    store: StateStore
    definitions: Definitions | Callable[[], Definitions] | None = None
    data_bucket: str | None = None
    data_prefix: str = "aloft"
    clients: ClientFactory | None = None
    region: str | None = None
    _jobs: dict[str, JobRuntime] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _plans: dict[str, tuple[ExecutionPlan, Mapping[str, tuple[str, ...]]]] = field(
        default_factory=dict, init=False, repr=False
    )
    _configured: OrderedDict[tuple[str, str], JobRuntime] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    _run_configs: OrderedDict[str, dict[str, Any]] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    #: Run records this container read for their config (a figure for tests and metrics).
    run_config_reads: int = field(default=0, init=False)

    @classmethod
    def from_settings(
        cls, settings: CloudSettings, *, clients: ClientFactory | None = None
    ) -> CloudRuntime:
        """A runtime for a deployed function."""
        from aloft.storage.url import open_store

        reference = settings.definitions

        def load() -> Definitions:
            if not reference:
                raise CloudSetupError(
                    f"{ENV_DEFINITIONS} is not set: name the Definitions as module[:attribute]"
                )
            from aloft.cli.loading import load_definitions

            return load_definitions(module=reference)

        return cls(
            store=open_store(settings.state_url),
            definitions=load,
            data_bucket=settings.data_bucket,
            data_prefix=settings.data_prefix,
            clients=clients,
            region=settings.region,
        )

    # -- clients ---------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """The AWS client of ``service`` (created once)."""
        with self._lock:
            if service not in self._clients:
                factory = self.clients or _boto3_factory(self.region)
                self._clients[service] = factory(service)
            return self._clients[service]

    @property
    def sfn(self) -> Any:
        """The Step Functions client (task tokens, executions)."""
        return self.client("stepfunctions")

    # -- user code ---------------------------------------------------------------------------
    @cached_property
    def loaded_definitions(self) -> Definitions:
        """The user's Definitions (loaded on first use)."""
        from aloft.definitions.definitions import Definitions

        value = self.definitions
        if value is None:
            raise CloudSetupError(f"no Definitions: set {ENV_DEFINITIONS} to module[:attribute]")
        return value if isinstance(value, Definitions) else value()

    def default_resources(self) -> dict[str, Any]:
        """Resources the cloud provides unless the project defines them: pickles in the data bucket."""
        if self.data_bucket is None:
            return {}
        from aloft.io.s3 import S3PickleIOManager

        io_manager = S3PickleIOManager(s3_bucket=self.data_bucket, s3_prefix=self.data_prefix)
        return {"io_manager": io_manager.with_client(self.client("s3"))}

    def plan(self, job_name: str) -> ExecutionPlan:
        """The plan of ``job_name`` (config-independent; built once per container)."""
        return self._plan(job_name)[0]

    def _plan(self, job_name: str) -> tuple[ExecutionPlan, Mapping[str, tuple[str, ...]]]:
        with self._lock:
            cached = self._plans.get(job_name)
        if cached is not None:
            return cached
        from aloft.cloud.run_config import job_plan
        from aloft.errors import DefinitionError

        try:
            plan = job_plan(self.loaded_definitions, job_name)
        except DefinitionError as err:
            raise AloftMalformedEvent(
                f"{err} (the deployed state machine and code disagree; redeploy)"
            ) from None
        children = {key: tuple(sorted(kids)) for key, kids in plan.downstream_of().items()}
        with self._lock:
            return self._plans.setdefault(job_name, (plan, children))

    def job_outline(self, job_name: str) -> JobRuntime:
        """The job's steps and edges without config or resources: enough to record and propagate
        a crash, even one caused by building the config or the resources."""
        plan, children = self._plan(job_name)
        return JobRuntime(plan=plan, resources={}, node_configs={}, children=children)

    def job(self, job_name: str, run_config: Mapping[str, Any] | None = None) -> JobRuntime:
        """The job's plan, validated config and live resources (built once per container).

        ``run_config`` (a run's own config, stored form) replaces the job's
        config, as in process; each distinct config is built once and the
        last :data:`MAX_CONFIGS_PER_CONTAINER` are kept.
        """
        if not run_config:
            with self._lock:
                cached = self._jobs.get(job_name)
            if cached is not None:
                return cached
            built = self._build_job(job_name, None)
            with self._lock:
                return self._jobs.setdefault(job_name, built)
        from aloft.cloud.run_config import config_fingerprint

        key = (job_name, config_fingerprint(run_config))
        with self._lock:
            found = self._configured.get(key)
            if found is not None:
                self._configured.move_to_end(key)
                return found
        built = self._build_job(job_name, run_config)
        with self._lock:
            built = self._configured.setdefault(key, built)
            while len(self._configured) > MAX_CONFIGS_PER_CONTAINER:
                self._configured.popitem(last=False)
            return built

    def job_for_run(self, job_name: str, run: RunRef) -> JobRuntime:
        """The job as run ``run`` needs it: with the run's own config when it has one."""
        if not run.has_config:
            return self.job(job_name)
        return self.job(job_name, self.run_config(run.run_id))

    def run_config(self, run_id: str) -> dict[str, Any]:
        """The config stored with run ``run_id`` (read once per container: runs never change it)."""
        with self._lock:
            found = self._run_configs.get(run_id)
            if found is not None:
                self._run_configs.move_to_end(run_id)
                return found
        record = self.store.get_run(run_id)
        if record is None:
            raise AloftMalformedEvent(
                f"run '{run_id}' says it has its own config, but the state store has no such run"
            )
        config = dict(record.run_config)
        with self._lock:
            self.run_config_reads += 1
            self._run_configs[run_id] = config
            while len(self._run_configs) > _MAX_RUNS_REMEMBERED:
                self._run_configs.popitem(last=False)
        return config

    def _build_job(self, job_name: str, own_config: Mapping[str, Any] | None) -> JobRuntime:
        from aloft.cloud.run_config import with_env_vars
        from aloft.execution.run import prepare_resources, validate_run_config

        plan, children = self._plan(job_name)
        definitions = self.loaded_definitions
        # As in process: a run's own config replaces the job's, it is not merged into it.
        run_config = with_env_vars(own_config) if own_config else dict(definitions.get_job_def(job_name).config)
        resources = {**self.default_resources(), **definitions.resources}
        if "io_manager" not in resources:
            raise CloudSetupError(
                f"job '{job_name}' needs an io_manager: set {ENV_DATA_BUCKET} (aloft then pickles outputs "
                "to S3) or define the io_manager resource"
            )
        return JobRuntime(
            plan=plan,
            resources=prepare_resources(plan, resources, run_config),
            node_configs=validate_run_config(plan, run_config),
            children=children,
        )


_current: ContextVar[CloudRuntime | None] = ContextVar("aloft_cloud_runtime", default=None)
_container_lock = threading.Lock()
_container: CloudRuntime | None = None


def current_runtime() -> CloudRuntime:
    """The runtime of this invocation: the local cloud's, or one built from the environment once."""
    override = _current.get()
    if override is not None:
        return override
    global _container
    with _container_lock:
        if _container is None:
            _container = CloudRuntime.from_settings(CloudSettings.from_environment())
        return _container


@contextlib.contextmanager
def use_runtime(runtime: CloudRuntime) -> Iterator[CloudRuntime]:
    """Make ``runtime`` the current one in this thread (the local cloud's in-process invocations)."""
    token = _current.set(runtime)
    try:
        yield runtime
    finally:
        _current.reset(token)
