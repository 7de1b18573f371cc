"""Whether the partitions of a backfill depend on each other, read from a job's execution plan.

A backfill runs the job once per partition, each run in its own child
execution. Children are independent unless a step of the job reads OTHER
partitions of an asset the job itself materializes (itself included):

- the same partition (no mapping between equal partitions definitions,
  ``IdentityPartitionMapping``, ``TimeWindowPartitionMapping(0, 0)``): the
  run of that partition produces it first; children are independent;
- earlier partitions only (``TimeWindowPartitionMapping`` with
  ``end_offset < 0``, or ``start_offset < 0, end_offset == 0`` on another
  asset: a trailing window): the runs must go in partition order;
- anything else (later partitions, all of them, the last one, a static
  mapping between keys...) cannot be ordered: a :class:`CompileError` says
  which asset and how to split the backfill.

Upstream assets the job does not materialize are loaded as stored; they
order nothing. Every step must be partitioned, by one partitions definition:
a child runs the job for ONE partition key.

Example:
    >>> from aloft import AssetIn, Definitions, asset, define_asset_job
    >>> from aloft.execution.plan import build_asset_plan
    >>> from aloft.partitions import DailyPartitionsDefinition, TimeWindowPartitionMapping
    >>> days = DailyPartitionsDefinition("2026-01-01")
    >>> @asset(partitions_def=days)
    ... def events() -> int: return 1
    >>> @asset(partitions_def=days, ins={"events": AssetIn(partition_mapping=TimeWindowPartitionMapping(-1, -1))})
    ... def lagged(events: int) -> int: return events
    >>> defs = Definitions(assets=[events, lagged], jobs=[define_asset_job("daily", selection="*")])
    >>> plan = build_asset_plan(defs.get_asset_graph(), defs.resolve_job_keys("daily"), "daily")
    >>> order = partition_order(plan)
    >>> order.ordered, order.describe()
    (True, ["asset 'lagged' reads earlier partitions of 'events' (TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))"])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aloft.compiler.exceptions import CompileError

if TYPE_CHECKING:
    from aloft.execution.plan import ExecutionPlan, PlanStep, StepInputSource

__all__ = ["PartitionDependency", "PartitionOrder", "partition_order"]


@dataclass(frozen=True)
class PartitionDependency:
    """One input through which a partition's run reads earlier partitions made by the same backfill.

    Example:
        >>> PartitionDependency("total", "total", "total", "TimeWindowPartitionMapping(-1, -1)").describe()
        "asset 'total' reads its own earlier partitions (TimeWindowPartitionMapping(-1, -1))"
    """

    step: str
    input_name: str
    upstream: str
    mapping: str

    def describe(self) -> str:
        """One line for messages and the compiled manifest."""
        if self.upstream == self.step:
            return f"asset '{self.step}' reads its own earlier partitions ({self.mapping})"
        return f"asset '{self.step}' reads earlier partitions of '{self.upstream}' ({self.mapping})"


@dataclass(frozen=True)
class PartitionOrder:
    """The dependencies that order a backfill's partitions; none: the partitions are independent.

    Example:
        >>> PartitionOrder(()).ordered
        False
    """

    dependencies: tuple[PartitionDependency, ...]

    @property
    def ordered(self) -> bool:
        """Whether the runs must go one after the other, in partition order."""
        return bool(self.dependencies)

    def describe(self) -> list[str]:
        """Why the backfill is ordered (empty when it is not)."""
        return [dependency.describe() for dependency in self.dependencies]


def partition_order(plan: ExecutionPlan) -> PartitionOrder:
    """Check that ``plan`` can run once per partition and find what orders its partitions."""
    steps = list(plan.steps.values())
    unpartitioned = [step.key for step in steps if step.partitions_def is None]
    if unpartitioned:
        raise CompileError(
            f"job '{plan.job_name}' cannot be backfilled: steps {unpartitioned} are not partitioned, and a "
            "backfill runs the job once per partition (they would be rematerialized by every run). "
            "Backfill a job that selects only the partitioned assets"
        )
    definitions = {step.partitions_def for step in steps}
    if len(definitions) > 1:
        raise CompileError(
            f"job '{plan.job_name}' cannot be backfilled: its assets have {len(definitions)} different "
            "partitions definitions, and each run of a backfill has one partition key. Backfill the "
            "assets of each partitions definition in a job of their own"
        )
    produced = {asset: step.key for step in steps for asset in step.asset_keys}
    found: list[PartitionDependency] = []
    for step in steps:
        for source in step.inputs:
            if source.asset_key is None or source.asset_key not in produced:
                continue  # loaded as stored: no order between this backfill's runs
            dependency = _classify(plan.job_name, step, source)
            if dependency is not None:
                found.append(dependency)
    return PartitionOrder(tuple(found))


def _classify(job: str, step: PlanStep, source: StepInputSource) -> PartitionDependency | None:
    from aloft.partitions.mapping import IdentityPartitionMapping, TimeWindowPartitionMapping

    assert source.asset_key is not None
    mapping: Any = source.partition_mapping
    upstream = source.asset_key.to_user_string()
    own = source.asset_key in step.asset_keys
    name = step.asset_keys[0].to_user_string() if len(step.asset_keys) == 1 else step.key
    if mapping is None or isinstance(mapping, IdentityPartitionMapping):
        return None
    if isinstance(mapping, TimeWindowPartitionMapping):
        start, end = mapping.start_offset, mapping.end_offset
        if start == 0 and end == 0:
            return None
        if end < 0 or (end == 0 and not own):
            return PartitionDependency(name, source.name, upstream, repr(mapping))
        reason = "later partitions" if end > 0 else "its own partition"
    else:
        reason = f"partitions chosen by {type(mapping).__name__}"
    raise CompileError(
        f"job '{job}' cannot be backfilled in one execution: asset '{name}' reads {reason} of "
        f"'{upstream}' (input '{source.name}', {mapping!r}), which runs of the same backfill produce in "
        "any order. Backfill the upstream asset first, in a job of its own, then this one (its input "
        "is then loaded as stored)"
    )
