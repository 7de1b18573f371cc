"""``compile_job``: an asset job -> Step Functions state machine definitions + a manifest.

Pure: no environment, no AWS client, no clock. The same definitions always
give byte-identical output, so golden files and diffs work.

Example:
    >>> from aloft import Definitions, asset, define_asset_job
    >>> @asset
    ... def a() -> int: return 1
    >>> @asset
    ... def b(a: int) -> int: return a + 1
    >>> defs = Definitions(assets=[a, b], jobs=[define_asset_job("ab", selection="*")])
    >>> job = compile_job(defs, "ab")
    >>> job.layout, [m.name for m in job.state_machines]
    ('series-parallel', ['aloft-ab'])
    >>> job.entry.definition["StartAt"]
    'Selected_a'
"""

from __future__ import annotations

import gc
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aloft.compiler import contract
from aloft.compiler.asl import Retrier, StateMachine
from aloft.compiler.contract import StepSize
from aloft.compiler.estimate import ExecutionEstimate, estimate_machine
from aloft.compiler.exceptions import CompileError, LimitExceeded
from aloft.compiler.layout import (
    Block,
    block_keys,
    layered_layout,
    series_parallel_layout,
    split_layout,
)
from aloft.compiler.lowering import LoweringContext, lower_job, lower_part, lower_split_entry
from aloft.compiler.names import machine_name
from aloft.compiler.retries import user_retrier
from aloft.compiler.topology import StepGraph

if TYPE_CHECKING:
    from aloft.definitions.definitions import Definitions
    from aloft.execution.plan import ExecutionPlan

__all__ = [
    "MANIFEST_VERSION",
    "CompileOptions",
    "CompiledJob",
    "CompiledStateMachine",
    "compile_job",
    "compile_plan",
]

MANIFEST_VERSION = 1

# Step Functions' hard quotas.
AWS_MAX_DEFINITION_BYTES = 1_048_576
AWS_MAX_HISTORY_EVENTS = 25_000

# Every step costs at least a Choice and a Task: 7 history events.
_MIN_EVENTS_PER_STEP = 7
# A gated step in a split part costs up to 13 events and about 2.5 KB of definition.
_MAX_EVENTS_PER_STEP = 14
_BYTES_PER_STEP = 2_600

Layout = Literal["series-parallel", "layers", "split"]


@dataclass(frozen=True)
class CompileOptions:
    """How to compile a job.

    ``max_history_events`` is the budget for one execution's happy path:
    well under Step Functions' hard 25,000 so retries and failure handling
    fit too. A job over budget is split into parts run as child executions.

    ``step_sizes`` gives steps (by step key) a ``run_step`` function of their own
    memory and timeout: their ``Run_`` tasks call ``${RunStepFunctionArn_<MB>_<s>}``,
    one placeholder per distinct size, listed in the manifest. Steps not named
    there call the default ``${RunStepFunctionArn}``.

    Example:
        >>> CompileOptions(layout="layers").layout
        'layers'
        >>> CompileOptions(step_sizes={"big": StepSize(memory_mb=4096, timeout_seconds=900)}).step_sizes
        {'big': StepSize(memory_mb=4096, timeout_seconds=900)}
    """

    layout: Literal["auto", "layers"] = "auto"
    name_prefix: str = "aloft"
    timeout_seconds: int | None = 24 * 3600
    max_history_events: int = 10_000
    max_definition_bytes: int = 1_000_000
    max_steps_per_part: int | None = None
    step_sizes: Mapping[str, StepSize] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for key, size in self.step_sizes.items():
            if not isinstance(size, StepSize):
                raise CompileError(
                    f"step_sizes['{key}'] must be a StepSize(memory_mb=..., timeout_seconds=...), "
                    f"not {size!r}"
                )
        if self.max_history_events > AWS_MAX_HISTORY_EVENTS:
            raise CompileError(
                f"max_history_events must be <= {AWS_MAX_HISTORY_EVENTS} (Step Functions' quota)"
            )
        if self.max_definition_bytes > AWS_MAX_DEFINITION_BYTES:
            raise CompileError(
                f"max_definition_bytes must be <= {AWS_MAX_DEFINITION_BYTES} (Step Functions' quota)"
            )


