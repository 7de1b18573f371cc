"""The events aloft's Lambda functions receive, as pydantic models.

Step Functions sends ``run_step`` and ``gate`` the payloads the compiler
wrote (``aloft.compiler.lowering``); EventBridge sends ``run_status`` Step
Functions' "Execution Status Change" events (AWS's field names are kept).
A malformed event raises :class:`AloftMalformedEvent`, which no state
machine retries.

Example:
    >>> event = parse_event(
    ...     {"kind": "run", "job": "daily", "step": "orders", "run": {"run_id": "r1"}, "retry_count": 0},
    ...     StepFunctionEvent,
    ... )
    >>> type(event).__name__, event.run.partition_key, event.run.selects("orders")
    ('RunStepEvent', None, True)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from aloft.cloud.exceptions import AloftMalformedEvent
from aloft.compiler.contract import EventKind

__all__ = [
    "BackfillDoneEvent",
    "CaughtError",
    "ExecutionStatusChange",
    "ExecutionStatusDetail",
    "GateEvent",
    "GateWaitEvent",
    "PartitionEndEvent",
    "PartitionStartEvent",
    "ReportEvent",
    "RunRef",
    "RunStepEvent",
    "StartPartEvent",
    "StepCrashedEvent",
    "StepFunctionEvent",
    "parse_event",
]

T = TypeVar("T")


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class RunRef(_Event):
    """The ``run`` object of an execution's input: ids and the steps the run does not select."""

    run_id: str = Field(min_length=1)
    partition_key: str | None = None
    skip: dict[str, bool] = Field(default_factory=dict)
    parent_token: str | None = None
    has_config: bool = False  # the run record holds the run's own config (aloft.cloud.run_config)

    def selects(self, step_key: str) -> bool:
        """Whether the run materializes ``step_key``."""
        return step_key not in self.skip


class RunStepEvent(_Event):
    """Materialize one step (``Run_<step>``)."""

    kind: Literal["run"]
    job: str
    step: str
    run: RunRef
    retry_count: int = Field(default=0, ge=0)


class CaughtError(_Event):
    """What a ``Catch`` put at ``$.error``."""

    Error: str = "States.ALL"
    Cause: str | None = None


class StepCrashedEvent(_Event):
    """A step's task failed without reporting (crash, timeout): record it (``RecordCrash_...``)."""

    kind: Literal["crashed"]
    job: str
    step: str
    run: RunRef
    error: CaughtError | None = None


StepFunctionEvent = Annotated[RunStepEvent | StepCrashedEvent, Field(discriminator="kind")]


class GateWaitEvent(_Event):
    """Register the task token of a step waiting for upstreams in other branches (``Gate_<step>``)."""

    kind: Literal["wait"]
    job: str
    step: str
    upstream: list[str]
    run: RunRef
    token: str = Field(min_length=1)


class StartPartEvent(_Event):
    """Start one part of a split job, handing it the task token the entry waits on."""

    kind: Literal["start_part"]
    job: str
    part: int = Field(ge=1)
    state_machine_arn: str = Field(min_length=1)
    run: RunRef
    token: str = Field(min_length=1)


class ReportEvent(_Event):
    """A part tells the entry execution how it ended."""

    kind: Literal["report"]
    job: str
    run_id: str
    token: str | None = None
    failed: bool


class PartitionStartEvent(_Event):
    """A backfill child is about to run its partition: record the run (``PartitionStart``).

    ``after_run_id`` (ordered backfills) is the run of the partition before,
    which must have succeeded.
    """

    kind: Literal["partition_start"]
    job: str
    run: RunRef
    backfill_id: str = Field(min_length=1)
    execution_arn: str | None = None
    selection: list[str] = Field(default_factory=list)
    after_run_id: str | None = None


class PartitionEndEvent(_Event):
    """A backfill child ran its partition: record how it ended (``PartitionSucceeded``/``PartitionFailed``)."""

    kind: Literal["partition_end"]
    job: str
    run: RunRef
    backfill_id: str = Field(min_length=1)
    execution_arn: str | None = None
    failed: bool
    error: CaughtError | None = None


class BackfillDoneEvent(_Event):
    """The backfill's map ended: close the backfill record (``Summarize``)."""

    kind: Literal["backfill_done"]
    job: str
    backfill_id: str = Field(min_length=1)

    @property
    def run(self) -> RunRef:
        """The functions log each event under a run id: a backfill's is its id."""
        return RunRef(run_id=self.backfill_id)


GateEvent = Annotated[
    GateWaitEvent
    | StartPartEvent
    | ReportEvent
    | PartitionStartEvent
    | PartitionEndEvent
    | BackfillDoneEvent,
    Field(discriminator="kind"),
]


class ExecutionStatusDetail(_Event):
    """The ``detail`` of a Step Functions "Execution Status Change" event (AWS field names)."""

    executionArn: str
    stateMachineArn: str
    name: str
    status: Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
    startDate: int | None = None
    stopDate: int | None = None
    input: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None


class ExecutionStatusChange(_Event):
    """The EventBridge envelope of a Step Functions execution status change."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    version: str = "0"
    id: str = ""
    detail_type: Literal["Step Functions Execution Status Change"] = Field(alias="detail-type")
    source: Literal["aws.states"]
    account: str = ""
    time: str = ""
    region: str = ""
    resources: list[str] = Field(default_factory=list)
    detail: ExecutionStatusDetail


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def parse_event(event: Any, model: Any) -> Any:
    """Validate ``event`` against ``model`` (a model class or an annotated union of them).

    Uses aws-lambda-powertools' parser when it is installed (as it is in the
    functions' bundle), pydantic directly otherwise; either way a bad event
    becomes :class:`AloftMalformedEvent` with every problem listed.
    """
    if not isinstance(event, dict):
        raise AloftMalformedEvent(f"expected a JSON object event, got {type(event).__name__}")
    try:
        try:
            from aws_lambda_powertools.utilities.parser import parse
        except ImportError:  # pragma: no cover - powertools is part of the [aws] extra
            adapter = _ADAPTERS.setdefault(model, TypeAdapter(model))
            return adapter.validate_python(event)
        return parse(event=event, model=model)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}"
            for e in err.errors()[:10]
        )
        kinds = ", ".join(sorted(vars(EventKind)[k] for k in vars(EventKind) if k.isupper()))
        raise AloftMalformedEvent(f"malformed event ({problems}); known kinds: {kinds}") from None
