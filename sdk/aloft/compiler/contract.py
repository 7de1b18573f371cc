"""The contract between compiled state machines and aloft's Lambda functions.

Everything both sides must agree on lives here, in one pure module: the
placeholders the CDK fills, the error names the ASL ``Retry``/``Catch``
match, the shape of the execution input, and the JSON paths that read it.
The runtime (``aloft.cloud``) imports these names instead of repeating them.

Execution input (small: ids, never data):

    {"run": {"run_id": "...", "partition_key": null, "skip": {"<step>": true}},
     "failed": false}

``skip`` names the steps of the job that this run does NOT select (a
subset, or a re-execution from failure); a part of a split job also gets
``run.parent_token``, the task token its parent waits on. A run launched
with its own config gets ``run.has_config: true``: the config itself stays
in the run record (``aloft.cloud.run_config``), never in the input.

Example:
    >>> build_run_input("r1", partition_key="2026-03-01", skip=["b", "a"])
    {'run': {'run_id': 'r1', 'partition_key': '2026-03-01', 'skip': {'a': True, 'b': True}}, 'failed': False}
    >>> placeholder(RUN_STEP_FUNCTION)
    '${RunStepFunctionArn}'
    >>> placeholder(run_step_placeholder_name(StepSize(memory_mb=4096, timeout_seconds=300)))
    '${RunStepFunctionArn_4096_300}'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aloft.compiler.exceptions import CompileError

__all__ = [
    "ERROR_BACKFILL_FAILED",
    "ERROR_MALFORMED_EVENT",
    "ERROR_PARTITION_SKIPPED",
    "ERROR_RUN_FAILED",
    "ERROR_STEP_FAILED",
    "ERROR_STEP_RETRY",
    "ERROR_UPSTREAM_FAILED",
    "GATE_FUNCTION",
    "LAMBDA_TRANSIENT_ERRORS",
    "MAX_INPUT_BYTES",
    "RUN_STEP_FUNCTION",
    "EventKind",
    "StepSize",
    "backfill_item",
    "build_backfill_input",
    "build_run_input",
    "check_step_key",
    "part_placeholder_name",
    "placeholder",
    "run_step_placeholder_name",
    "skip_path",
]

# -- placeholders (filled by the CDK's definition substitutions) ------------------------------
RUN_STEP_FUNCTION = "RunStepFunctionArn"
GATE_FUNCTION = "GateFunctionArn"


def placeholder(name: str) -> str:
    """``${Name}``: how a definition refers to a resource the CDK creates."""
    return "${" + name + "}"


def part_placeholder_name(index: int) -> str:
    """The placeholder of the state machine of part ``index`` (1-based) of a split job."""
    return f"Part{index}StateMachineArn"


# Lambda's limits on a function's size.
LAMBDA_MIN_MEMORY_MB = 128
LAMBDA_MAX_MEMORY_MB = 10_240
LAMBDA_MAX_TIMEOUT_SECONDS = 900


@dataclass(frozen=True, order=True)
class StepSize:
    """Memory and timeout of the ``run_step`` function that runs one step (Lambda's limits apply).

    Example:
        >>> StepSize(memory_mb=64, timeout_seconds=60)
        Traceback (most recent call last):
        ...
        aloft.compiler.exceptions.CompileError: memory_mb must be between 128 and 10240 MB (Lambda's limits), not 64
    """

    memory_mb: int
    timeout_seconds: int

    def __post_init__(self) -> None:
        for name in ("memory_mb", "timeout_seconds"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise CompileError(f"{name} must be a whole number, not {value!r}")
        if not LAMBDA_MIN_MEMORY_MB <= self.memory_mb <= LAMBDA_MAX_MEMORY_MB:
            raise CompileError(
                f"memory_mb must be between {LAMBDA_MIN_MEMORY_MB} and {LAMBDA_MAX_MEMORY_MB} MB "
                f"(Lambda's limits), not {self.memory_mb}"
            )
        if not 1 <= self.timeout_seconds <= LAMBDA_MAX_TIMEOUT_SECONDS:
            raise CompileError(
                f"timeout_seconds must be between 1 and {LAMBDA_MAX_TIMEOUT_SECONDS} (Lambda's limit), "
                f"not {self.timeout_seconds}"
            )


def run_step_placeholder_name(size: StepSize | None = None) -> str:
    """The placeholder of the ``run_step`` function of a size (``None``: the default function).

    The deployment creates one ``run_step`` function per distinct size and fills each.
    """
    if size is None:
        return RUN_STEP_FUNCTION
    return f"{RUN_STEP_FUNCTION}_{size.memory_mb}_{size.timeout_seconds}"


# -- error names (Lambda errorType == the Python exception class name) ---------------------
ERROR_STEP_RETRY = "AloftStepRetry"  # user code failed, its RetryPolicy allows another attempt
ERROR_STEP_FAILED = "AloftStepFailed"  # user code failed for good; failure already recorded
ERROR_UPSTREAM_FAILED = (
    "AloftUpstreamFailed"  # a gate learned that an upstream failed or was skipped
)
ERROR_MALFORMED_EVENT = "AloftMalformedEvent"  # never retried: the event itself is wrong
ERROR_RUN_FAILED = "AloftRunFailed"  # the execution's Fail state
ERROR_PARTITION_SKIPPED = "AloftPartitionSkipped"  # an earlier partition it reads did not succeed
ERROR_BACKFILL_FAILED = "AloftBackfillFailed"  # a backfill execution with a failed partition

# AWS's recommended retry set for Lambda's own transient failures (not the function's errors).
LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)


class EventKind:
    """The ``kind`` field of the events the state machines send to aloft's functions."""

    RUN = "run"  # run_step: materialize one step
    CRASHED = "crashed"  # run_step: a step's Lambda crashed or timed out; record and propagate
    WAIT = "wait"  # gate: register a task token, release it when the upstreams are done
    START_PART = "start_part"  # gate: start a part of a split job, handing over the task token
    REPORT = "report"  # gate: a part tells its parent how it ended
    PARTITION_START = "partition_start"  # gate: a backfill child records its run (or skips)
    PARTITION_END = "partition_end"  # gate: a backfill child records how its partition ended
    BACKFILL_DONE = "backfill_done"  # gate: the backfill execution closes the backfill record


# -- the execution input ---------------------------------------------------------------------
RUN_PATH = "$.run"
RUN_ID_PATH = "$.run.run_id"
PARTITION_KEY_PATH = "$.run.partition_key"
SKIP_PATH = "$.run.skip"
PARENT_TOKEN_PATH = "$.run.parent_token"
JOINED_FAILED_PATH = "$.joined.failed"
FAILED_PATH = "$.failed"
TASK_TOKEN_PATH = "$$.Task.Token"
RETRY_COUNT_PATH = "$$.State.RetryCount"

# Step Functions caps state input/output at 256 KiB; leave room for what states add (errors).
MAX_INPUT_BYTES = 200 * 1024

_STEP_KEY = re.compile(r"^[A-Za-z0-9_.\-]+$")


def check_step_key(key: str) -> str:
    """Reject step keys that cannot be used in a JSONPath or a state name; return the key."""
    if not _STEP_KEY.match(key):
        raise CompileError(
            f"step '{key}' cannot be compiled: step keys may only contain letters, digits, "
            "'_', '-' and '.'; rename the asset or op"
        )
    return key


def skip_path(step_key: str) -> str:
    """The JSONPath that is present when ``step_key`` is not selected by the run.

    Bracket notation, so that step names never collide with JSONPath keywords.

    Example:
        >>> skip_path("orders")
        "$.run.skip['orders']"
    """
    return f"{SKIP_PATH}['{check_step_key(step_key)}']"


def build_run_input(
    run_id: str,
    *,
    partition_key: str | None = None,
    skip: Iterable[str] = (),
    has_config: bool = False,
) -> dict[str, Any]:
    """The execution input of a run (see the module docstring).

    Example:
        >>> build_run_input("r1", has_config=True)["run"]["has_config"]
        True
    """
    run: dict[str, Any] = {
        "run_id": run_id,
        "partition_key": partition_key,
        "skip": {key: True for key in sorted(skip)},
    }
    if has_config:  # absent otherwise: inputs of runs without config stay as they were
        run["has_config"] = True
    return {"run": run, "failed": False}


# -- backfills (one Distributed Map execution over a partition manifest in S3) ----------------
BACKFILL_ID_PATH = "$.backfill.backfill_id"
BACKFILL_SELECTION_PATH = "$.backfill.selection"
BACKFILL_SKIP_PATH = "$.backfill.skip"
BACKFILL_AFTER_RUN_PATH = "$.backfill.after_run_id"
MANIFEST_BUCKET_PATH = "$.backfill.manifest.Bucket"
MANIFEST_KEY_PATH = "$.backfill.manifest.Key"
RESULTS_BUCKET_PATH = "$.backfill.results.Bucket"
RESULTS_PREFIX_PATH = "$.backfill.results.Prefix"
ITEM_PATH = "$$.Map.Item.Value"
EXECUTION_ID_PATH = "$$.Execution.Id"


def build_backfill_input(
    backfill_id: str,
    *,
    bucket: str,
    manifest_key: str,
    results_prefix: str,
    selection: Iterable[str] = (),
    skip: Iterable[str] = (),
) -> dict[str, Any]:
    """The execution input of a backfill: where its partition manifest is, never the partitions.

    Its size does not depend on how many partitions the backfill runs.

    Example:
        >>> build_backfill_input("b1", bucket="data", manifest_key="tmp/b1.json",
        ...                      results_prefix="tmp/b1")["backfill"]["manifest"]
        {'Bucket': 'data', 'Key': 'tmp/b1.json'}
    """
    return {
        "backfill": {
            "backfill_id": backfill_id,
            "manifest": {"Bucket": bucket, "Key": manifest_key},
            "results": {"Bucket": bucket, "Prefix": results_prefix},
            "selection": sorted(selection),
            "skip": {key: True for key in sorted(skip)},
        }
    }


def backfill_item(
    partition_key: str, run_id: str, *, ordered: bool, after_run_id: str | None = None
) -> dict[str, Any]:
    """One item of a partition manifest: a partition and the run that materializes it.

    In an ordered backfill every item names the run of the partition before it
    (``None`` for the first), which must have succeeded.

    Example:
        >>> backfill_item("2026-03-02", "r2", ordered=True, after_run_id="r1")
        {'partition_key': '2026-03-02', 'run_id': 'r2', 'after_run_id': 'r1'}
    """
    item: dict[str, Any] = {"partition_key": partition_key, "run_id": run_id}
    if ordered:
        item["after_run_id"] = after_run_id
    return item