@dataclass(frozen=True)
class CompiledStateMachine:
    """One state machine of a compiled job, with its estimate."""

    name: str
    role: Literal["entry", "part", "backfill"]
    machine: StateMachine
    steps: tuple[str, ...]
    estimate: ExecutionEstimate
    definition: dict[str, Any]
    placeholder: str | None = None

    @classmethod
    def build(
        cls,
        name: str,
        role: Literal["entry", "part", "backfill"],
        machine: StateMachine,
        steps: tuple[str, ...],
        placeholder: str | None = None,
    ) -> CompiledStateMachine:
        """Measure ``machine`` and wrap it."""
        definition = machine.to_dict()
        estimate = estimate_machine(machine, definition)
        return cls(name, role, machine, steps, estimate, definition, placeholder)

    def to_json(self) -> str:
        """Deterministic, pretty JSON (what ``aloft compile`` writes)."""
        return json.dumps(self.definition, sort_keys=True, indent=2) + "\n"

    @property
    def file_name(self) -> str:
        """``<name>.asl.json``."""
        return f"{self.name}.asl.json"

    def render(self, substitutions: Mapping[str, str]) -> str:
        """The definition with ``${Placeholders}`` replaced (what the CDK deploys)."""
        text = json.dumps(self.definition, sort_keys=True, separators=(",", ":"))
        for name, value in substitutions.items():
            text = text.replace(contract.placeholder(name), value)
        if "${" in text:
            missing = sorted({part.split("}")[0] for part in text.split("${")[1:]})
            raise CompileError(f"state machine '{self.name}' still has placeholders {missing}")
        return text


