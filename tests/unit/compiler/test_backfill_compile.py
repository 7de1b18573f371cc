"""compile_backfill: one Distributed Map over a partition manifest, the job's states per child, order."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from compiler_graphs import CHAIN, DIAMOND, job_definitions

from aloft import AssetIn, Definitions, asset, define_asset_job
from aloft.compiler import CompileError, CompileOptions, asl, compile_job, contract
from aloft.compiler.backfill import BackfillOptions, compile_backfill
from aloft.partitions import (
    AllPartitionMapping,
    DailyPartitionsDefinition,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
)

DAYS = DailyPartitionsDefinition("2026-01-01")


def daily(parents: dict[str, list[str]] = DIAMOND, job: str = "daily") -> Definitions:
    return job_definitions(parents, job=job, partitions_def=DAYS)


def mapped(definition: dict[str, Any]) -> dict[str, Any]:
    return dict(definition["States"]["Partitions"])


def resolve(template: Any, state_input: dict[str, Any], item: dict[str, Any]) -> Any:
    """Apply a payload template (``"key.$": path``) as Step Functions would, for ``$.a.b`` paths."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                on_item = value.startswith(contract.ITEM_PATH)
                root = item if on_item else state_input
                path = value[len(contract.ITEM_PATH) :] if on_item else value[1:]
                found: Any = root
                for part in filter(None, path.split(".")):
                    found = found[part]
                out[key[:-2]] = found
            else:
                out[key] = resolve(value, state_input, item)
        return out
    return template


def test_one_distributed_map_reads_the_manifest_named_in_the_input() -> None:
    backfill = compile_backfill(daily(), "daily")
    definition = backfill.state_machine.definition
    assert definition["StartAt"] == "Partitions"
    state = mapped(definition)
    assert state["Type"] == "Map"
    assert state["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert state["ItemReader"] == {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket.$": "$.backfill.manifest.Bucket", "Key.$": "$.backfill.manifest.Key"},
    }
    assert state["ResultWriter"]["Resource"] == "arn:aws:states:::s3:putObject"
    assert state["ResultWriter"]["Parameters"] == {
        "Bucket.$": "$.backfill.results.Bucket",
        "Prefix.$": "$.backfill.results.Prefix",
    }
    assert state["ToleratedFailurePercentage"] == 100.0 and state["MaxConcurrency"] == 100
    assert state["Catch"] == [{"ErrorEquals": ["States.ALL"], "Next": "Summarize", "ResultPath": "$.map_error"}]
    assert "ItemsPath" not in state  # items come from S3, never from the state input
    # no bucket or key is written into the definition: they come from the input
    text = json.dumps(definition)
    assert "tmp/backfills" not in text and "Bucket\":" not in text


def test_the_item_selector_builds_the_job_s_own_run_input() -> None:
    state = mapped(compile_backfill(daily(), "daily").state_machine.definition)
    backfill_input = contract.build_backfill_input(
        "b1", bucket="data", manifest_key="k", results_prefix="r", selection=["d"], skip=["a", "b"]
    )
    item = contract.backfill_item("2026-03-01", "run-1", ordered=False)
    child_input = resolve(state["ItemSelector"], backfill_input, item)
    expected = contract.build_run_input("run-1", partition_key="2026-03-01", skip=["a", "b"])
    assert child_input["run"] == expected["run"] and child_input["failed"] is False
    assert child_input["backfill"] == {"backfill_id": "b1", "selection": ["d"]}


def test_each_child_runs_the_job_s_compiled_states_unchanged() -> None:
    definitions = daily()
    job = compile_job(definitions, "daily").entry.definition
    processor = mapped(compile_backfill(definitions, "daily").state_machine.definition)["ItemProcessor"]
    run = processor["States"]["PartitionRun"]
    assert run["Type"] == "Parallel" and run["Branches"] == [
        {"StartAt": job["StartAt"], "States": job["States"]}
    ]
    assert processor["StartAt"] == "PartitionStart"
    assert run["Catch"][0]["Next"] == "PartitionFailed" and run["Next"] == "PartitionSucceeded"
    start = processor["States"]["PartitionStart"]["Parameters"]
    assert start["FunctionName"] == contract.placeholder(contract.GATE_FUNCTION)
    assert start["Payload"]["kind"] == contract.EventKind.PARTITION_START
    assert processor["States"]["PartitionStopped"]["Type"] == "Fail"
    assert processor["States"]["PartitionSkipped"]["Error"] == contract.ERROR_PARTITION_SKIPPED


