"""Launching runs on Step Functions: record the run, reserve its run key, start a named execution.

:class:`CloudLauncher` writes the run record first (``reserve_run``: a run
key is taken at most once, so a duplicated trigger collapses onto the run
that holds it), then calls ``StartExecution`` with a deterministic name
(the run id), so Step Functions deduplicates a retried start as well.

The execution input carries ids only: the run id, the partition key and
the steps this run does not select (``aloft.compiler.contract``). A run's
own config (``launch(..., run_config=...)``) is checked against the job
before anything is written, kept in the run record, and only flagged in
the input (``run.has_config``); see ``aloft.cloud.run_config``.

:class:`StepFunctionsStarter` is the start half alone, shaped as the
``StartExecution`` callable of ``aloft.automation``'s ``CloudRunLauncher``.

Example:
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> class Sfn:
    ...     def start_execution(self, **kwargs):
    ...         self.started = kwargs
    ...         return {"executionArn": "arn:aws:states:us-east-1:1:execution:aloft-daily:" + kwargs["name"]}
    >>> sfn = Sfn()
    >>> deployment = JobDeployment("daily", "arn:aws:states:us-east-1:1:stateMachine:aloft-daily",
    ...                            steps=("orders", "revenue"), asset_steps={"orders": "orders", "revenue": "revenue"})
    >>> launcher = CloudLauncher(InMemoryStateStore(), sfn, {"daily": deployment})
    >>> run = launcher.launch("daily", selection=["revenue"], run_key="2026-03-01")
    >>> run.selection, sfn.started["name"] == run.run_id, json.loads(sfn.started["input"])["run"]["skip"]
    (('revenue',), True, {'orders': True})
    >>> launcher.launch("daily", selection=["revenue"], run_key="2026-03-01").run_id == run.run_id
    True
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from aloft.cloud.exceptions import CloudError
from aloft.cloud.executions import start_execution_once
from aloft.compiler import contract
from aloft.errors import DefinitionError, did_you_mean
from aloft.storage.base import InvalidRunTransition, StateStore
from aloft.storage.records import RunRecord, RunStatus, RunTrigger, StepEventType, new_run_id

if TYPE_CHECKING:
    from aloft.compiler.compile import CompiledJob
    from aloft.definitions.definitions import Definitions

__all__ = ["CloudLauncher", "JobDeployment", "StepFunctionsStarter", "run_id_for_key"]

_RUN_KEY_NAMESPACE = uuid.UUID("0d7c8e2a-3f41-4f5e-9a63-1b2f9a7d6c15")
TAG_PARENT_RUN = "aloft/parent_run_id"
TAG_REEXECUTION = "aloft/reexecution"


def run_id_for_key(job_name: str, run_key: str) -> str:
    """The run id of a keyed run: the same key always names the same run.

    Example:
        >>> run_id_for_key("daily", "2026-03-01") == run_id_for_key("daily", "2026-03-01")
        True
    """
    return str(uuid.uuid5(_RUN_KEY_NAMESPACE, f"{job_name}\n{run_key}"))


@dataclass(frozen=True)
class JobDeployment:
    """A deployed job: its entry state machine and its steps (from the compiled manifest)."""

    job_name: str
    state_machine_arn: str
    steps: tuple[str, ...]
    asset_steps: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_compiled(cls, compiled: CompiledJob, state_machine_arn: str) -> JobDeployment:
        """Build from the compiler's output and the ARN the entry machine got at deploy time."""
        steps = compiled.manifest["steps"]
        asset_steps = {asset: key for key, info in steps.items() for asset in info["assets"]}
        return cls(compiled.job_name, state_machine_arn, tuple(steps), asset_steps)

    def step_keys(self, selection: Iterable[str]) -> list[str]:
        """Steps of a selection given as asset keys (``a/b``) or step keys; unknown names are errors."""
        keys: list[str] = []
        for name in selection:
            key = self.asset_steps.get(name, name if name in self.steps else None)
            if key is None:
                raise DefinitionError(
                    f"job '{self.job_name}' has no asset or step '{name}'."
                    + did_you_mean(name, [*self.asset_steps, *self.steps])
                )
            if key not in keys:
                keys.append(key)
        return keys

    def assets_of(self, step_keys: Iterable[str]) -> tuple[str, ...]:
        """The asset keys the given steps materialize (what a run record's selection lists)."""
        wanted = set(step_keys)
        return tuple(asset for asset, key in self.asset_steps.items() if key in wanted)

    def run_input(
        self,
        run_id: str,
        *,
        partition_key: str | None = None,
        selection: Iterable[str] | None = None,
        has_config: bool = False,
    ) -> dict[str, Any]:
        """The execution input of a run; ``selection`` None (or empty) selects the whole job."""
        chosen = set(self.step_keys(selection)) if selection else set(self.steps)
        document = contract.build_run_input(
            run_id,
            partition_key=partition_key,
            skip=[k for k in self.steps if k not in chosen],
            has_config=has_config,
        )
        size = len(json.dumps(document))
        if size > contract.MAX_INPUT_BYTES:
            raise CloudError(
                f"the run input of job '{self.job_name}' would be {size:,} bytes (limit "
                f"{contract.MAX_INPUT_BYTES:,}): the selection leaves out too many steps; select a "
                "smaller job or run the subset as its own job"
            )
        return document


class StartRequest(Protocol):
    """What :class:`StepFunctionsStarter` reads from a launch request."""

    job_name: str
    execution_name: str


