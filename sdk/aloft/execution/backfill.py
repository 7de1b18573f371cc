"""``backfill``: materialize many partitions in this process, concurrently, recorded for resume.

A backfill runs the selected assets once per partition (or per chunk of
partitions, as their ``BackfillPolicy`` says) through the same ``execute_run``
as ``materialize``. Runs that read nothing of each other run at the same time;
a partition that reads other partitions of the backfill (a self-dependent asset
reading yesterday) starts only once those succeeded, and a failure skips the
partitions that depend on it. The backfill and the status of every requested
partition are kept in the state store: ``resume_backfill`` re-runs what failed
or never ran; ``cancel_backfill`` stops launching new runs.

Example:
    >>> from aloft import asset
    >>> from aloft.partitions import DailyPartitionsDefinition
    >>> @asset(partitions_def=DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-08"))
    ... def visits(context) -> str:
    ...     return context.partition_key
    >>> result = backfill([visits], partition_key_range=("2026-01-02", "2026-01-05"))
    >>> result.success, len(result.run_ids)
    (True, 4)
    >>> result.partition_statuses["2026-01-03"].value
    'MATERIALIZED'
"""

from __future__ import annotations

import contextlib
import heapq
import queue
import secrets
import shutil
import string
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from aloft.definitions.asset import AssetsDefinition, AssetSpec
from aloft.definitions.config import RunConfig
from aloft.definitions.definitions import Definitions
from aloft.definitions.jobs import AssetJobDefinition
from aloft.definitions.selection import AssetSelection, CoercibleToAssetSelection
from aloft.errors import AloftError, DefinitionError, did_you_mean
from aloft.execution.backfill_plan import (
    BACKFILL_TAG,
    BackfillPlan,
    BackfillUnit,
    backfill_outcome_status,
    order_partition_keys,
    partitions_to_resume,
    plan_backfill,
)
from aloft.execution.plan import ExecutionPlan, build_asset_plan
from aloft.partitions.base import PartitionKeyRange, PartitionsDefinition
from aloft.partitions.errors import PartitionKeyError
from aloft.storage.base import BackfillNotFound, StateStore
from aloft.storage.records import (
    BackfillRecord,
    BackfillStatus,
    PartitionStatus,
    RunTrigger,
    new_run_id,
)

__all__ = [
    "BACKFILL_TAG",
    "DEFAULT_BACKFILL_CONCURRENCY",
    "BackfillError",
    "BackfillPartitionStatus",
    "BackfillProgress",
    "BackfillResult",
    "NothingToBackfill",
    "backfill",
    "cancel_backfill",
    "default_backfill_storage",
    "find_backfill",
    "new_backfill_id",
    "resume_backfill",
]

ADHOC_JOB_NAME = "__ASSET_JOB"
# Runs of a backfill are mostly I/O-bound; more at once mostly adds contention for the GIL.
DEFAULT_BACKFILL_CONCURRENCY = 16
# How often a running backfill writes partition statuses and looks for a cancel from elsewhere:
# every 0.1 s, up to every second for 10,000 partitions (each write reads the record back).
_RECORD_INTERVAL = 0.1
_RECORD_INTERVAL_PER_PARTITION = 0.0001
_RECORD_INTERVAL_MAX = 1.0


class BackfillError(AloftError):
    """A backfill cannot be started, resumed or canceled as asked (the message says why and what to do).

    Example:
        >>> issubclass(NothingToBackfill, BackfillError)
        True
    """


class NothingToBackfill(BackfillError):
    """Every requested partition is already materialized (``missing_only``), or there are none."""


class BackfillPartitionStatus(str, Enum):
    """How one requested partition of a backfill ended.

    SKIPPED: a partition it reads failed, so it never ran. CANCELED: the backfill
    was canceled before it was launched.
    """

    MATERIALIZED = "MATERIALIZED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELED = "CANCELED"


@dataclass(frozen=True)
class BackfillProgress:
    """Where a running backfill stands; ``on_progress`` receives one after every change.

    Counts are of partitions. ``finished`` lists the partitions that ended since the
    previous report.

    Example:
        >>> BackfillProgress("b1", total=10, materialized=4, failed=1).done
        5
    """

    backfill_id: str
    total: int
    materialized: int = 0
    failed: int = 0
    skipped: int = 0
    canceled: int = 0
    in_progress: int = 0
    elapsed: float = 0.0
    finished: tuple[tuple[str, BackfillPartitionStatus], ...] = ()

    @property
    def done(self) -> int:
        """Partitions that ended, whatever the outcome."""
        return self.materialized + self.failed + self.skipped + self.canceled


