"""``CloudRuntime``: what aloft's Lambda functions share inside one warm container.

A container loads the user's ``Definitions`` once (``ALOFT_DEFINITIONS``),
opens the state store once (``ALOFT_STATE``), creates AWS clients on first
use (never at import time) and caches each job's plan, validated config and
live resources. The local cloud hands its own runtime to the handlers it
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
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aloft.cloud.exceptions import AloftMalformedEvent, CloudSetupError

if TYPE_CHECKING:
    from aloft.definitions.definitions import Definitions
    from aloft.execution.plan import ExecutionPlan, PlanStep
    from aloft.execution.step import RunContext
    from aloft.storage.base import StateStore

__all__ = [
    "ENV_DATA_BUCKET",
    "ENV_DATA_PREFIX",
    "ENV_DEFINITIONS",
    "ENV_STATE",
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

    def job(self, job_name: str) -> JobRuntime:
        """The job's plan, validated config and live resources (built once per container)."""
        with self._lock:
            cached = self._jobs.get(job_name)
        if cached is not None:
            return cached
        built = self._build_job(job_name)
        with self._lock:
            return self._jobs.setdefault(job_name, built)

    def _build_job(self, job_name: str) -> JobRuntime:
        from aloft.definitions.jobs import AssetJobDefinition
        from aloft.errors import DefinitionError
        from aloft.execution.plan import build_asset_plan
        from aloft.execution.run import prepare_resources, validate_run_config

        definitions = self.loaded_definitions
        try:
            job = definitions.get_job_def(job_name)
        except DefinitionError as err:
            raise AloftMalformedEvent(
                f"{err} (the deployed state machine and code disagree; redeploy)"
            ) from None
        if not isinstance(job, AssetJobDefinition):
            raise AloftMalformedEvent(
                f"job '{job_name}' is an op job; only asset jobs are compiled"
            )
        plan = build_asset_plan(
            definitions.get_asset_graph(), definitions.resolve_job_keys(job_name), job_name
        )
        run_config = dict(job.config)
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
            children={key: tuple(sorted(kids)) for key, kids in plan.downstream_of().items()},
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
