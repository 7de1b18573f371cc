"""Planning a backfill: which runs cover which partitions, and which run waits for which. Pure.

A backfill materializes the steps of an execution plan for many partition keys.
It is cut into *units*, each one run: some steps of the plan over one partition
key or a contiguous range of keys (``BackfillPolicy``). A unit waits for the
units holding the partitions it reads (a self-dependent asset reads its previous
partition, a downstream asset may read yesterday's partition of its upstream);
units that read nothing of each other run concurrently.

Steps whose in-backfill inputs all read the *same* partition of their upstream
(identity mappings) share their units, so a job of three daily assets is one run
per day, as in Dagster. A step that reads other partitions of an upstream step in
the backfill gets units of its own, ordered after the units it reads.

The same functions decide what a backfill record still has to do
(:func:`partitions_to_resume`) and how it ended (:func:`backfill_outcome_status`),
for local and cloud backfills alike.

Example:
    >>> from aloft import AssetIn, Definitions, TimeWindowPartitionMapping, asset
    >>> from aloft.execution.plan import build_asset_plan
    >>> from aloft.partitions import DailyPartitionsDefinition
    >>> days = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-04")
    >>> previous = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    >>> @asset(partitions_def=days, ins={"total": AssetIn("total", partition_mapping=previous)})
    ... def total(total: int | None) -> int:
    ...     return (total or 0) + 1
    >>> graph = Definitions(assets=[total]).get_asset_graph()
    >>> backfill = plan_backfill(build_asset_plan(graph, [total.key], "job"), days.get_partition_keys(),
    ...     partitions_def=days)
    >>> [(unit.partition_keys, sorted(unit.depends_on)) for unit in backfill.units]
    [(('2026-01-01',), []), (('2026-01-02',), [0]), (('2026-01-03',), [1])]
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aloft.errors import DefinitionError
from aloft.execution.plan import ExecutionPlan, PlanStep, StepInputSource
from aloft.partitions.backfill_policy import BackfillPolicy, chunk_partition_keys
from aloft.partitions.base import PartitionKeyRange, PartitionsDefinition
from aloft.storage.records import BackfillRecord, BackfillStatus, PartitionStatus

__all__ = [
    "BACKFILL_TAG",
    "BackfillPlan",
    "BackfillUnit",
    "backfill_outcome_status",
    "combined_backfill_policy",
    "order_partition_keys",
    "partitions_to_resume",
    "plan_backfill",
]

# The tag every run of a backfill carries, local or cloud: ``aloft/backfill=<backfill id>``.
BACKFILL_TAG = "aloft/backfill"


def order_partition_keys(
    partitions_def: PartitionsDefinition,
    partition_keys: Iterable[str],
    *,
    asset_name: str | None = None,
    dynamic_partitions_store: Any = None,
) -> list[str]:
    """Validate ``partition_keys`` (each must be a partition) and return them once each, in partition order.

    An unknown key raises ``PartitionKeyError`` naming the expected format and the valid range.

    Example:
        >>> from aloft.partitions import StaticPartitionsDefinition
        >>> order_partition_keys(StaticPartitionsDefinition(["a", "b", "c"]), ["c", "a", "c"])
        ['a', 'c']
    """
    every = partitions_def.get_partition_keys(dynamic_partitions_store=dynamic_partitions_store)
    position = {key: index for index, key in enumerate(every)}
    wanted = dict.fromkeys(partition_keys)
    for key in wanted:
        if key not in position:
            partitions_def.validate_partition_key(
                key, asset_name=asset_name, dynamic_partitions_store=dynamic_partitions_store
            )
    return sorted(wanted, key=position.__getitem__)


@dataclass(frozen=True)
class BackfillUnit:
    """One run of a backfill: ``step_keys`` over ``partition_keys`` (one key, or a contiguous range).

    ``depends_on`` holds the indexes of the units that must succeed first.

    Example:
        >>> unit = BackfillUnit(0, ("daily",), ("2026-01-01", "2026-01-02", "2026-01-03"))
        >>> unit.partition_key, unit.partition_key_range
        (None, PartitionKeyRange(start='2026-01-01', end='2026-01-03'))
    """

    index: int
    step_keys: tuple[str, ...]
    partition_keys: tuple[str, ...]
    depends_on: frozenset[int] = frozenset()

    @property
    def partition_key(self) -> str | None:
        """The key of a one-partition run (None for a range).

        Example:
            >>> BackfillUnit(0, ("daily",), ("2026-01-01",)).partition_key
            '2026-01-01'
        """
        return self.partition_keys[0] if len(self.partition_keys) == 1 else None

    @property
    def partition_key_range(self) -> PartitionKeyRange | None:
        """The range of a multi-partition run (None for one partition).

        Example:
            >>> BackfillUnit(0, ("daily",), ("2026-01-01",)).partition_key_range is None
            True
        """
        if len(self.partition_keys) < 2:
            return None
        return PartitionKeyRange(self.partition_keys[0], self.partition_keys[-1])


@dataclass(frozen=True)
class BackfillPlan:
    """The units of a backfill, in launch order (earlier partitions and upstream steps first).

    Example:
        >>> plan = BackfillPlan(("a", "b"), (BackfillUnit(0, ("s",), ("a",)), BackfillUnit(1, ("s",), ("b",))))
        >>> plan.units_by_partition()
        {'a': [0], 'b': [1]}
    """

    partition_keys: tuple[str, ...]
    units: tuple[BackfillUnit, ...]

    def units_by_partition(self) -> dict[str, list[int]]:
        """Each partition key -> the units that materialize some step of it."""
        found: dict[str, list[int]] = {key: [] for key in self.partition_keys}
        for unit in self.units:
            for key in unit.partition_keys:
                found[key].append(unit.index)
        return found

    def dependents(self) -> list[list[int]]:
        """Unit index -> the units waiting for it."""
        waiting: list[list[int]] = [[] for _ in self.units]
        for unit in self.units:
            for upstream in unit.depends_on:
                waiting[upstream].append(unit.index)
        return waiting


def combined_backfill_policy(policies: Iterable[BackfillPolicy | None]) -> BackfillPolicy | None:
    """The policy of a run holding several assets: the most restrictive of theirs.

    An asset without a policy runs one partition per run (Dagster's default).

    Example:
        >>> combined_backfill_policy([BackfillPolicy.single_run(), BackfillPolicy.multi_run(5)])
        BackfillPolicy(max_partitions_per_run=5)
        >>> combined_backfill_policy([BackfillPolicy.single_run(), None]) is None
        True
    """
    limits = [1 if policy is None else policy.max_partitions_per_run for policy in policies]
    bounded = [limit for limit in limits if limit is not None]
    if not bounded:
        return BackfillPolicy.single_run()
    smallest = min(bounded)
    return None if smallest == 1 else BackfillPolicy.multi_run(smallest)


def plan_backfill(
    plan: ExecutionPlan,
    partition_keys: Sequence[str],
    *,
    partitions_def: PartitionsDefinition,
    policies: Mapping[str, BackfillPolicy | None] | None = None,
    dynamic_partitions_store: Any = None,
) -> BackfillPlan:
    """Cut the backfill of ``plan``'s steps over ``partition_keys`` into ordered units.

    ``policies`` maps step keys to their ``BackfillPolicy`` (absent: one partition
    per run). Keys are taken in the definition's order; a run never spans a key that
    was not requested. Raises ``DefinitionError`` when the partitions depend on each
    other in a cycle, or when a self-dependent asset asks for several partitions per run.

    Example:
        >>> from aloft import Definitions, asset
        >>> from aloft.execution.plan import build_asset_plan
        >>> from aloft.partitions import StaticPartitionsDefinition
        >>> regions = StaticPartitionsDefinition(["eu", "us", "apac"])
        >>> @asset(partitions_def=regions, backfill_policy=BackfillPolicy.single_run())
        ... def sales() -> int: return 1
        >>> plan = build_asset_plan(Definitions(assets=[sales]).get_asset_graph(), [sales.key], "job")
        >>> backfill = plan_backfill(plan, ["apac", "eu"], partitions_def=regions,
        ...     policies={"sales": sales.backfill_policy})
        >>> [unit.partition_keys for unit in backfill.units]
        [('eu',), ('apac',)]
    """
    all_keys = partitions_def.get_partition_keys(dynamic_partitions_store=dynamic_partitions_store)
    requested = order_partition_keys(
        partitions_def, partition_keys, dynamic_partitions_store=dynamic_partitions_store
    )
    edges = _step_edges(plan, requested, dynamic_partitions_store)
    policies = policies or {}
    _check_self_dependent_policies(plan, edges, policies)
    for clusters in (_aligned_clusters(plan, edges), [[key] for key in plan.order]):
        units = _units(plan, clusters, requested, all_keys, edges, policies)
        if units is not None:
            return BackfillPlan(tuple(requested), units)
    raise DefinitionError(_cycle_message(plan, edges))


# -- dependencies between steps -------------------------------------------------------------


@dataclass(frozen=True)
class _Edge:
    """Step ``downstream`` reads partitions of step ``upstream`` (both in the plan)."""

    downstream: str
    upstream: str
    aligned: bool  # partition k reads exactly partition k
    reads: Mapping[str, tuple[str, ...]]  # requested key -> requested upstream keys (not aligned)


def _step_edges(plan: ExecutionPlan, requested: list[str], store: Any) -> list[_Edge]:
    from aloft.execution.partition_inputs import upstream_partition_keys

    wanted = set(requested)
    edges: list[_Edge] = []
    for step in plan.steps.values():
        for source in step.inputs:
            if source.upstream_step is None or source.upstream_step not in plan.steps:
                continue
            if source.upstream_step != step.key and _is_identity(step, source):
                edges.append(_Edge(step.key, source.upstream_step, True, {}))
                continue
            reads: dict[str, tuple[str, ...]] = {}
            for key in requested:
                upstream = upstream_partition_keys(
                    mapping=source.partition_mapping,
                    downstream_partitions_def=step.partitions_def,
                    upstream_partitions_def=source.upstream_partitions_def,
                    downstream_partition_key=key,
                    downstream_partition_key_range=None,
                    dynamic_partitions_store=store,
                )
                reads[key] = tuple(k for k in upstream if k in wanted)
            aligned = source.upstream_step != step.key and all(reads[k] == (k,) for k in requested)
            edges.append(_Edge(step.key, source.upstream_step, aligned, {} if aligned else reads))
    return edges


def _is_identity(step: PlanStep, source: StepInputSource) -> bool:
    """An input that reads the same partition key of an upstream with the same partitions."""
    from aloft.partitions.mapping import IdentityPartitionMapping, TimeWindowPartitionMapping

    if source.upstream_partitions_def is None or source.upstream_partitions_def != step.partitions_def:
        return False
    mapping = source.partition_mapping
    if mapping is None or isinstance(mapping, IdentityPartitionMapping):
        return True
    return isinstance(mapping, TimeWindowPartitionMapping) and mapping.start_offset == 0 == mapping.end_offset


def _check_self_dependent_policies(
    plan: ExecutionPlan, edges: list[_Edge], policies: Mapping[str, BackfillPolicy | None]
) -> None:
    for edge in edges:
        policy = policies.get(edge.downstream)
        if edge.upstream == edge.downstream and policy is not None and policy.max_partitions_per_run != 1:
            raise DefinitionError(
                f"{plan.steps[edge.downstream].label} reads its own earlier partitions, so a backfill "
                f"must run its partitions one by one, in order; its backfill_policy={policy!r} asks for "
                "several per run. Remove the backfill_policy (or use BackfillPolicy.multi_run(1))."
            )


def _aligned_clusters(plan: ExecutionPlan, edges: list[_Edge]) -> list[list[str]]:
    """Steps joined by aligned edges share units. A self-dependent step keeps units of its own:
    its partitions run one after another, which should not hold back the steps around it."""
    parent = {key: key for key in plan.order}
    ordered = {edge.downstream for edge in edges if edge.upstream == edge.downstream}

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for edge in edges:
        if edge.aligned and not {edge.downstream, edge.upstream} & ordered:
            parent[root(edge.downstream)] = root(edge.upstream)
    groups: dict[str, list[str]] = {}
    for key in plan.order:
        groups.setdefault(root(key), []).append(key)
    return list(groups.values())


# -- units ------------------------------------------------------------------------------------


def _units(
    plan: ExecutionPlan,
    clusters: list[list[str]],
    requested: list[str],
    all_keys: Sequence[str],
    edges: list[_Edge],
    policies: Mapping[str, BackfillPolicy | None],
) -> tuple[BackfillUnit, ...] | None:
    """The ordered units for this grouping of steps, or None when they would wait on each other."""
    order = {key: index for index, key in enumerate(plan.order)}
    position = {key: index for index, key in enumerate(requested)}
    cluster_of = {step: index for index, cluster in enumerate(clusters) for step in cluster}
    drafts: list[tuple[int, int, int, tuple[str, ...], tuple[str, ...]]] = []
    for number, cluster in enumerate(clusters):
        steps = tuple(sorted(cluster, key=order.__getitem__))
        policy = combined_backfill_policy(policies.get(step) for step in steps)
        for chunk in chunk_partition_keys(requested, policy, all_partition_keys=all_keys):
            drafts.append((position[chunk[0]], order[steps[0]], number, steps, tuple(chunk)))
    drafts.sort()
    unit_of: list[dict[str, int]] = [{} for _ in clusters]
    for index, draft in enumerate(drafts):
        for key in draft[4]:
            unit_of[draft[2]][key] = index
    depends: list[set[int]] = [set() for _ in drafts]
    for edge in edges:
        downstream, upstream = unit_of[cluster_of[edge.downstream]], unit_of[cluster_of[edge.upstream]]
        if edge.aligned:
            if cluster_of[edge.downstream] != cluster_of[edge.upstream]:
                for key in requested:
                    depends[downstream[key]].add(upstream[key])
            continue
        for key, reads in edge.reads.items():
            for read in reads:
                depends[downstream[key]].add(upstream[read])
    for index, waits in enumerate(depends):
        waits.discard(index)
    units = tuple(
        BackfillUnit(index, steps, chunk, frozenset(depends[index]))
        for index, (_, _, _, steps, chunk) in enumerate(drafts)
    )
    return units if _is_acyclic(units) else None


def _is_acyclic(units: Sequence[BackfillUnit]) -> bool:
    waiting = [len(unit.depends_on) for unit in units]
    dependents: list[list[int]] = [[] for _ in units]
    for unit in units:
        for upstream in unit.depends_on:
            dependents[upstream].append(unit.index)
    ready = [unit.index for unit in units if not unit.depends_on]
    heapq.heapify(ready)
    seen = 0
    while ready:
        index = heapq.heappop(ready)
        seen += 1
        for child in dependents[index]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
    return seen == len(units)


def _cycle_message(plan: ExecutionPlan, edges: list[_Edge]) -> str:
    involved = sorted({plan.steps[e.downstream].label for e in edges if not e.aligned and any(e.reads.values())})
    return (
        "the partitions of " + ", ".join(involved) + " depend on each other in a cycle (a partition "
        "mapping reads later partitions while another reads earlier ones), so no order can backfill "
        "them. Map inputs to earlier partitions only (e.g. TimeWindowPartitionMapping(start_offset=-1, "
        "end_offset=-1)), or backfill the assets separately."
    )


# -- records ----------------------------------------------------------------------------------


def partitions_to_resume(record: BackfillRecord) -> list[str]:
    """The requested partitions of a backfill that are not materialized, in requested order.

    Failed, missing (never run, skipped, canceled) and in-progress partitions (left so
    by a process that stopped) all run again.

    Example:
        >>> record = BackfillRecord("b1", "daily", partition_keys=("01", "02", "03"),
        ...     partition_statuses={"01": PartitionStatus.MATERIALIZED, "02": PartitionStatus.FAILED})
        >>> partitions_to_resume(record)
        ['02', '03']
    """
    return [key for key in record.partition_keys if record.status_of(key) is not PartitionStatus.MATERIALIZED]


def backfill_outcome_status(record: BackfillRecord, *, canceled: bool = False) -> BackfillStatus:
    """How a backfill ended, from its partitions: COMPLETED when all are materialized,
    else CANCELED (when it was canceled) or FAILED.

    Example:
        >>> done = BackfillRecord("b1", "daily", partition_keys=("01",),
        ...     partition_statuses={"01": PartitionStatus.MATERIALIZED})
        >>> backfill_outcome_status(done, canceled=True).value
        'COMPLETED'
        >>> backfill_outcome_status(BackfillRecord("b2", "daily", partition_keys=("01",))).value
        'FAILED'
    """
    if not partitions_to_resume(record):
        return BackfillStatus.COMPLETED
    return BackfillStatus.CANCELED if canceled else BackfillStatus.FAILED