@dataclass(frozen=True)
class BackfillResult:
    """What a backfill (or a resume) did.

    ``partition_statuses`` covers every requested partition (those materialized by an
    earlier attempt count as MATERIALIZED); ``partition_run_ids`` names the run that last
    ran each partition; ``run_ids`` lists the runs this call launched; ``errors`` holds the
    error of each failed partition.

    Example:
        >>> result = BackfillResult("b1", BackfillStatus.COMPLETED,
        ...     {"eu": BackfillPartitionStatus.MATERIALIZED}, {"eu": "r1"}, ("r1",))
        >>> result.success, result.failed_partitions
        (True, [])
    """

    backfill_id: str
    status: BackfillStatus
    partition_statuses: Mapping[str, BackfillPartitionStatus]
    partition_run_ids: Mapping[str, str] = field(default_factory=dict)
    run_ids: tuple[str, ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def success(self) -> bool:
        """Whether every requested partition is materialized."""
        return self.status is BackfillStatus.COMPLETED

    def _with(self, status: BackfillPartitionStatus) -> list[str]:
        return [key for key, value in self.partition_statuses.items() if value is status]

    @property
    def materialized_partitions(self) -> list[str]:
        """Partitions materialized (now or by an earlier attempt), in order."""
        return self._with(BackfillPartitionStatus.MATERIALIZED)

    @property
    def failed_partitions(self) -> list[str]:
        """Partitions whose run failed, in order."""
        return self._with(BackfillPartitionStatus.FAILED)

    @property
    def skipped_partitions(self) -> list[str]:
        """Partitions that never ran because a partition they read failed."""
        return self._with(BackfillPartitionStatus.SKIPPED)

    @property
    def canceled_partitions(self) -> list[str]:
        """Partitions not launched because the backfill was canceled."""
        return self._with(BackfillPartitionStatus.CANCELED)

    def __repr__(self) -> str:
        return (
            f"<BackfillResult {self.backfill_id} {self.status.value}: "
            f"{len(self.materialized_partitions)}/{len(self.partition_statuses)} materialized>"
        )


def new_backfill_id() -> str:
    """A fresh backfill id: eight lowercase letters, easy to type (Dagster's shape).

    Example:
        >>> backfill_id = new_backfill_id()
        >>> len(backfill_id), backfill_id.isalpha()
        (8, True)
    """
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


# -- public functions -------------------------------------------------------------------------


def backfill(
    assets_or_definitions: Definitions | Sequence[AssetsDefinition | AssetSpec],
    *,
    partition_keys: Sequence[str] | None = None,
    partition_key_range: PartitionKeyRange | tuple[str, str] | None = None,
    missing_only: bool = False,
    selection: CoercibleToAssetSelection = None,
    job: str | None = None,
    resources: Mapping[str, Any] | None = None,
    run_config: Mapping[str, Any] | RunConfig | None = None,
    instance: StateStore | None = None,
    max_concurrent: int | None = None,
    backfill_id: str | None = None,
    tags: Mapping[str, str] | None = None,
    on_progress: Callable[[BackfillProgress], None] | None = None,
) -> BackfillResult:
    """Materialize partitions of the selected assets concurrently, recorded as one backfill.

    Partitions: ``partition_keys``, or ``partition_key_range`` (inclusive), or every
    partition; ``missing_only`` keeps those not yet materialized for every selected
    asset. ``selection`` (or the asset ``job``) narrows the assets; all of them must be
    partitioned alike. Runs use the assets' ``BackfillPolicy`` (one partition per run by
    default) and at most ``max_concurrent`` run at once (default 16). ``instance`` keeps
    the backfill record (memory without it); without an ``io_manager`` resource, values
    are pickled to a temporary directory, as ``materialize`` does, named after the
    backfill so that ``resume_backfill`` finds them (:func:`default_backfill_storage`).

    Everything is checked before the backfill is recorded: a bad key, range, selection,
    config or resource raises and leaves no record. A failing partition does not raise:
    see ``result.success`` and ``result.errors``.

    Example:
        >>> from aloft import asset
        >>> from aloft.partitions import StaticPartitionsDefinition
        >>> @asset(partitions_def=StaticPartitionsDefinition(["eu", "us", "apac"]))
        ... def sales(context) -> str:
        ...     return context.partition_key
        >>> backfill([sales], partition_keys=["eu", "us"]).materialized_partitions
        ['eu', 'us']
        >>> backfill([sales], partition_keys=["uk"])
        Traceback (most recent call last):
        ...
        aloft.partitions.errors.PartitionKeyError: uk is not a partition of sales: expected one of 'eu', 'us', 'apac'.
    """
    from aloft.storage.memory import InMemoryStateStore

    _check_concurrency(max_concurrent)
    store = instance or InMemoryStateStore()
    backfill_id = backfill_id or new_backfill_id()
    storage = default_backfill_storage(backfill_id)
    target = _Target.resolve(
        assets_or_definitions, selection=selection, job=job, resources=resources, default_storage=storage
    )
    keys = _requested_keys(target, store, partition_keys, partition_key_range, missing_only)
    plan = target.plan_backfill(keys, store)
    config = target.checked_run_config(run_config)
    if store.get_backfill(backfill_id) is not None:
        raise BackfillError(
            f"a backfill with id '{backfill_id}' already exists; resume it "
            f"(`aloft backfill resume {backfill_id}`) or choose another id"
        )
    if getattr(target.resources["io_manager"], "base_dir", None) == str(storage) and storage.is_dir():
        # Left by an earlier backfill of the same id in another state store: never read its values.
        shutil.rmtree(storage, ignore_errors=True)
    record = store.create_backfill(
        BackfillRecord(
            backfill_id=backfill_id,
            job_name=target.job_name,
            partition_keys=plan.partition_keys,
            selection=target.selection_names,
            tags=dict(tags or {}),
        )
    )
    return _BackfillExecution(target, store, record, plan, config, max_concurrent, on_progress).run()


def resume_backfill(
    assets_or_definitions: Definitions | Sequence[AssetsDefinition | AssetSpec],
    backfill_id: str,
    *,
    resources: Mapping[str, Any] | None = None,
    run_config: Mapping[str, Any] | RunConfig | None = None,
    instance: StateStore,
    max_concurrent: int | None = None,
    on_progress: Callable[[BackfillProgress], None] | None = None,
) -> BackfillResult:
    """Run again the partitions of a recorded backfill that failed or never ran.

    The backfill must have ended (FAILED or CANCELED): a COMPLETED one has nothing to
    do, and one still IN_PROGRESS must be canceled first (its process may still run it).

    Example:
        >>> from aloft import asset
        >>> from aloft.partitions import StaticPartitionsDefinition
        >>> from aloft.storage.memory import InMemoryStateStore
        >>> attempts = []
        >>> @asset(partitions_def=StaticPartitionsDefinition(["eu", "us"]))
        ... def flaky(context) -> int:
        ...     attempts.append(context.partition_key)
        ...     if attempts.count("us") == 1 and context.partition_key == "us":
        ...         raise RuntimeError("feed not ready")
        ...     return 1
        >>> store = InMemoryStateStore()
        >>> first = backfill([flaky], instance=store, max_concurrent=1)
        >>> first.status.value, first.failed_partitions
        ('FAILED', ['us'])
        >>> resumed = resume_backfill([flaky], first.backfill_id, instance=store)
        >>> resumed.status.value, attempts
        ('COMPLETED', ['eu', 'us', 'us'])
    """
    _check_concurrency(max_concurrent)
    store = instance
    record = find_backfill(store, backfill_id)
    if record.status is BackfillStatus.COMPLETED or not partitions_to_resume(record):
        raise BackfillError(
            f"backfill '{backfill_id}' is {record.status.value}: all {len(record.partition_keys)} partitions "
            "are materialized, nothing to resume. Start a new backfill to materialize them again."
        )
    if not record.status.is_finished:
        raise BackfillError(
            f"backfill '{backfill_id}' is {record.status.value}: it may still be running. Cancel it first "
            f"(`aloft backfill cancel {backfill_id}`), then resume it once its runs have ended."
        )
    target = _Target.resolve(
        assets_or_definitions,
        selection=AssetSelection.keys(*record.selection),
        job=None,
        resources=resources,
        default_storage=default_backfill_storage(backfill_id),
        job_name=record.job_name,
    )
    keys = partitions_to_resume(record)
    for key in keys:
        target.partitions_def.validate_partition_key(
            key, asset_name=target.asset_name, dynamic_partitions_store=store
        )
    plan = target.plan_backfill(keys, store)
    config = target.checked_run_config(run_config)
    record = store.update_backfill(backfill_id, status=BackfillStatus.REQUESTED)
    return _BackfillExecution(target, store, record, plan, config, max_concurrent, on_progress).run()


def cancel_backfill(instance: StateStore, backfill_id: str) -> BackfillRecord:
    """Mark a backfill CANCELED: it launches no new run; runs already started finish.

    The process running it notices at once when it is this one, and within a fraction
    of a second otherwise (it polls the store). Resume it later to finish it.

    Example:
        >>> from aloft.storage.memory import InMemoryStateStore
        >>> store = InMemoryStateStore()
        >>> _ = store.create_backfill(BackfillRecord("abc", "daily", partition_keys=("01",)))
        >>> cancel_backfill(store, "abc").status.value
        'CANCELED'
    """
    record = find_backfill(instance, backfill_id)
    if record.status.is_finished:
        raise BackfillError(f"backfill '{backfill_id}' already ended ({record.status.value}); nothing to cancel")
    record = instance.update_backfill(backfill_id, status=BackfillStatus.CANCELED)
    with _running_lock:
        event = _running.get(backfill_id)
    if event is not None:
        event.set()
    return record


def find_backfill(instance: StateStore, backfill_id: str) -> BackfillRecord:
    """The recorded backfill, or ``BackfillNotFound`` suggesting a close id among recent ones.

    Example:
        >>> from aloft.storage.memory import InMemoryStateStore
        >>> store = InMemoryStateStore()
        >>> _ = store.create_backfill(BackfillRecord("qwertyui", "daily"))
        >>> find_backfill(store, "qwertyiu")
        Traceback (most recent call last):
        ...
        aloft.storage.base.BackfillNotFound: no backfill 'qwertyiu' in the state store. Did you mean 'qwertyui'? (`aloft backfill list` shows recent ones)
    """
    record = instance.get_backfill(backfill_id)
    if record is not None:
        return record
    recent = [b.backfill_id for b in instance.list_backfills(limit=100)]
    hint = did_you_mean(backfill_id, recent) if recent else " No backfill is recorded."
    raise BackfillNotFound(
        f"no backfill '{backfill_id}' in the state store.{hint}"
        + (" (`aloft backfill list` shows recent ones)" if recent else "")
    )


def default_backfill_storage(backfill_id: str) -> Path:
    """Where a backfill pickles its values when no ``io_manager`` is given: a temporary directory of its own.

    Python's ``materialize`` pickles to a temporary directory (as Dagster's ephemeral
    instance does) so that scripts and tests leave nothing in the project; a backfill
    does the same, but the directory is named after the backfill id, so that
    ``resume_backfill`` reads what the first attempt stored (a self-dependent asset
    needs the partitions before). ``aloft backfill`` passes the project's
    ``.aloft/storage`` instead.

    Example:
        >>> default_backfill_storage("ygshodci").name
        'aloft-backfill-ygshodci'
    """
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in backfill_id)
    return Path(tempfile.gettempdir()) / f"aloft-backfill-{safe}"