def test_summarize_then_fail_the_execution_when_a_partition_failed() -> None:
    states = compile_backfill(daily(), "daily").state_machine.definition["States"]
    assert states["Summarize"]["Parameters"]["Payload"]["kind"] == contract.EventKind.BACKFILL_DONE
    assert states["Outcome"]["Choices"] == [
        {"Variable": "$.outcome.failed", "BooleanEquals": True, "Next": "BackfillFailed"}
    ]
    assert states["BackfillFailed"]["Error"] == contract.ERROR_BACKFILL_FAILED


def test_options_set_concurrency_and_tolerance() -> None:
    backfill = compile_backfill(
        daily(), "daily", backfill=BackfillOptions(max_concurrency=8, tolerated_failure_percentage=0)
    )
    state = mapped(backfill.state_machine.definition)
    assert (state["MaxConcurrency"], state["ToleratedFailurePercentage"]) == (8, 0)
    with pytest.raises(CompileError, match="max_concurrency"):
        BackfillOptions(max_concurrency=0)
    with pytest.raises(CompileError, match="tolerated_failure_percentage"):
        BackfillOptions(tolerated_failure_percentage=120)


def test_output_is_deterministic_legal_and_deployable() -> None:
    first = compile_backfill(daily(), "daily")
    again = compile_backfill(daily(), "daily")
    assert first.state_machine.to_json() == again.state_machine.to_json()
    assert first.manifest_json() == again.manifest_json()
    first.state_machine.machine.validate()
    names = [state.name for state in first.state_machine.machine.root.walk()]
    assert len(names) == len(set(names)) and all(asl.is_legal_name(n) for n in names)
    rendered = first.state_machine.render(
        {"RunStepFunctionArn": "arn:aws:lambda:us-east-1:1:function:run", "GateFunctionArn": "arn:g"}
    )
    assert "${" not in rendered
    assert set(first.manifest["placeholders"]) == {"RunStepFunctionArn", "GateFunctionArn"}
    assert first.state_machine.name == "aloft-daily-backfill" and first.state_machine.role == "backfill"


def test_the_parent_s_history_does_not_grow_with_the_job_or_the_partitions() -> None:
    small = compile_backfill(daily(CHAIN), "daily")
    large = compile_backfill(daily({f"s{i:03d}": [f"s{i - 1:03d}"] if i else [] for i in range(200)}), "daily")
    assert small.state_machine.estimate.history_events == large.state_machine.estimate.history_events == 17
    assert large.per_partition.history_events > small.per_partition.history_events
    job_events = compile_job(daily(CHAIN), "daily").entry.estimate.history_events
    # around the job's states: PartitionStart (5), its Choice (2), the Parallel (4),
    # PartitionSucceeded (5) and PartitionDone (2)
    assert small.per_partition.history_events == job_events + 5 + 2 + 4 + 5 + 2


def test_sized_steps_keep_their_placeholders() -> None:
    from aloft.compiler.contract import StepSize

    options = CompileOptions(step_sizes={"b": StepSize(memory_mb=4096, timeout_seconds=900)})
    backfill = compile_backfill(daily(), "daily", options)
    sized = contract.run_step_placeholder_name(StepSize(memory_mb=4096, timeout_seconds=900))
    assert sized in backfill.manifest["placeholders"]
    assert contract.placeholder(sized) in backfill.state_machine.to_json()


def test_a_split_job_cannot_be_a_map_child() -> None:
    with pytest.raises(CompileError, match=r"too large for one execution \(it compiles to \d+ parts\)"):
        compile_backfill(daily(CHAIN), "daily", CompileOptions(max_steps_per_part=2))


def test_write_puts_the_machine_and_its_manifest_side_by_side(tmp_path: Any) -> None:
    paths = compile_backfill(daily(), "daily").write(tmp_path)
    assert [p.name for p in paths] == ["aloft-daily-backfill.asl.json", "daily.backfill.manifest.json"]
    manifest = json.loads(paths[1].read_text())
    assert manifest["kind"] == "backfill" and manifest["job_state_machine"] == "aloft-daily"


# -- order between partitions --------------------------------------------------------------


def lagged_job(mapping: Any, *, upstream_in_job: bool = True) -> Definitions:
    @asset(partitions_def=DAYS)
    def events() -> int:
        return 1

    @asset(partitions_def=DAYS, ins={"events": AssetIn(partition_mapping=mapping)})
    def lagged(events: int) -> int:
        return events

    selection = ["events", "lagged"] if upstream_in_job else ["lagged"]
    return Definitions(assets=[events, lagged], jobs=[define_asset_job("lag", selection=selection)])


