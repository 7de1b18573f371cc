"""Lowering: turn a layout (blocks) into ASL states.

Per step (``k``), in the branch that runs it:

- ``Selected_k`` (Choice): a step the run does not select (``$.run.skip``)
  is passed over, to what follows it;
- ``Gate_k`` (Task, ``lambda:invoke.waitForTaskToken``), only for a step with
  an upstream in another branch: registers a task token, which is sent back
  once every upstream has succeeded (or failed, to skip the step);
- ``Run_k`` (Task, ``lambda:invoke``): materializes the step (``run_step``;
  a step with its own size calls the ``run_step`` function of that size).
  The step's ``RetryPolicy`` retries ``AloftStepRetry``; Lambda's transient
  errors are always retried. ``AloftStepFailed`` (already recorded) ends the
  branch; any other error (a crash, a timeout) goes through ``Crashed_k``
  (a Pass naming the step) to the branch's ``RecordCrash_...`` task, which
  records the failure and releases the downstream as "upstream failed".

Failures never fail a Parallel (that would cancel independent branches):
a failing branch ends normally with output ``true``; a successful branch
outputs ``false``. Each Parallel joins its branches into
``$.joined.failed`` with ``States.ArrayContains``; the following Choice
(``Joined_...``) stops the enclosing branch, or ends the execution in the
``RunFailed`` Fail state at the top. The payload stays the small execution
input throughout: branch outputs are single booleans.

Example:
    >>> from aloft.compiler.layout import StepBlock
    >>> machine = lower_job(StepBlock("orders"), LoweringContext(job_name="daily"))
    >>> sorted(state.name for state in machine.root.walk())
    ['Crashed_orders', 'RecordCrash_orders_1', 'RunFailed', 'RunSucceeded', 'Run_orders', 'Selected_orders']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aloft.compiler import asl
from aloft.compiler.asl import (
    BooleanEquals,
    Branch,
    Catcher,
    Choice,
    ChoiceRule,
    Fail,
    IsPresent,
    Pass,
    Retrier,
    State,
    StateMachine,
    Succeed,
    Task,
)
from aloft.compiler.contract import (
    ERROR_RUN_FAILED,
    ERROR_STEP_FAILED,
    ERROR_UPSTREAM_FAILED,
    FAILED_PATH,
    GATE_FUNCTION,
    JOINED_FAILED_PATH,
    PARENT_TOKEN_PATH,
    RETRY_COUNT_PATH,
    RUN_ID_PATH,
    RUN_PATH,
    RUN_STEP_FUNCTION,
    TASK_TOKEN_PATH,
    EventKind,
    part_placeholder_name,
    placeholder,
    skip_path,
)
from aloft.compiler.exceptions import CompileError
from aloft.compiler.layout import Block, ParallelBlock, SequenceBlock, StepBlock, block_keys
from aloft.compiler.names import state_name
from aloft.compiler.retries import TRANSIENT_LAMBDA_RETRIER

__all__ = ["LoweringContext", "lower_job", "lower_part", "lower_split_entry"]

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
LAMBDA_INVOKE_WAIT = "arn:aws:states:::lambda:invoke.waitForTaskToken"

# A join: did any branch fail? (branches output a single boolean each)
_JOIN_SELECTOR = {"failed.$": "States.ArrayContains($, true)"}
_JOINED = "$.joined"
ERROR_PATH = "$.error"
CRASHED_STEP_PATH = "$.crashed_step"


@dataclass(frozen=True)
class LoweringContext:
    """What lowering needs besides the layout: the job, retriers per step, timeouts.

    ``step_functions`` names the ``run_step`` placeholder of each step that runs
    on a function of its own size; other steps use ``RUN_STEP_FUNCTION``.
    """

    job_name: str
    retriers: Mapping[str, Retrier] = field(default_factory=dict)
    timeout_seconds: int | None = None
    comment: str | None = None
    step_functions: Mapping[str, str] = field(default_factory=dict)

    def run_step_function(self, step_key: str) -> str:
        """The placeholder of the function that materializes ``step_key``."""
        return self.step_functions.get(step_key, RUN_STEP_FUNCTION)


def _run_ref() -> dict[str, Any]:
    # the run object of the input: ids, partition key, unselected steps (never data)
    return {"run.$": RUN_PATH}


def _invoke(function: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    return {"FunctionName": placeholder(function), "Payload": dict(payload)}


class _Scope:
    """The states of one branch (or of the whole machine) and its two exits."""

    def __init__(self, kind: Literal["machine", "branch"], label: tuple[str, int]) -> None:
        self.kind = kind
        self.label = label
        self.states: list[State] = []
        self._failure: str | None = None
        self._done: str | None = None
        self._crash: str | None = None
        self.job_name = ""

    def failure(self) -> str:
        """Where a failure inside this scope goes."""
        if self._failure is None:
            self._failure = (
                "RunFailed" if self.kind == "machine" else state_name("Stop", *self.label)
            )
        return self._failure

    def done(self) -> str:
        """Where a skipped step at the very end of this scope goes."""
        if self._done is None:
            self._done = (
                "RunSucceeded" if self.kind == "machine" else state_name("Done", *self.label)
            )
        return self._done

    def crash(self) -> str:
        """The task that records a crashed step of this scope (named by ``$.crashed_step``)."""
        if self._crash is None:
            self._crash = state_name("RecordCrash", *self.label)
        return self._crash

    def exits(self) -> list[State]:
        states: list[State] = []
        if self._crash is not None:
            states.append(
                Task(
                    self._crash,
                    resource=LAMBDA_INVOKE,
                    parameters=_invoke(
                        RUN_STEP_FUNCTION,
                        {
                            "kind": EventKind.CRASHED,
                            "job": self.job_name,
                            "step.$": CRASHED_STEP_PATH,
                            **_run_ref(),
                            "error.$": ERROR_PATH,
                        },
                    ),
                    result_path=None,
                    retry=(TRANSIENT_LAMBDA_RETRIER,),
                    catch=(Catcher(("States.ALL",), self.failure(), result_path=None),),
                    next=self.failure(),
                )
            )
        if self._failure is not None:
            if self.kind == "machine":
                states.append(
                    Fail(
                        self._failure,
                        error=ERROR_RUN_FAILED,
                        cause="one or more steps failed; the run's step events say which and why",
                    )
                )
            else:
                states.append(Pass(self._failure, result=True, end=True))
        if self._done is not None:
            output = asl.KEEP_INPUT if self.kind == "machine" else FAILED_PATH
            states.append(Succeed(self._done, output_path=output))
        return states


class _Lowerer:
    def __init__(self, context: LoweringContext) -> None:
        self.context = context

    def label(self, block: Block) -> tuple[str, int]:
        keys = list(block_keys(block))
        return (keys[0], len(keys))

    def lower(self, block: Block, scope: _Scope, next_: str | None) -> str:
        if isinstance(block, StepBlock):
            return self.step(block, scope, next_)
        if isinstance(block, SequenceBlock):
            entry = next_
            for item in reversed(block.items):
                entry = self.lower(item, scope, entry)
            assert entry is not None
            return entry
        return self.parallel(block, scope, next_)

    def scope(self, kind: Literal["machine", "branch"], block: Block) -> _Scope:
        scope = _Scope(kind, self.label(block))
        scope.job_name = self.context.job_name
        return scope

    def branch(self, block: Block) -> Branch:
        scope = self.scope("branch", block)
        entry = self.lower(block, scope, None)
        return Branch(entry, tuple(scope.states + scope.exits()))

    def parallel(self, block: ParallelBlock, scope: _Scope, next_: str | None) -> str:
        first, size = self.label(block)
        name = state_name("Fork", first, size)
        branches = tuple(self.branch(b) for b in block.branches)
        if next_ is None and scope.kind == "branch":
            # Last in its branch: the branch's output is the join itself.
            scope.states.append(
                asl.Parallel(
                    name,
                    branches=branches,
                    result_selector=_JOIN_SELECTOR,
                    result_path=_JOINED,
                    output_path=JOINED_FAILED_PATH,
                    end=True,
                )
            )
            return name
        check = state_name("Joined", first, size)
        scope.states.append(
            asl.Parallel(
                name,
                branches=branches,
                result_selector=_JOIN_SELECTOR,
                result_path=_JOINED,
                next=check,
            )
        )
        scope.states.append(
            Choice(
                check,
                choices=(ChoiceRule(BooleanEquals(JOINED_FAILED_PATH, True), scope.failure()),),
                default=next_ or scope.done(),
            )
        )
        return name

    def step(self, block: StepBlock, scope: _Scope, next_: str | None) -> str:
        key = block.key
        job = self.context.job_name
        run_name = state_name("Run", key)
        crashed_name = state_name("Crashed", key)
        gate_name = state_name("Gate", key) if block.gate_upstream is not None else None
        user_retrier = self.context.retriers.get(key)
        retry = (TRANSIENT_LAMBDA_RETRIER,) + ((user_retrier,) if user_retrier else ())
        last_in_branch = next_ is None and scope.kind == "branch"
        scope.states.append(
            Task(
                run_name,
                resource=LAMBDA_INVOKE,
                parameters=_invoke(
                    self.context.run_step_function(key),
                    {
                        "kind": EventKind.RUN,
                        "job": job,
                        "step": key,
                        **_run_ref(),
                        "retry_count.$": RETRY_COUNT_PATH,
                    },
                ),
                result_path=None,
                output_path=FAILED_PATH if last_in_branch else asl.KEEP_INPUT,
                retry=retry,
                catch=(
                    Catcher((ERROR_STEP_FAILED,), scope.failure(), result_path=None),
                    Catcher(("States.ALL",), crashed_name, result_path=ERROR_PATH),
                ),
                next=next_,
                end=next_ is None,
            )
        )
        # A crash names its step, then goes to the scope's one recording task.
        scope.states.append(
            Pass(crashed_name, result=key, result_path=CRASHED_STEP_PATH, next=scope.crash())
        )
        entry = run_name
        if gate_name is not None:
            assert block.gate_upstream is not None
            scope.states.append(
                Task(
                    gate_name,
                    resource=LAMBDA_INVOKE_WAIT,
                    parameters=_invoke(
                        GATE_FUNCTION,
                        {
                            "kind": EventKind.WAIT,
                            "job": job,
                            "step": key,
                            "upstream": list(block.gate_upstream),
                            **_run_ref(),
                            "token.$": TASK_TOKEN_PATH,
                        },
                    ),
                    result_path=None,
                    retry=(TRANSIENT_LAMBDA_RETRIER,),
                    catch=(
                        Catcher((ERROR_UPSTREAM_FAILED,), scope.failure(), result_path=None),
                        Catcher(("States.ALL",), crashed_name, result_path=ERROR_PATH),
                    ),
                    next=run_name,
                )
            )
            entry = gate_name
        selected_name = state_name("Selected", key)
        scope.states.append(
            Choice(
                selected_name,
                choices=(ChoiceRule(IsPresent(skip_path(key)), next_ or scope.done()),),
                default=entry,
            )
        )
        return selected_name


def _machine(entry: str, states: Sequence[State], context: LoweringContext) -> StateMachine:
    machine = StateMachine(
        start_at=entry,
        states=tuple(states),
        comment=context.comment,
        timeout_seconds=context.timeout_seconds,
    )
    machine.validate()
    return machine


def lower_job(layout: Block, context: LoweringContext) -> StateMachine:
    """The state machine that runs ``layout`` in one execution."""
    lowerer = _Lowerer(context)
    scope = lowerer.scope("machine", layout)
    entry = lowerer.lower(layout, scope, None)
    return _machine(entry, scope.states + scope.exits(), context)


def lower_part(branches: Sequence[Block], context: LoweringContext) -> StateMachine:
    """The state machine of one part of a split job: its chains, then a report to the parent."""
    if not branches:
        raise CompileError("a part of a split job needs at least one branch")
    lowerer = _Lowerer(context)
    states: list[State] = [
        asl.Parallel(
            "Chains",
            branches=tuple(lowerer.branch(b) for b in branches),
            result_selector=_JOIN_SELECTOR,
            result_path=_JOINED,
            next="Report",
        ),
        Task(
            "Report",
            resource=LAMBDA_INVOKE,
            parameters=_invoke(
                GATE_FUNCTION,
                {
                    "kind": EventKind.REPORT,
                    "job": context.job_name,
                    "run_id.$": RUN_ID_PATH,
                    "token.$": PARENT_TOKEN_PATH,
                    "failed.$": JOINED_FAILED_PATH,
                },
            ),
            result_path=None,
            retry=(TRANSIENT_LAMBDA_RETRIER,),
            catch=(Catcher(("States.ALL",), "Outcome", result_path=None),),
            next="Outcome",
        ),
        Choice(
            "Outcome",
            choices=(ChoiceRule(BooleanEquals(JOINED_FAILED_PATH, True), "PartFailed"),),
            default="PartSucceeded",
        ),
        Fail("PartFailed", error=ERROR_RUN_FAILED, cause="one or more steps of this part failed"),
        Succeed("PartSucceeded"),
    ]
    return _machine("Chains", states, context)


def lower_split_entry(part_count: int, context: LoweringContext) -> StateMachine:
    """The entry state machine of a split job: start every part, wait for their reports, join."""
    branches: list[Branch] = []
    for index in range(1, part_count + 1):
        start = f"StartPart{index}"
        stop = f"PartStopped{index}"
        task = Task(
            start,
            resource=LAMBDA_INVOKE_WAIT,
            parameters=_invoke(
                GATE_FUNCTION,
                {
                    "kind": EventKind.START_PART,
                    "job": context.job_name,
                    "part": index,
                    "state_machine_arn": placeholder(part_placeholder_name(index)),
                    **_run_ref(),
                    "token.$": TASK_TOKEN_PATH,
                },
            ),
            retry=(TRANSIENT_LAMBDA_RETRIER,),
            catch=(Catcher(("States.ALL",), stop, result_path=None),),
            end=True,
        )
        branches.append(Branch(start, (task, Pass(stop, result=True, end=True))))
    states: list[State] = [
        asl.Parallel(
            "Parts",
            branches=tuple(branches),
            result_selector=_JOIN_SELECTOR,
            result_path=_JOINED,
            next="Joined",
        ),
        Choice(
            "Joined",
            choices=(ChoiceRule(BooleanEquals(JOINED_FAILED_PATH, True), "RunFailed"),),
            default="RunSucceeded",
        ),
        Fail("RunFailed", error=ERROR_RUN_FAILED, cause="one or more parts of the run failed"),
        Succeed("RunSucceeded"),
    ]
    return _machine("Parts", states, context)