def _check_concurrency(max_concurrent: int | None) -> None:
    if max_concurrent is not None and (
        isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int) or max_concurrent < 1
    ):
        raise DefinitionError(f"max_concurrent must be a positive number of runs, got {max_concurrent!r}")


# -- what to backfill -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """The validated subject of a backfill: definitions, steps, their shared partitions."""

    definitions: Definitions
    plan: ExecutionPlan
    job_name: str
    partitions_def: PartitionsDefinition
    resources: Mapping[str, Any]
    job_config: Mapping[str, Any]
    job_tags: Mapping[str, str]

    @classmethod
    def resolve(
        cls,
        assets_or_definitions: Definitions | Sequence[AssetsDefinition | AssetSpec],
        *,
        selection: CoercibleToAssetSelection,
        job: str | None,
        resources: Mapping[str, Any] | None,
        default_storage: Path,
        job_name: str | None = None,
    ) -> _Target:
        given = assets_or_definitions
        all_resources = {**(given.resources if isinstance(given, Definitions) else {}), **(resources or {})}
        if "io_manager" not in all_resources:
            from aloft.io.filesystem import FilesystemIOManager

            # Created on the first write, so a refused backfill leaves nothing behind.
            all_resources["io_manager"] = FilesystemIOManager(base_dir=str(default_storage))
        defs = given if isinstance(given, Definitions) else Definitions(assets=given, resources=all_resources)
        graph = defs.get_asset_graph()
        job_config: Mapping[str, Any] = {}
        job_tags: Mapping[str, str] = {}
        name = job_name or ADHOC_JOB_NAME
        if job is not None:
            if selection is not None:
                raise DefinitionError(f"give a job ('{job}') or a selection, not both")
            job_def = defs.get_job_def(job)
            if not isinstance(job_def, AssetJobDefinition):
                raise DefinitionError(f"job '{job}' is an op job; only asset jobs can be backfilled")
            selection, name, job_config, job_tags = job_def.selection, job_def.name, job_def.config, job_def.tags
        elif job_name is not None and job_name in defs.job_names:  # resuming a job's backfill
            job_def = defs.get_job_def(job_name)
            if isinstance(job_def, AssetJobDefinition):
                job_config, job_tags = job_def.config, job_def.tags
        keys = AssetSelection.coerce(selection).resolve(graph) & graph.materializable_keys
        if not keys:
            raise DefinitionError(
                "the selection names no asset to materialize; select partitioned assets, e.g. 'daily_events+'"
            )
        plan = build_asset_plan(graph, keys, name)
        partitions_def = _shared_partitions(plan)
        return cls(defs, plan, name, partitions_def, all_resources, job_config, job_tags)

    @property
    def asset_name(self) -> str:
        """How messages name the assets (the first one)."""
        return self.plan.asset_keys[0].to_user_string()

    @property
    def selection_names(self) -> tuple[str, ...]:
        """The backfilled asset keys, as recorded (``a/b`` strings)."""
        return tuple(key.to_user_string() for key in self.plan.asset_keys)

    def plan_backfill(self, keys: Sequence[str], store: StateStore) -> BackfillPlan:
        policies = {
            key: self.definitions.get_asset_graph().get_by_node(key).backfill_policy for key in self.plan.steps
        }
        return plan_backfill(
            self.plan, keys, partitions_def=self.partitions_def, policies=policies, dynamic_partitions_store=store
        )

    def checked_run_config(self, run_config: Mapping[str, Any] | RunConfig | None) -> dict[str, Any]:
        """The run config, validated against every step and resource before anything is recorded."""
        from aloft.execution.run import prepare_resources, validate_run_config

        if run_config is None:
            config = dict(self.job_config)
        elif isinstance(run_config, RunConfig):
            config = run_config.to_config_dict()
        else:
            config = dict(run_config)
        validate_run_config(self.plan, config)
        prepare_resources(self.plan, self.resources, config)
        return config


