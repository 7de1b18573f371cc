"""``aloft.compiler``: asset jobs -> AWS Step Functions state machines (pure, deterministic).

The compiler reads a job's execution plan and emits ASL whose Task states
invoke aloft's Lambda functions. It reaches the DAG's critical path for any
graph: series-parallel pieces become nested Parallel/sequence states, other
pieces a Parallel of gated chains; failures skip only the downstream; large
jobs are split into parts run as child executions. A partitioned job also compiles
to a backfill state machine (``compile_backfill``): one execution, a Distributed Map
over a partition manifest in S3. See ``docs/compiler.md``.

Example:
    >>> from aloft import Definitions, asset, define_asset_job
    >>> @asset
    ... def raw() -> int: return 1
    >>> defs = Definitions(assets=[raw], jobs=[define_asset_job("only_raw", selection="raw")])
    >>> compile_job(defs, "only_raw").manifest["estimate"]["state_transitions"]
    2
"""

from __future__ import annotations

from aloft.compiler.backfill import BackfillOptions as BackfillOptions
from aloft.compiler.backfill import CompiledBackfill as CompiledBackfill
from aloft.compiler.backfill import compile_backfill as compile_backfill
from aloft.compiler.compile import CompiledJob as CompiledJob
from aloft.compiler.compile import CompiledStateMachine as CompiledStateMachine
from aloft.compiler.compile import CompileOptions as CompileOptions
from aloft.compiler.compile import compile_job as compile_job
from aloft.compiler.compile import compile_plan as compile_plan
from aloft.compiler.contract import build_run_input as build_run_input
from aloft.compiler.estimate import ExecutionEstimate as ExecutionEstimate
from aloft.compiler.estimate import RunCost as RunCost
from aloft.compiler.estimate import estimate_cost as estimate_cost
from aloft.compiler.exceptions import CompileError as CompileError
from aloft.compiler.exceptions import LimitExceeded as LimitExceeded

__all__ = [
    "BackfillOptions",
    "CompileError",
    "CompileOptions",
    "CompiledBackfill",
    "CompiledJob",
    "CompiledStateMachine",
    "ExecutionEstimate",
    "LimitExceeded",
    "RunCost",
    "build_run_input",
    "compile_backfill",
    "compile_job",
    "compile_plan",
    "estimate_cost",
]