@dataclass(frozen=True)
class CompiledJob:
    """The state machines of one job (the entry first) and its manifest."""

    job_name: str
    layout: Layout
    state_machines: tuple[CompiledStateMachine, ...]
    manifest: Mapping[str, Any]
    warnings: tuple[str, ...] = ()

    @property
    def entry(self) -> CompiledStateMachine:
        """The state machine a run starts."""
        return self.state_machines[0]

    @property
    def parts(self) -> tuple[CompiledStateMachine, ...]:
        """The parts of a split job (empty otherwise)."""
        return self.state_machines[1:]

    def manifest_json(self) -> str:
        """Deterministic, pretty JSON of the manifest."""
        return json.dumps(self.manifest, sort_keys=True, indent=2) + "\n"

    def write(self, directory: str | Path) -> list[Path]:
        """Write one ``.asl.json`` per state machine and ``<job>.manifest.json``; return the paths."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for machine in self.state_machines:
            path = out / machine.file_name
            path.write_text(machine.to_json())
            paths.append(path)
        manifest = out / f"{self.job_name}.manifest.json"
        manifest.write_text(self.manifest_json())
        paths.append(manifest)
        return paths


def compile_job(
    definitions: Definitions, job_name: str, options: CompileOptions | None = None
) -> CompiledJob:
    """Compile the asset job ``job_name`` of ``definitions``."""
    from aloft.execution.plan import build_asset_plan

    keys = definitions.resolve_job_keys(job_name)
    plan = build_asset_plan(definitions.get_asset_graph(), keys, job_name)
    if not plan.steps:
        raise CompileError(
            f"job '{job_name}' selects no materializable asset; there is nothing to compile"
        )
    return compile_plan(plan, options)


def compile_plan(plan: ExecutionPlan, options: CompileOptions | None = None) -> CompiledJob:
    """Compile an execution plan (the steps of a job and their dependencies)."""
    options = options or CompileOptions()
    graph = StepGraph.from_parents(
        {key: sorted(step.upstream_steps) for key, step in plan.steps.items()}
    )
    for key in graph.order:
        contract.check_step_key(key)
    retriers: dict[str, Retrier] = {}
    warnings: list[str] = []
    for key, step in plan.steps.items():
        retrier, notes = user_retrier(step.node.retry_policy)
        if retrier is not None:
            retriers[key] = retrier
        warnings.extend(f"step '{key}': {note}" for note in notes)
    compiler = _JobCompiler(plan.job_name, graph, retriers, options)
    # Compiling allocates hundreds of thousands of small objects and frees none of them
    # until the end: collecting garbage meanwhile only costs time (30-40% on big jobs).
    collecting = gc.isenabled()
    gc.disable()
    try:
        machines, layout, parts_of = compiler.compile()
    finally:
        if collecting:
            gc.enable()
    sizes = {key: options.step_sizes[key] for key in graph.order if key in options.step_sizes}
    manifest = _manifest(plan, graph, machines, layout, parts_of, retriers, warnings, sizes)
    return CompiledJob(plan.job_name, layout, tuple(machines), manifest, tuple(warnings))


class _JobCompiler:
    def __init__(
        self,
        job_name: str,
        graph: StepGraph,
        retriers: Mapping[str, Retrier],
        options: CompileOptions,
    ) -> None:
        self.job_name = job_name
        self.graph = graph
        self.retriers = retriers
        self.options = options

    def context(self, comment: str) -> LoweringContext:
        return LoweringContext(
            job_name=self.job_name,
            retriers=self.retriers,
            timeout_seconds=self.options.timeout_seconds,
            comment=comment,
            step_functions={
                key: contract.run_step_placeholder_name(size)
                for key, size in self.options.step_sizes.items()
            },
        )

    def fits(self, estimate: ExecutionEstimate) -> bool:
        return (
            estimate.history_events <= self.options.max_history_events
            and estimate.definition_bytes <= self.options.max_definition_bytes
        )

    def single(self, layout: Block, description: str) -> CompiledStateMachine:
        steps = len(self.graph)
        machine = lower_job(
            layout, self.context(f"aloft job '{self.job_name}': {steps} steps, {description}")
        )
        return CompiledStateMachine.build(
            machine_name(self.options.name_prefix, self.job_name),
            "entry",
            machine,
            tuple(self.graph.order),
        )

    def compile(self) -> tuple[list[CompiledStateMachine], Layout, dict[str, int]]:
        steps = len(self.graph)
        if self.options.layout == "layers":
            machine = self.single(layered_layout(self.graph), "one Parallel per topological level")
            self.check(machine)
            return [machine], "layers", {}
        forced = self.options.max_steps_per_part is not None
        if not forced and steps * _MIN_EVENTS_PER_STEP <= self.options.max_history_events:
            machine = self.single(
                series_parallel_layout(self.graph), "series-parallel with gated chains"
            )
            if self.fits(machine.estimate):
                return [machine], "series-parallel", {}
        return self.split()

    def split(self) -> tuple[list[CompiledStateMachine], Layout, dict[str, int]]:
        options = self.options
        capacity = options.max_steps_per_part or self.measured_capacity()
        groups: list[Sequence[Block]] = list(split_layout(self.graph, capacity))
        machines: list[CompiledStateMachine] = []
        while groups:
            branches = groups.pop(0)
            machine = self.part(len(machines) + 1, branches)
            if self.fits(machine.estimate) or len(branches) == 1:
                machines.append(machine)
            else:  # this part has more gates than the measured one: halve it
                half = len(branches) // 2
                groups[:0] = [branches[:half], branches[half:]]
        entry_machine = lower_split_entry(
            len(machines),
            self.context(
                f"aloft job '{self.job_name}': {len(self.graph)} steps in {len(machines)} parts"
            ),
        )
        entry = CompiledStateMachine.build(
            machine_name(options.name_prefix, self.job_name), "entry", entry_machine, ()
        )
        result = [entry, *machines]
        for machine in result:
            self.check(machine)
        parts_of = {key: i for i, m in enumerate(machines, start=1) for key in m.steps}
        return result, "split", parts_of

    def measured_capacity(self) -> int:
        """Steps per part, from the measured cost of a trial part (names and gates vary by job)."""
        options = self.options
        guess = max(
            1,
            min(
                options.max_history_events // _MAX_EVENTS_PER_STEP,
                options.max_definition_bytes // _BYTES_PER_STEP,
            ),
        )
        trial = self.part(1, split_layout(self.graph, guess)[0])
        steps = len(trial.steps)
        per_event = trial.estimate.history_events / steps
        per_byte = trial.estimate.definition_bytes / steps
        # headroom: other parts have more gates (bigger, more events) than the trial one
        fitted = 0.85 * min(
            options.max_history_events / per_event, options.max_definition_bytes / per_byte
        )
        return max(1, int(fitted))

    def part(self, index: int, branches: Sequence[Block]) -> CompiledStateMachine:
        keys = tuple(key for branch in branches for key in block_keys(branch))
        comment = f"aloft job '{self.job_name}': part {index}, {len(keys)} steps"
        machine = lower_part(branches, self.context(comment))
        return CompiledStateMachine.build(
            machine_name(self.options.name_prefix, self.job_name, index),
            "part",
            machine,
            keys,
            contract.part_placeholder_name(index),
        )

    def check(self, machine: CompiledStateMachine) -> None:
        estimate, options = machine.estimate, self.options
        if estimate.definition_bytes > options.max_definition_bytes:
            raise LimitExceeded(
                f"state machine '{machine.name}' would be {estimate.definition_bytes:,} bytes, over the "
                f"{options.max_definition_bytes:,}-byte budget (Step Functions allows 1 MB); "
                "split the job into smaller jobs",
                limit="definition_bytes",
                value=estimate.definition_bytes,
                maximum=options.max_definition_bytes,
            )
        if estimate.history_events > options.max_history_events:
            raise LimitExceeded(
                f"one execution of '{machine.name}' would record about {estimate.history_events:,} history "
                f"events, over the budget of {options.max_history_events:,} (Step Functions fails an "
                "execution at 25,000); use the default layout, which splits large jobs",
                limit="history_events",
                value=estimate.history_events,
                maximum=options.max_history_events,
            )


def _gates(machines: Sequence[CompiledStateMachine]) -> dict[str, tuple[str, ...]]:
    from aloft.compiler import asl

    gates: dict[str, tuple[str, ...]] = {}
    for machine in machines:
        for state in machine.machine.root.walk():
            if isinstance(state, asl.Task) and state.name.startswith("Gate_") and state.parameters:
                payload = state.parameters["Payload"]
                gates[payload["step"]] = tuple(payload["upstream"])
    return gates


def _manifest(
    plan: ExecutionPlan,
    graph: StepGraph,
    machines: Sequence[CompiledStateMachine],
    layout: Layout,
    parts_of: Mapping[str, int],
    retriers: Mapping[str, Retrier],
    warnings: Sequence[str],
    step_sizes: Mapping[str, StepSize],
) -> dict[str, Any]:
    entry = machines[0]
    gates = _gates(machines)
    steps: dict[str, Any] = {}
    for key in graph.order:
        step = plan.steps[key]
        retrier = retriers.get(key)
        steps[key] = {
            "assets": [asset.to_user_string() for asset in step.asset_keys],
            "upstream": list(graph.parents[key]),
            "gated": key in gates,
            "state_machine": machines[parts_of[key]].name if key in parts_of else entry.name,
            "partitioned": step.partitions_def is not None,
            "retry": retrier.to_json() if retrier else None,
        }
    placeholders: dict[str, Any] = {
        contract.RUN_STEP_FUNCTION: {"kind": "lambda", "function": "run_step"},
        contract.GATE_FUNCTION: {"kind": "lambda", "function": "gate"},
    }
    for size in sorted(set(step_sizes.values())):
        placeholders[contract.run_step_placeholder_name(size)] = {
            "kind": "lambda",
            "function": "run_step",
            "memory_mb": size.memory_mb,
            "timeout_seconds": size.timeout_seconds,
        }
    for machine in machines[1:]:
        assert machine.placeholder is not None
        placeholders[machine.placeholder] = {"kind": "state_machine", "state_machine": machine.name}
    transitions = sum(m.estimate.state_transitions for m in machines)
    events = sum(m.estimate.history_events for m in machines)
    invocations = sum(m.estimate.lambda_invocations for m in machines)
    count = len(graph)
    partitioned = any(s.partitions_def is not None for s in plan.steps.values())
    return {
        "manifest_version": MANIFEST_VERSION,
        "job": plan.job_name,
        "layout": layout,
        "entry_state_machine": entry.name,
        "state_machines": [
            {
                "name": m.name,
                "role": m.role,
                "file": m.file_name,
                "placeholder": m.placeholder,
                "steps": len(m.steps),
                "estimate": m.estimate.to_json(),
            }
            for m in machines
        ],
        "placeholders": placeholders,
        "functions": {
            "run_step": {
                "handler": "functions/run_step/handler.handler",
                "events": ["run", "crashed"],
            },
            "gate": {
                "handler": "functions/gate/handler.handler",
                "events": ["wait", "start_part", "report"],
            },
            "run_status": {
                "handler": "functions/run_status/handler.handler",
                "trigger": "EventBridge: aws.states 'Step Functions Execution Status Change'",
            },
        },
        "partitioned": partitioned,
        "input_example": contract.build_run_input(
            "RUN_ID", partition_key="PARTITION_KEY" if partitioned else None
        ),
        "steps": steps,
        "estimate": {
            "steps": count,
            "gated_steps": len(gates),
            "state_transitions": transitions,
            "history_events": events,
            "lambda_invocations": invocations,
            "transitions_per_step": round(transitions / count, 2),
            "history_events_per_step": round(events / count, 2),
            "max_history_events_per_execution": max(m.estimate.history_events for m in machines),
        },
        "warnings": list(warnings),
    }