def _shared_partitions(plan: ExecutionPlan) -> PartitionsDefinition:
    unpartitioned = [step.label for step in plan.steps.values() if step.partitions_def is None]
    if unpartitioned:
        raise DefinitionError(
            f"{unpartitioned[0]} is not partitioned, so it cannot be backfilled. Leave it out of the "
            "selection (e.g. --select 'daily_events+ and not summary') and materialize it on its own "
            "(`aloft materialize --select ...`)."
        )
    by_definition: dict[PartitionsDefinition, list[str]] = {}
    for step in plan.steps.values():
        by_definition.setdefault(step.partitions_def, []).append(step.label)
    if len(by_definition) > 1:
        described = "; ".join(f"{', '.join(labels)}: {definition!r}" for definition, labels in by_definition.items())
        raise DefinitionError(
            f"a backfill runs assets that share one partitions definition, but these differ ({described}). "
            "Backfill each group in its own backfill."
        )
    return next(iter(by_definition))


def _requested_keys(
    target: _Target,
    store: StateStore,
    partition_keys: Sequence[str] | None,
    partition_key_range: PartitionKeyRange | tuple[str, str] | None,
    missing_only: bool,
) -> list[str]:
    definition, name = target.partitions_def, target.asset_name
    all_keys = definition.get_partition_keys(dynamic_partitions_store=store)
    if partition_keys is not None and partition_key_range is not None:
        raise DefinitionError("give partition_keys or partition_key_range, not both")
    if isinstance(partition_keys, str):
        raise DefinitionError(f"partition_keys must be a list of keys, e.g. [{partition_keys!r}]")
    if partition_keys is not None:
        keys = order_partition_keys(definition, partition_keys, asset_name=name, dynamic_partitions_store=store)
    elif partition_key_range is not None:
        bounds = (
            (partition_key_range.start, partition_key_range.end)
            if isinstance(partition_key_range, PartitionKeyRange)
            else tuple(partition_key_range)
        )
        if len(bounds) != 2:
            raise DefinitionError(
                f"partition_key_range must be (first_key, last_key) or a PartitionKeyRange, got {partition_key_range!r}"
            )
        start, end = bounds
        for bound in (start, end):
            definition.validate_partition_key(bound, asset_name=name, dynamic_partitions_store=store)
        first, last = all_keys.index(start), all_keys.index(end)
        if first > last:
            raise PartitionKeyError(
                f"the partition range of {name} starts at {start}, which comes after its end {end}; "
                "swap them (--from is the first partition, --to the last)",
                partition_key=start,
            )
        keys = all_keys[first : last + 1]
    else:
        keys = list(all_keys)
    if not all_keys:
        raise NothingToBackfill(
            f"{name} has no partitions yet"
            + (" (add dynamic partitions first)" if type(definition).__name__ == "DynamicPartitionsDefinition" else "")
        )
    if missing_only:
        done = None
        for asset_key in target.plan.asset_keys:
            statuses = store.partition_statuses(asset_key)
            materialized = {k for k, s in statuses.items() if s is PartitionStatus.MATERIALIZED}
            done = materialized if done is None else done & materialized
        keys = [key for key in keys if key not in (done or set())]
        if not keys:
            raise NothingToBackfill(f"nothing to backfill: every requested partition of {name} is materialized")
    return keys