class StepFunctionsStarter:
    """Starts the execution of a reserved run (idempotent for one execution name)."""

    def __init__(self, sfn: Any, deployments: Mapping[str, JobDeployment]) -> None:
        self.sfn = sfn
        self.deployments = deployments  # a live view: jobs may be deployed later

    def deployment(self, job_name: str) -> JobDeployment:
        """The deployment of a job, or a clear error."""
        found = self.deployments.get(job_name)
        if found is None:
            raise DefinitionError(
                f"job '{job_name}' is not deployed." + did_you_mean(job_name, self.deployments)
            )
        return found

    def start(self, run: RunRecord, execution_name: str) -> str:
        """Start ``run``'s execution named ``execution_name``; return its ARN."""
        deployment = self.deployment(run.job_name)
        document = deployment.run_input(
            run.run_id,
            partition_key=run.partition_key,
            selection=run.selection,
            has_config=bool(run.run_config),
        )
        # Started before (a retried launch)? The name identifies the execution.
        arn, _ = start_execution_once(self.sfn, deployment.state_machine_arn, execution_name, document)
        return arn

    def __call__(self, request: StartRequest, run: RunRecord) -> str:
        """``aloft.automation``'s ``StartExecution`` protocol."""
        return self.start(run, request.execution_name)


class CloudLauncher:
    """Records runs in the state store and starts their executions (see the module docstring).

    ``definitions`` (the deployed project) is what a run's own config is
    checked against; without them, runs with config are refused.
    """

    def __init__(
        self,
        store: StateStore,
        sfn: Any,
        deployments: Mapping[str, JobDeployment],
        *,
        definitions: Definitions | None = None,
    ) -> None:
        self.store = store
        self.starter = StepFunctionsStarter(sfn, deployments)
        self.definitions = definitions

    def check_run_config(self, job_name: str, run_config: Mapping[str, Any]) -> dict[str, Any]:
        """``run_config`` as the run record keeps it, checked against ``job_name`` (else RunConfigError)."""
        from aloft.cloud.run_config import check_cloud_run_config

        if self.definitions is None:
            raise CloudError(
                f"a run of '{job_name}' with run config needs the project's Definitions to check it; "
                "build the launcher with definitions="
            )
        return check_cloud_run_config(self.definitions, job_name, run_config)

    def launch(
        self,
        job_name: str,
        *,
        selection: Iterable[str] | None = None,
        partition_key: str | None = None,
        run_key: str | None = None,
        tags: Mapping[str, str] | None = None,
        trigger: RunTrigger = RunTrigger.MANUAL,
        parent_run_id: str | None = None,
        run_config: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """Reserve and start a run of ``job_name``; a run key already used returns its run.

        ``run_config`` replaces the job's config for this run; an invalid one
        raises ``RunConfigError`` (with its ``path``) before anything is written.
        """
        deployment = self.starter.deployment(job_name)
        chosen = deployment.step_keys(selection) if selection else []
        config = self.check_run_config(job_name, run_config) if run_config else {}
        record = RunRecord(
            run_id=run_id_for_key(job_name, run_key) if run_key else new_run_id(),
            job_name=job_name,
            selection=deployment.assets_of(chosen) if chosen else (),
            partition_key=partition_key,
            trigger=trigger,
            run_key=run_key,
            tags=dict(tags or {}),
            parent_run_id=parent_run_id,
            run_config=config,
        )
        deployment.run_input(
            record.run_id, partition_key=partition_key, selection=chosen, has_config=bool(config)
        )  # size check first
        run, created = self.store.reserve_run(record)
        if not created and (run.execution_arn is not None or run.status is not RunStatus.QUEUED):
            return run
        arn = self.starter.start(run, execution_name=run.run_id)
        try:
            return self.store.update_run_status(run.run_id, RunStatus.QUEUED, execution_arn=arn)
        except InvalidRunTransition:  # the execution already moved the run on
            return self.store.get_run(run.run_id) or run

    def remaining_steps(self, run_id: str) -> list[str]:
        """The steps of a run that did not succeed: failed, skipped, or never reached."""
        from aloft.cloud.progress import RunProgress

        parent = self.store.get_run(run_id)
        if parent is None:
            raise CloudError(f"no run '{run_id}'")
        deployment = self.starter.deployment(parent.job_name)
        selected = (
            deployment.step_keys(parent.selection) if parent.selection else list(deployment.steps)
        )
        progress = RunProgress.read(self.store, run_id)
        return [
            key for key in selected if progress.terminal.get(key) is not StepEventType.SUCCEEDED
        ]

    def reexecute_from_failure(
        self, run_id: str, *, tags: Mapping[str, str] | None = None
    ) -> RunRecord:
        """A new run of what run ``run_id`` left undone; the rest is loaded from storage."""
        parent = self.store.get_run(run_id)
        if parent is None:
            raise CloudError(f"no run '{run_id}'")
        if not parent.status.is_finished:
            raise CloudError(
                f"run '{run_id}' is {parent.status.value}; wait for it to finish before re-executing"
            )
        remaining = self.remaining_steps(run_id)
        if not remaining:
            raise CloudError(
                f"run '{run_id}' left nothing to re-execute: every selected step succeeded"
            )
        return self.launch(
            parent.job_name,
            selection=remaining,
            partition_key=parent.partition_key,
            tags={
                **parent.tags,
                **(tags or {}),
                TAG_PARENT_RUN: run_id,
                TAG_REEXECUTION: "from_failure",
            },
            trigger=parent.trigger,
            parent_run_id=run_id,
            run_config=parent.run_config,
        )
