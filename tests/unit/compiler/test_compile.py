"""compile_job: valid ASL, stable names, retries, subsets, splitting, limits, purity."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from compiler_graphs import (
    CHAIN,
    DIAMOND,
    N_GRAPH,
    RETRY_POLICIES,
    job_definitions,
    random_dag,
    wide,
)

from aloft import Definitions, asset, define_asset_job
from aloft.compiler import CompileError, CompileOptions, LimitExceeded, asl, compile_job
from aloft.compiler.contract import (
    ERROR_STEP_FAILED,
    ERROR_STEP_RETRY,
    GATE_FUNCTION,
    LAMBDA_TRANSIENT_ERRORS,
    RUN_STEP_FUNCTION,
    placeholder,
)


def states_of(definition: dict) -> dict[str, dict]:
    """Every state of a definition, nested branches included, by name."""
    found: dict[str, dict] = {}

    def visit(scope: dict) -> None:
        for name, state in scope["States"].items():
            assert name not in found, f"duplicate state name {name}"
            found[name] = state
            for branch in state.get("Branches", []):
                visit(branch)

    visit(definition)
    return found


def test_every_state_name_is_legal_and_unique() -> None:
    job = compile_job(job_definitions(random_dag(150, seed=3)), "job")
    names = list(states_of(job.entry.definition))
    assert all(asl.is_legal_name(n) for n in names)
    assert len(names) == len(set(names))


def test_output_is_deterministic() -> None:
    first = compile_job(job_definitions(random_dag(60, seed=9)), "job")
    second = compile_job(
        job_definitions(dict(reversed(list(random_dag(60, seed=9).items())))), "job"
    )
    assert first.entry.to_json() == second.entry.to_json()
    assert first.manifest_json() == second.manifest_json()


def test_long_asset_names_get_hashed_state_names() -> None:
    long_a, long_b = "a" * 90, "a" * 89 + "b"
    job = compile_job(job_definitions({long_a: [], long_b: [long_a]}), "job")
    names = [n for n in states_of(job.entry.definition) if n.startswith("Run_")]
    assert len(names) == 2 and all(len(n) == 80 for n in names) and names[0] != names[1]


def test_step_keys_the_compiler_cannot_name_are_rejected() -> None:
    from aloft.compiler.contract import check_step_key

    with pytest.raises(CompileError, match="letters, digits"):
        check_step_key("bad key")


def test_lambda_tasks_use_placeholders_and_carry_only_ids() -> None:
    job = compile_job(job_definitions(N_GRAPH), "job")
    tasks = {n: s for n, s in states_of(job.entry.definition).items() if s["Type"] == "Task"}
    run = tasks["Run_c"]["Parameters"]
    assert run["FunctionName"] == placeholder(RUN_STEP_FUNCTION)
    assert set(run["Payload"]) == {"kind", "job", "step", "run.$", "retry_count.$"}
    gate = tasks["Gate_d"]
    assert gate["Resource"].endswith(".waitForTaskToken")
    assert gate["Parameters"]["FunctionName"] == placeholder(GATE_FUNCTION)
    assert gate["Parameters"]["Payload"]["upstream"] == ["a", "b"]
    assert "arn:aws:lambda" not in job.entry.to_json()


def test_failures_are_caught_in_each_branch_and_joined() -> None:
    job = compile_job(job_definitions(N_GRAPH), "job")
    states = states_of(job.entry.definition)
    catches = states["Run_a"]["Catch"]
    assert catches[0] == {
        "ErrorEquals": [ERROR_STEP_FAILED],
        "Next": "Stop_a_2",
        "ResultPath": None,
    }
    assert catches[1]["ErrorEquals"] == ["States.ALL"] and catches[1]["Next"] == "Crashed_a"
    assert states["Crashed_a"] == {
        "Type": "Pass",
        "Result": "a",
        "ResultPath": "$.crashed_step",
        "Next": "RecordCrash_a_2",
    }
    assert states["RecordCrash_a_2"]["Parameters"]["Payload"]["step.$"] == "$.crashed_step"
    assert states["Stop_a_2"] == {"Type": "Pass", "Result": True, "End": True}
    fork = states["Fork_a_4"]
    assert fork["ResultSelector"] == {"failed.$": "States.ArrayContains($, true)"}
    assert states[fork["Next"]]["Choices"][0]["Next"] == "RunFailed"
    assert states["RunFailed"]["Type"] == "Fail"


def test_retry_policy_becomes_asl_retry_after_lambda_transient_retries() -> None:
    job = compile_job(job_definitions(CHAIN, retry=RETRY_POLICIES), "job")
    states = states_of(job.entry.definition)
    b_retry = states["Run_b"]["Retry"]
    assert b_retry[0]["ErrorEquals"] == list(LAMBDA_TRANSIENT_ERRORS)
    assert b_retry[1] == {
        "ErrorEquals": [ERROR_STEP_RETRY],
        "IntervalSeconds": 2,
        "MaxAttempts": 3,
        "BackoffRate": 2.0,
        "JitterStrategy": "FULL",
    }
    assert states["Run_c"]["Retry"][1]["BackoffRate"] == 1.0
    assert len(states["Run_a"]["Retry"]) == 1
    assert any("IntervalSeconds=1" in w for w in job.warnings)


def test_every_step_can_be_skipped_by_the_run_input() -> None:
    job = compile_job(job_definitions(DIAMOND), "job")
    states = states_of(job.entry.definition)
    for key in DIAMOND:
        rule = states[f"Selected_{key}"]["Choices"][0]
        assert rule["Variable"] == f"$.run.skip['{key}']" and rule["IsPresent"] is True


def test_series_parallel_job_has_no_gates() -> None:
    job = compile_job(job_definitions(wide(20)), "job")
    assert job.layout == "series-parallel"
    assert job.manifest["estimate"]["gated_steps"] == 0
    assert not any(n.startswith("Gate_") for n in states_of(job.entry.definition))


def test_per_step_budgets_hold_for_random_dags() -> None:
    for seed in range(5):
        job = compile_job(job_definitions(random_dag(120, seed=seed)), "job")
        estimate = job.manifest["estimate"]
        assert estimate["transitions_per_step"] <= 4, estimate
        assert estimate["history_events_per_step"] <= 15, estimate


def test_large_job_is_split_into_parts_started_by_the_entry() -> None:
    graph = random_dag(1500, seed=2)
    job = compile_job(job_definitions(graph), "job", CompileOptions(max_steps_per_part=400))
    assert job.layout == "split" and len(job.parts) >= 4
    assert all(len(p.steps) <= 400 for p in job.parts)
    assert sorted(k for p in job.parts for k in p.steps) == sorted(graph)
    entry_states = states_of(job.entry.definition)
    start = entry_states["StartPart1"]
    assert start["Parameters"]["Payload"]["state_machine_arn"] == "${Part1StateMachineArn}"
    assert (
        job.manifest["placeholders"]["Part1StateMachineArn"]["state_machine"] == "aloft-job-part1"
    )
    for part in job.parts:
        part_states = states_of(part.definition)
        assert part_states["Report"]["Parameters"]["Payload"]["token.$"] == "$.run.parent_token"
        assert part.estimate.history_events <= 10_000


def test_history_budget_triggers_a_split_automatically() -> None:
    job = compile_job(job_definitions(random_dag(2000, seed=5)), "job")
    assert job.layout == "split"
    assert all(m.estimate.history_events <= 10_000 for m in job.state_machines)
    assert all(m.estimate.definition_bytes <= 1_000_000 for m in job.state_machines)


def test_layers_layout_over_budget_is_a_clear_limit_error() -> None:
    with pytest.raises(LimitExceeded, match="history events") as caught:
        compile_job(
            job_definitions(random_dag(400, seed=1)),
            "job",
            CompileOptions(layout="layers", max_history_events=1000),
        )
    assert caught.value.limit == "history_events"


def test_options_cannot_exceed_step_functions_quotas() -> None:
    with pytest.raises(CompileError, match="25000"):
        CompileOptions(max_history_events=30_000)


def test_render_fills_every_placeholder() -> None:
    job = compile_job(job_definitions(N_GRAPH), "job")
    with pytest.raises(CompileError, match="GateFunctionArn"):
        job.entry.render({RUN_STEP_FUNCTION: "arn:run"})
    text = job.entry.render({RUN_STEP_FUNCTION: "arn:run", GATE_FUNCTION: "arn:gate"})
    assert "${" not in text and json.loads(text)["StartAt"] == "Fork_a_4"


def test_partitioned_job_is_flagged_in_the_manifest() -> None:
    from aloft.partitions import StaticPartitionsDefinition

    job = compile_job(
        job_definitions(CHAIN, partitions_def=StaticPartitionsDefinition(["eu", "us"])), "job"
    )
    assert job.manifest["partitioned"] is True
    assert job.manifest["input_example"]["run"]["partition_key"] == "PARTITION_KEY"


def test_job_selecting_nothing_is_a_compile_error() -> None:
    from aloft import AssetSpec

    defs = Definitions(
        assets=[AssetSpec("external")], jobs=[define_asset_job("nothing", selection="*")]
    )
    with pytest.raises(CompileError, match="nothing to compile"):
        compile_job(defs, "nothing")


def test_multi_asset_steps_compile_by_step_name() -> None:
    from aloft import AssetOut, multi_asset

    @multi_asset(outs={"left": AssetOut(), "right": AssetOut()})
    def split() -> tuple[int, int]:
        return 1, 2

    @asset
    def total(left: int, right: int) -> int:
        return left + right

    defs = Definitions(assets=[split, total], jobs=[define_asset_job("both", selection="*")])
    job = compile_job(defs, "both")
    assert job.manifest["steps"]["split"]["assets"] == ["left", "right"]
    assert job.manifest["steps"]["total"]["upstream"] == ["split"]


def test_compiling_imports_no_aws_sdk() -> None:
    code = (
        "import sys\n"
        "from aloft import Definitions, asset, define_asset_job\n"
        "from aloft.compiler import compile_job\n"
        "@asset\n"
        "def a() -> int: return 1\n"
        "compile_job(Definitions(assets=[a], jobs=[define_asset_job('j', selection='*')]), 'j')\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'moto') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