# -- running ------------------------------------------------------------------------------------

_running_lock = threading.Lock()
_running: dict[str, threading.Event] = {}


@dataclass
class _UnitDone:
    index: int
    run_id: str
    succeeded: bool
    error: str | None = None


class _BackfillExecution:
    """Launches the units of a plan as their dependencies succeed; records what happens."""

    def __init__(
        self,
        target: _Target,
        store: StateStore,
        record: BackfillRecord,
        plan: BackfillPlan,
        config: Mapping[str, Any],
        max_concurrent: int | None,
        on_progress: Callable[[BackfillProgress], None] | None,
    ) -> None:
        self.target = target
        self.store = store
        self.record = record
        self.plan = plan
        self.config = config
        self.limit = max_concurrent or DEFAULT_BACKFILL_CONCURRENCY
        self.on_progress = on_progress
        self.started = time.perf_counter()
        self.units_of = plan.units_by_partition()
        self.remaining = {key: len(units) for key, units in self.units_of.items()}
        self.unit_status: dict[int, BackfillPartitionStatus] = {}
        self.key_status: dict[str, BackfillPartitionStatus] = {}
        self.run_of: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self.run_ids: list[str] = []
        self.in_progress: set[str] = set()
        self.finished: list[tuple[str, BackfillPartitionStatus]] = []
        self.ended = dict.fromkeys(BackfillPartitionStatus, 0)  # partitions that ended, by outcome
        self.pending_statuses: dict[str, PartitionStatus] = {}
        self.pending_runs: dict[str, str] = {}
        self.cancel = threading.Event()
        self.last_record = time.perf_counter()
        self.record_interval = min(
            _RECORD_INTERVAL_MAX, max(_RECORD_INTERVAL, _RECORD_INTERVAL_PER_PARTITION * len(plan.partition_keys))
        )
        self.plans = {steps: self._subplan(steps) for steps in {unit.step_keys for unit in plan.units}}

    def _subplan(self, steps: tuple[str, ...]) -> tuple[ExecutionPlan, dict[str, Any]]:
        plan = self.target.plan
        if len(steps) == len(plan.steps):
            sub = plan
        else:
            keys = [key for step in steps for key in plan.steps[step].asset_keys]
            sub = build_asset_plan(self.target.definitions.get_asset_graph(), keys, plan.job_name)
        config = dict(self.config)
        if "ops" in config:
            config["ops"] = {name: value for name, value in (config["ops"] or {}).items() if name in sub.steps}
        if len(sub.steps) == 1 and "execution" not in config:
            # One step: run it on the backfill's own thread rather than handing it to the step pool.
            config["execution"] = {"config": {"max_concurrent": 1}}
        return sub, config

    # -- the loop -------------------------------------------------------------------------------

    def run(self) -> BackfillResult:
        backfill_id = self.record.backfill_id
        with _running_lock:
            _running[backfill_id] = self.cancel
        self.record = self.store.update_backfill(backfill_id, status=BackfillStatus.IN_PROGRESS)
        pool = ThreadPoolExecutor(max_workers=self.limit, thread_name_prefix=f"aloft-backfill-{backfill_id}")
        try:
            self._loop(pool)
        except BaseException:  # Ctrl-C, or a failing store: stop launching, keep what is known
            self.cancel.set()
            pool.shutdown(wait=False, cancel_futures=True)
            with contextlib.suppress(Exception):
                self._flush()
                self.store.update_backfill(backfill_id, status=BackfillStatus.CANCELED)
            raise
        finally:
            with _running_lock:
                _running.pop(backfill_id, None)
        pool.shutdown(wait=True)
        self._flush()
        final = self.store.get_backfill(backfill_id) or self.record
        status = backfill_outcome_status(final, canceled=self.cancel.is_set())
        self.record = self.store.update_backfill(backfill_id, status=status)
        return self._result()

    def _loop(self, pool: ThreadPoolExecutor) -> None:
        units = self.plan.units
        dependents = self.plan.dependents()
        waiting = [len(unit.depends_on) for unit in units]
        ready = [unit.index for unit in units if not unit.depends_on]
        heapq.heapify(ready)
        done: queue.SimpleQueue[_UnitDone] = queue.SimpleQueue()
        running = 0
        while ready or running:
            while ready and running < self.limit and not self._canceled():
                unit = units[heapq.heappop(ready)]
                self._launch(pool, unit, done)
                running += 1
            if self.cancel.is_set():
                ready.clear()
            self._report()
            if not running:
                break
            try:
                finished = [done.get(timeout=self.record_interval)]
            except queue.Empty:
                self._maybe_record()
                continue
            while True:  # everything that ended meanwhile, then one report
                try:
                    finished.append(done.get_nowait())
                except queue.Empty:
                    break
            for outcome in finished:
                running -= 1
                if outcome.succeeded:
                    self._unit_ended(outcome.index, BackfillPartitionStatus.MATERIALIZED, outcome.run_id)
                    for child in dependents[outcome.index]:
                        waiting[child] -= 1
                        if waiting[child] == 0:
                            heapq.heappush(ready, child)
                else:
                    self._unit_ended(outcome.index, BackfillPartitionStatus.FAILED, outcome.run_id, outcome.error)
                    self._skip_dependents(outcome.index, dependents)
            self._maybe_record()
        for unit in units:  # never launched: canceled before their turn
            if unit.index not in self.unit_status:
                self._unit_ended(unit.index, BackfillPartitionStatus.CANCELED)
        self._report()

    def _launch(self, pool: ThreadPoolExecutor, unit: BackfillUnit, done: queue.SimpleQueue[_UnitDone]) -> None:
        run_id = new_run_id()
        self.run_ids.append(run_id)
        for key in unit.partition_keys:
            self.run_of[key] = run_id
            self.pending_runs[key] = run_id
            if key not in self.in_progress:
                self.in_progress.add(key)
                self.pending_statuses[key] = PartitionStatus.IN_PROGRESS
        pool.submit(self._execute, unit, run_id, done)

    def _execute(self, unit: BackfillUnit, run_id: str, done: queue.SimpleQueue[_UnitDone]) -> None:
        from aloft.execution.run import execute_run

        plan, config = self.plans[unit.step_keys]
        try:
            result = execute_run(
                plan,
                resources=self.target.resources,
                store=self.store,
                run_config=config,
                partition_key=unit.partition_key,
                partition_key_range=unit.partition_key_range,
                tags={**self.target.job_tags, **self.record.tags, BACKFILL_TAG: self.record.backfill_id},
                run_id=run_id,
                trigger=RunTrigger.BACKFILL,
                raise_on_error=False,
            )
        except Exception as err:  # refused before any step ran (a resource failed to start, say)
            done.put(_UnitDone(unit.index, run_id, False, f"{type(err).__name__}: {err}"))
            return
        error = None
        if not result.success:
            failed = next((o for o in result.outcomes.values() if o.error is not None), None)
            error = "the run failed"
            if failed is not None and failed.error is not None:
                error = f"{failed.step_key}: {failed.error.error_type}: {failed.error.message}"
        done.put(_UnitDone(unit.index, run_id, result.success, error))

    # -- statuses -------------------------------------------------------------------------------

    def _unit_ended(
        self, index: int, status: BackfillPartitionStatus, run_id: str | None = None, error: str | None = None
    ) -> None:
        self.unit_status[index] = status
        for key in self.plan.units[index].partition_keys:
            if error is not None:
                self.errors.setdefault(key, error)
            self.remaining[key] -= 1
            current = self.key_status.get(key)
            if current is None or _SEVERITY[status] > _SEVERITY[current]:
                self.key_status[key] = status
            if status is BackfillPartitionStatus.FAILED:
                self.pending_statuses[key] = PartitionStatus.FAILED
            if self.remaining[key] == 0:
                self.in_progress.discard(key)
                outcome = self.key_status[key]
                self.finished.append((key, outcome))
                self.ended[outcome] += 1
                self.pending_statuses[key] = _RECORDED[outcome]

    def _skip_dependents(self, failed: int, dependents: list[list[int]]) -> None:
        stack = list(dependents[failed])
        while stack:
            index = stack.pop()
            if index in self.unit_status:
                continue
            self._unit_ended(index, BackfillPartitionStatus.SKIPPED)
            stack.extend(dependents[index])

    def _canceled(self) -> bool:
        if self.cancel.is_set():
            return True
        self._maybe_record()
        return self.cancel.is_set()

    def _maybe_record(self) -> None:
        if time.perf_counter() - self.last_record >= self.record_interval:
            self._flush()

    def _flush(self) -> None:
        """Write the statuses gathered since the last write; notice a cancel from another process."""
        self.last_record = time.perf_counter()
        if self.pending_statuses or self.pending_runs:
            statuses, runs = self.pending_statuses, self.pending_runs
            self.pending_statuses, self.pending_runs = {}, {}
            record = self.store.update_backfill(
                self.record.backfill_id, partition_statuses=statuses, partition_run_ids=runs
            )
        else:
            found = self.store.get_backfill(self.record.backfill_id)
            record = found if found is not None else self.record
        if record.status is BackfillStatus.CANCELED:
            self.cancel.set()

    def _report(self) -> None:
        if self.on_progress is None:
            self.finished.clear()
            return
        counts = self.ended
        progress = BackfillProgress(
            backfill_id=self.record.backfill_id,
            total=len(self.plan.partition_keys),
            materialized=counts[BackfillPartitionStatus.MATERIALIZED],
            failed=counts[BackfillPartitionStatus.FAILED],
            skipped=counts[BackfillPartitionStatus.SKIPPED],
            canceled=counts[BackfillPartitionStatus.CANCELED],
            in_progress=len(self.in_progress),
            elapsed=time.perf_counter() - self.started,
            finished=tuple(self.finished),
        )
        self.finished.clear()
        self.on_progress(progress)

    def _result(self) -> BackfillResult:
        statuses: dict[str, BackfillPartitionStatus] = {}
        for key in self.record.partition_keys:
            if key in self.key_status:
                statuses[key] = self.key_status[key]
            elif self.record.status_of(key) is PartitionStatus.MATERIALIZED:
                statuses[key] = BackfillPartitionStatus.MATERIALIZED
            else:
                statuses[key] = BackfillPartitionStatus.CANCELED
        runs = {**self.record.partition_run_ids, **self.run_of}
        return BackfillResult(
            backfill_id=self.record.backfill_id,
            status=self.record.status,
            partition_statuses=statuses,
            partition_run_ids={key: runs[key] for key in self.record.partition_keys if key in runs},
            run_ids=tuple(self.run_ids),
            errors=dict(self.errors),
            elapsed=time.perf_counter() - self.started,
        )


# A partition run by several units ends as the worst of them.
_SEVERITY = {
    BackfillPartitionStatus.MATERIALIZED: 0,
    BackfillPartitionStatus.CANCELED: 1,
    BackfillPartitionStatus.SKIPPED: 2,
    BackfillPartitionStatus.FAILED: 3,
}
_RECORDED = {
    BackfillPartitionStatus.MATERIALIZED: PartitionStatus.MATERIALIZED,
    BackfillPartitionStatus.FAILED: PartitionStatus.FAILED,
    BackfillPartitionStatus.SKIPPED: PartitionStatus.MISSING,
    BackfillPartitionStatus.CANCELED: PartitionStatus.MISSING,
}
