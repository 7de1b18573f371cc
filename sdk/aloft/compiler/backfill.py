"""``compile_backfill``: ONE execution that runs a partitioned job once per partition.

The backfill state machine is a Distributed Map. Its ``ItemReader`` reads a
partition manifest, a JSON array in the data bucket whose location is in
the execution input (never the partitions themselves: the input has the
same size for 10 partitions or 10,000). Each item becomes one STANDARD
child execution whose input, built by ``ItemSelector``, is exactly the run
input the job's own state machine expects (``aloft.compiler.contract``)::

    {"run": {"run_id": <item>, "partition_key": <item>, "skip": <backfill>}, "failed": false, ...}

The child runs the job's compiled states unchanged (the output of
:func:`aloft.compiler.compile_plan`, one ``Parallel`` branch), between two
calls to the ``gate`` function: ``PartitionStart`` records the partition's
run (and, in an ordered backfill, skips the partition when the one before
did not succeed); ``PartitionSucceeded``/``PartitionFailed`` record how it
ended. A failed partition fails its child only: ``ToleratedFailurePercentage``
(100 by default) lets the others go on. ``ResultWriter`` sends the children's
outputs to S3, so 10,000 results never meet the 256 KiB payload cap. After
the map, ``Summarize`` closes the backfill record and the execution fails
when a partition did.

Decisions:

- **Order.** When a step reads earlier partitions of an asset the job makes
  (a running total reading yesterday's; see :mod:`aloft.compiler.backfill_order`)
  the map runs one child at a time (``MaxConcurrency: 1``) over a manifest
  in partition order, and each item names the run before it, which must have
  succeeded. Waves (one map per "level" of partitions) would cost about ten
  history events per wave in the parent: a chain of 10,000 days is 10,000
  waves, over Step Functions' 25,000-event cap.
- **Split jobs.** A job too large for one execution is split into parts
  started by its entry execution; a backfill child is one state machine, so
  a split job is refused at compile time (:class:`CompileError`).

Example:
    >>> from aloft import Definitions, asset, define_asset_job
    >>> from aloft.partitions import DailyPartitionsDefinition
    >>> @asset(partitions_def=DailyPartitionsDefinition("2026-01-01"))
    ... def events() -> int: return 1
    >>> defs = Definitions(assets=[events], jobs=[define_asset_job("daily", selection="*")])
    >>> backfill = compile_backfill(defs, "daily")
    >>> backfill.state_machine.name, backfill.ordered
    ('aloft-daily-backfill', False)
    >>> mapped = backfill.state_machine.definition["States"]["Partitions"]
    >>> mapped["ItemProcessor"]["ProcessorConfig"], mapped["ItemReader"]["Parameters"]
    ({'Mode': 'DISTRIBUTED', 'ExecutionType': 'STANDARD'}, {'Bucket.$': '$.backfill.manifest.Bucket', 'Key.$': '$.backfill.manifest.Key'})
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aloft.compiler import contract
from aloft.compiler.asl import (
    BooleanEquals,
    Branch,
    Catcher,
    Choice,
    ChoiceRule,
    Fail,
    Map,
    Parallel,
    State,
    StateMachine,
    Succeed,
    Task,
)
from aloft.compiler.backfill_order import PartitionOrder, partition_order
from aloft.compiler.compile import (
    AWS_MAX_HISTORY_EVENTS,
    CompiledJob,
    CompiledStateMachine,
    CompileOptions,
    compile_plan,
)
from aloft.compiler.estimate import ExecutionEstimate, estimate_machine
from aloft.compiler.exceptions import CompileError, LimitExceeded
from aloft.compiler.lowering import LAMBDA_INVOKE
from aloft.compiler.names import machine_name
from aloft.compiler.retries import TRANSIENT_LAMBDA_RETRIER

if TYPE_CHECKING:
    from aloft.definitions.definitions import Definitions
    from aloft.execution.plan import ExecutionPlan

__all__ = [
    "BACKFILL_MANIFEST_VERSION",
    "BackfillOptions",
    "CompiledBackfill",
    "compile_backfill",
    "compile_backfill_plan",
]

BACKFILL_MANIFEST_VERSION = 1

S3_GET_OBJECT = "arn:aws:states:::s3:getObject"
S3_PUT_OBJECT = "arn:aws:states:::s3:putObject"

# Step Functions runs at most 10,000 child executions of a Distributed Map at once.
MAX_CONCURRENCY = 10_000
_OUTCOME_PATH = "$.outcome"
_FAILED_PATH = "$.outcome.failed"
_PARTITION_PATH = "$.partition"
_ERROR_PATH = "$.error"


@dataclass(frozen=True)
class BackfillOptions:
    """How a backfill runs its partitions.

    ``max_concurrency``: child executions at once (the Lambda functions'
    concurrency is shared with every other run; an ordered backfill always
    runs one). ``tolerated_failure_percentage``: failed partitions (in
    percent) after which the map stops starting new ones; 100 runs every
    partition whatever fails, 0 stops at the first failure.

    Example:
        >>> BackfillOptions(tolerated_failure_percentage=0).max_concurrency
        100
    """

    max_concurrency: int = 100
    tolerated_failure_percentage: float = 100.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_concurrency <= MAX_CONCURRENCY:
            raise CompileError(
                f"max_concurrency must be between 1 and {MAX_CONCURRENCY:,} (Distributed Map's "
                f"limit), got {self.max_concurrency}"
            )
        if not 0 <= self.tolerated_failure_percentage <= 100:
            raise CompileError(
                "tolerated_failure_percentage must be between 0 and 100, got "
                f"{self.tolerated_failure_percentage}"
            )


@dataclass(frozen=True)
class CompiledBackfill:
    """The backfill state machine of one job, its manifest, and the job it runs per partition.

    Shaped like :class:`~aloft.compiler.CompiledJob` where deployment reads it
    (``job_name``, ``state_machines``, ``manifest["placeholders"]``), so the
    same code can deploy both.
    """

    job_name: str
    state_machine: CompiledStateMachine
    manifest: Mapping[str, Any]
    job: CompiledJob
    order: PartitionOrder
    per_partition: ExecutionEstimate

    @property
    def ordered(self) -> bool:
        """Whether the partitions run one at a time, in partition order."""
        return self.order.ordered

    @property
    def state_machines(self) -> tuple[CompiledStateMachine, ...]:
        """The one state machine (a tuple, like a compiled job's)."""
        return (self.state_machine,)

    def manifest_json(self) -> str:
        """Deterministic, pretty JSON of the manifest."""
        return json.dumps(self.manifest, sort_keys=True, indent=2) + "\n"

    def write(self, directory: str | Path) -> list[Path]:
        """Write ``<machine>.asl.json`` and ``<job>.backfill.manifest.json``; return the paths."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        asl_path = out / self.state_machine.file_name
        asl_path.write_text(self.state_machine.to_json())
        manifest_path = out / f"{self.job_name}.backfill.manifest.json"
        manifest_path.write_text(self.manifest_json())
        return [asl_path, manifest_path]


def compile_backfill(
    definitions: Definitions,
    job_name: str,
    options: CompileOptions | None = None,
    backfill: BackfillOptions | None = None,
) -> CompiledBackfill:
    """Compile the backfill state machine of the partitioned asset job ``job_name``."""
    from aloft.execution.plan import build_asset_plan

    keys = definitions.resolve_job_keys(job_name)
    plan = build_asset_plan(definitions.get_asset_graph(), keys, job_name)
    if not plan.steps:
        raise CompileError(
            f"job '{job_name}' selects no materializable asset; there is nothing to backfill"
        )
    return compile_backfill_plan(plan, options, backfill)


def compile_backfill_plan(
    plan: ExecutionPlan,
    options: CompileOptions | None = None,
    backfill: BackfillOptions | None = None,
) -> CompiledBackfill:
    """Compile the backfill state machine of an execution plan (see the module docstring)."""
    options = options or CompileOptions()
    backfill = backfill or BackfillOptions()
    order = partition_order(plan)
    job = compile_plan(plan, options)
    if job.layout == "split":
        raise CompileError(
            f"job '{plan.job_name}' is too large for one execution (it compiles to {len(job.parts)} "
            "parts), and each partition of a backfill runs as one child execution. Backfill smaller "
            "jobs (a selection of its assets each)"
        )
    child = _child(job, order)
    child_estimate = estimate_machine(StateMachine(child.start_at, child.states))
    if child_estimate.history_events > min(options.max_history_events, AWS_MAX_HISTORY_EVENTS):
        raise LimitExceeded(
            f"one partition of job '{plan.job_name}' would record about "
            f"{child_estimate.history_events:,} history events, over the budget of "
            f"{options.max_history_events:,}; backfill smaller jobs",
            limit="history_events",
            value=child_estimate.history_events,
            maximum=options.max_history_events,
        )
    concurrency = 1 if order.ordered else backfill.max_concurrency
    machine = _machine(job, child, order, concurrency, backfill, options)
    definition = machine.to_dict()
    # The parent records the map, not its children: measure it with an empty item processor.
    shell = _machine(job, Branch("Done", (Succeed("Done"),)), order, concurrency, backfill, options)
    parent = estimate_machine(shell)
    parent = ExecutionEstimate(
        parent.state_transitions,
        parent.history_events,
        parent.lambda_invocations,
        estimate_machine(machine, definition).definition_bytes,
    )
    if parent.definition_bytes > options.max_definition_bytes:
        raise LimitExceeded(
            f"the backfill state machine of job '{plan.job_name}' would be "
            f"{parent.definition_bytes:,} bytes, over the {options.max_definition_bytes:,}-byte "
            "budget (Step Functions allows 1 MB); backfill smaller jobs",
            limit="definition_bytes",
            value=parent.definition_bytes,
            maximum=options.max_definition_bytes,
        )
    compiled = CompiledStateMachine(
        name=machine_name(options.name_prefix, f"{plan.job_name}-backfill"),
        role="backfill",
        machine=machine,
        steps=job.entry.steps,
        estimate=parent,
        definition=definition,
    )
    manifest = _manifest(job, compiled, order, concurrency, backfill, child_estimate)
    return CompiledBackfill(plan.job_name, compiled, manifest, job, order, child_estimate)


def _gate(kind: str, job: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "FunctionName": contract.placeholder(contract.GATE_FUNCTION),
        "Payload": {"kind": kind, "job": job, **payload},
    }


def _child(job: CompiledJob, order: PartitionOrder) -> Branch:
    """One partition: record the run, run the job's own states, record how it ended."""
    name = job.job_name
    run = {
        "run.$": contract.RUN_PATH,
        "backfill_id.$": contract.BACKFILL_ID_PATH,
        "execution_arn.$": contract.EXECUTION_ID_PATH,
    }
    start_payload: dict[str, Any] = {**run, "selection.$": contract.BACKFILL_SELECTION_PATH}
    if order.ordered:
        start_payload["after_run_id.$"] = contract.BACKFILL_AFTER_RUN_PATH
    retry = (TRANSIENT_LAMBDA_RETRIER,)
    entry = job.entry.machine
    states: tuple[State, ...] = (
        Task(
            "PartitionStart",
            resource=LAMBDA_INVOKE,
            parameters=_gate(contract.EventKind.PARTITION_START, name, start_payload),
            result_selector={"proceed.$": "$.Payload.proceed"},
            result_path=_PARTITION_PATH,
            retry=retry,
            next="PartitionProceed",
        ),
        Choice(
            "PartitionProceed",
            choices=(ChoiceRule(BooleanEquals(f"{_PARTITION_PATH}.proceed", False), "PartitionSkipped"),),
            default="PartitionRun",
        ),
        Fail(
            "PartitionSkipped",
            error=contract.ERROR_PARTITION_SKIPPED,
            cause="the partition before this one did not succeed, and this one reads it",
        ),
        Parallel(
            "PartitionRun",
            branches=(Branch(entry.start_at, entry.states),),
            result_path=None,
            catch=(Catcher(("States.ALL",), "PartitionFailed", result_path=_ERROR_PATH),),
            next="PartitionSucceeded",
        ),
        Task(
            "PartitionSucceeded",
            resource=LAMBDA_INVOKE,
            parameters=_gate(contract.EventKind.PARTITION_END, name, {**run, "failed": False}),
            result_path=None,
            retry=retry,
            next="PartitionDone",
        ),
        Task(
            "PartitionFailed",
            resource=LAMBDA_INVOKE,
            parameters=_gate(
                contract.EventKind.PARTITION_END,
                name,
                {**run, "failed": True, "error.$": _ERROR_PATH},
            ),
            result_path=None,
            retry=retry,
            catch=(Catcher(("States.ALL",), "PartitionStopped", result_path=None),),
            next="PartitionStopped",
        ),
        Succeed("PartitionDone", output_path=contract.RUN_PATH),
        Fail(
            "PartitionStopped",
            error=contract.ERROR_RUN_FAILED,
            cause="one or more steps of this partition failed; the run's step events say which and why",
        ),
    )
    return Branch("PartitionStart", states)


def _item_selector(order: PartitionOrder) -> dict[str, Any]:
    item = contract.ITEM_PATH
    backfill: dict[str, Any] = {
        "backfill_id.$": contract.BACKFILL_ID_PATH,
        "selection.$": contract.BACKFILL_SELECTION_PATH,
    }
    if order.ordered:
        backfill["after_run_id.$"] = f"{item}.after_run_id"
    return {
        "run": {
            "run_id.$": f"{item}.run_id",
            "partition_key.$": f"{item}.partition_key",
            "skip.$": contract.BACKFILL_SKIP_PATH,
        },
        "failed": False,
        "backfill": backfill,
    }


def _machine(
    job: CompiledJob,
    child: Branch,
    order: PartitionOrder,
    concurrency: int,
    backfill: BackfillOptions,
    options: CompileOptions,
) -> StateMachine:
    how = "in partition order, one at a time" if order.ordered else f"up to {concurrency} at a time"
    states: tuple[State, ...] = (
        Map(
            "Partitions",
            processor=child,
            mode="DISTRIBUTED",
            execution_type="STANDARD",
            item_reader={
                "Resource": S3_GET_OBJECT,
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {
                    "Bucket.$": contract.MANIFEST_BUCKET_PATH,
                    "Key.$": contract.MANIFEST_KEY_PATH,
                },
            },
            item_selector=_item_selector(order),
            result_writer={
                "Resource": S3_PUT_OBJECT,
                "Parameters": {
                    "Bucket.$": contract.RESULTS_BUCKET_PATH,
                    "Prefix.$": contract.RESULTS_PREFIX_PATH,
                },
            },
            label="Partition",
            max_concurrency=concurrency,
            tolerated_failure_percentage=backfill.tolerated_failure_percentage,
            result_path="$.map",
            catch=(Catcher(("States.ALL",), "Summarize", result_path="$.map_error"),),
            next="Summarize",
        ),
        Task(
            "Summarize",
            resource=LAMBDA_INVOKE,
            parameters=_gate(
                contract.EventKind.BACKFILL_DONE,
                job.job_name,
                {"backfill_id.$": contract.BACKFILL_ID_PATH},
            ),
            result_selector={"failed.$": "$.Payload.failed"},
            result_path=_OUTCOME_PATH,
            retry=(TRANSIENT_LAMBDA_RETRIER,),
            next="Outcome",
        ),
        Choice(
            "Outcome",
            choices=(ChoiceRule(BooleanEquals(_FAILED_PATH, True), "BackfillFailed"),),
            default="BackfillSucceeded",
        ),
        Fail(
            "BackfillFailed",
            error=contract.ERROR_BACKFILL_FAILED,
            cause="one or more partitions did not succeed; the backfill record says which",
        ),
        Succeed("BackfillSucceeded"),
    )
    machine = StateMachine(
        start_at="Partitions",
        states=states,
        comment=f"aloft backfill of job '{job.job_name}': one child execution per partition, {how}",
    )
    machine.validate()
    return machine


def _manifest(
    job: CompiledJob,
    compiled: CompiledStateMachine,
    order: PartitionOrder,
    concurrency: int,
    backfill: BackfillOptions,
    child: ExecutionEstimate,
) -> dict[str, Any]:
    # The child runs the job's own states: the same functions (run_step of every size, gate).
    placeholders = dict(job.manifest["placeholders"])
    return {
        "manifest_version": BACKFILL_MANIFEST_VERSION,
        "kind": "backfill",
        "job": job.job_name,
        "state_machine": compiled.name,
        "file": compiled.file_name,
        "job_state_machine": job.entry.name,
        "ordered": order.ordered,
        "order": order.describe(),
        "max_concurrency": concurrency,
        "tolerated_failure_percentage": backfill.tolerated_failure_percentage,
        "placeholders": placeholders,
        "steps": {key: info["assets"] for key, info in job.manifest["steps"].items()},
        "input_example": contract.build_backfill_input(
            "BACKFILL_ID",
            bucket="DATA_BUCKET",
            manifest_key="tmp/backfills/BACKFILL_ID/partitions.json",
            results_prefix="tmp/backfills/BACKFILL_ID/results",
        ),
        "item_example": contract.backfill_item(
            "PARTITION_KEY",
            "RUN_ID",
            ordered=order.ordered,
            after_run_id="RUN_ID_OF_THE_PARTITION_BEFORE" if order.ordered else None,
        ),
        "permissions": {
            "state_machine_role": [
                "lambda:InvokeFunction on every function in placeholders",
                "s3:GetObject on the data bucket's tmp/backfills/* (ItemReader: the manifest)",
                "s3:PutObject, s3:GetObject, s3:ListMultipartUploadParts, s3:AbortMultipartUpload "
                "on the data bucket's tmp/backfills/* (ResultWriter)",
                "states:StartExecution on this state machine (the map's child executions)",
                "states:DescribeExecution, states:StopExecution on execution:<this machine>:*",
                "states:RedriveExecution on execution:<this machine>/Partition:* (redriving the map run)",
            ],
            "launcher": [
                "s3:PutObject on the data bucket's tmp/backfills/*",
                "states:StartExecution on this state machine",
                "dynamodb writes of the state table (the backfill record)",
            ],
        },
        "estimate": {
            "execution": compiled.estimate.to_json(),
            "per_partition": child.to_json(),
        },
    }