def test_independent_partitions_run_concurrently() -> None:
    for mapping in (None, TimeWindowPartitionMapping(0, 0)):
        backfill = compile_backfill(lagged_job(mapping), "lag")
        assert not backfill.ordered and backfill.manifest["order"] == []
        assert mapped(backfill.state_machine.definition)["MaxConcurrency"] == 100


def test_reading_an_earlier_partition_orders_the_backfill() -> None:
    backfill = compile_backfill(lagged_job(TimeWindowPartitionMapping(-1, -1)), "lag")
    assert backfill.ordered
    state = mapped(backfill.state_machine.definition)
    assert state["MaxConcurrency"] == 1
    assert state["ItemSelector"]["backfill"]["after_run_id.$"] == "$$.Map.Item.Value.after_run_id"
    start = state["ItemProcessor"]["States"]["PartitionStart"]["Parameters"]["Payload"]
    assert start["after_run_id.$"] == "$.backfill.after_run_id"
    assert backfill.manifest["order"] == [
        "asset 'lagged' reads earlier partitions of 'events' "
        "(TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))"
    ]
    assert "after_run_id" in backfill.manifest["item_example"]
    # a trailing window that ends today reads earlier partitions too
    assert compile_backfill(lagged_job(TimeWindowPartitionMapping(-6, 0)), "lag").ordered


def test_an_upstream_outside_the_job_orders_nothing() -> None:
    backfill = compile_backfill(
        lagged_job(TimeWindowPartitionMapping(-1, -1), upstream_in_job=False), "lag"
    )
    assert not backfill.ordered


def test_a_self_dependent_asset_orders_the_backfill() -> None:
    @asset(
        partitions_def=DAYS,
        ins={"total": AssetIn("total", partition_mapping=TimeWindowPartitionMapping(-1, -1))},
    )
    def total(total: int | None) -> int:
        return (total or 0) + 1

    try:
        definitions = Definitions(assets=[total], jobs=[define_asset_job("totals", selection="*")])
    except Exception as err:  # an asset graph without self-dependent assets
        pytest.skip(f"self-dependent assets are not supported here: {err}")
    backfill = compile_backfill(definitions, "totals")
    assert backfill.ordered
    assert backfill.manifest["order"][0].startswith("asset 'total' reads its own earlier partitions")


@pytest.mark.parametrize(
    ("mapping", "reason"),
    [
        (TimeWindowPartitionMapping(1, 1), "later partitions"),
        (AllPartitionMapping(), "partitions chosen by AllPartitionMapping"),
    ],
)
def test_mappings_a_backfill_cannot_order_are_refused(mapping: Any, reason: str) -> None:
    with pytest.raises(CompileError, match=re.escape(f"asset 'lagged' reads {reason} of 'events'")):
        compile_backfill(lagged_job(mapping), "lag")


def test_every_step_must_share_one_partitions_definition() -> None:
    @asset(partitions_def=DAYS)
    def days() -> int:
        return 1

    @asset
    def total() -> int:
        return 1

    @asset(partitions_def=StaticPartitionsDefinition(["eu", "us"]))
    def regions() -> int:
        return 1

    defs = Definitions(
        assets=[days, total, regions],
        jobs=[
            define_asset_job("mixed", selection=["days", "total"]),
            define_asset_job("two", selection=["days", "regions"]),
        ],
    )
    with pytest.raises(CompileError, match=r"steps \['total'\] are not partitioned"):
        compile_backfill(defs, "mixed")
    with pytest.raises(CompileError, match="2 different partitions definitions"):
        compile_backfill(defs, "two")


def test_aloft_compile_backfill_writes_the_backfill_machine_too(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from aloft.cli.main import main

    project = Path(__file__).resolve().parents[2] / "e2e" / "backfill_cloud_definitions.py"
    command = ["-f", str(project), "compile", "--job", "bf_daily", "--backfill", "--out", str(tmp_path)]
    assert main(command) == 0
    assert "2 state machine(s)" in capsys.readouterr().out
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [
        "aloft-bf_daily-backfill.asl.json",
        "aloft-bf_daily.asl.json",
        "bf_daily.backfill.manifest.json",
        "bf_daily.manifest.json",
    ]
    definition = json.loads((tmp_path / "aloft-bf_daily-backfill.asl.json").read_text())
    assert definition["States"]["Partitions"]["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
