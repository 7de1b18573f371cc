"""Compiled state machines executed on moto, with the real handlers, DynamoDB and S3."""

from __future__ import annotations

import pickle

import e2e_definitions
import pandas as pd
import pytest

from aloft.cloud.local import LocalCloud
from aloft.definitions.asset_key import AssetKey
from aloft.storage.dynamodb import DynamoDBStateStore
from aloft.storage.records import RunStatus, StepEventType

SUCCEEDED, FAILED, SKIPPED = (
    t.value for t in (StepEventType.SUCCEEDED, StepEventType.FAILED, StepEventType.SKIPPED)
)


def load(cloud: LocalCloud, key: str) -> object:
    body = cloud.client("s3").get_object(Bucket=cloud.bucket, Key=f"aloft/{key}")["Body"].read()
    return pickle.loads(body)


def test_the_state_store_is_dynamodb(cloud: LocalCloud) -> None:
    assert isinstance(cloud.store, DynamoDBStateStore)


def test_n_graph_runs_to_success_with_a_gate(cloud: LocalCloud) -> None:
    compiled = cloud.compiled("n_graph")
    assert compiled.manifest["steps"]["n_d"]["gated"] is True
    result = cloud.run("n_graph")
    assert (result.status, result.execution_status) == ("SUCCESS", "SUCCEEDED")
    assert result.steps == {k: SUCCEEDED for k in ("n_a", "n_b", "n_c", "n_d")}
    assert load(cloud, "n_c") == 6 and load(cloud, "n_d") == [11, 12, 13]
    record = cloud.store.latest_materialization(AssetKey("n_d"))
    assert record is not None and record.run_id == result.run.run_id
    assert record.storage_location == f"s3://{cloud.bucket}/aloft/n_d"
    run = cloud.store.get_run(result.run.run_id)
    assert run is not None and run.status is RunStatus.SUCCESS and run.execution_arn
    history = cloud.history(result.run.execution_arn or "")
    assert (
        len(history) == compiled.entry.estimate.history_events
    )  # the estimate is exact on the happy path
    transitions = sum(1 for e in history if e["type"].endswith("StateEntered"))
    assert transitions / 4 <= 4 and len(history) / 4 <= 15


def test_quickstart_job_materializes_frames_and_metadata(cloud: LocalCloud) -> None:
    result = cloud.run("daily_revenue")
    assert result.status == "SUCCESS", result.steps
    frame = load(cloud, "revenue_by_region")
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == [
        "region",
        "revenue",
        "orders",
    ]
    latest = cloud.store.latest_materialization(AssetKey("revenue_by_region"))
    assert latest is not None and latest.metadata["regions"]["value"] == 4
    report = cloud.store.latest_materialization(AssetKey("revenue_report"))
    assert report is not None and "note" in report.metadata


def test_failure_skips_downstream_finishes_independent_branch_then_reexecutes_what_is_left(
    cloud: LocalCloud,
) -> None:
    e2e_definitions.SWITCHES["bad_fails"] = True
    first = cloud.run("with_failure")
    assert (first.status, first.execution_status) == ("FAILURE", "FAILED")
    assert first.steps == {
        "src": SUCCEEDED,
        "src2": SUCCEEDED,
        "other": SUCCEEDED,
        "independent": SUCCEEDED,
        "independent_2": SUCCEEDED,
        "bad": FAILED,
        "after_bad": SKIPPED,
        "tail": SKIPPED,
    }
    failed = next(
        e
        for e in cloud.store.get_step_events(first.run.run_id)
        if e.event_type is StepEventType.FAILED
    )
    assert failed.error is not None and "truncated" in failed.error.message

    e2e_definitions.SWITCHES["bad_fails"] = False
    try:
        second = cloud.wait(cloud.reexecute_from_failure(first.run.run_id).run_id)
    finally:
        e2e_definitions.SWITCHES["bad_fails"] = True
    assert second.status == "SUCCESS"
    assert second.steps == {"bad": SUCCEEDED, "after_bad": SUCCEEDED, "tail": SUCCEEDED}
    assert second.run.parent_run_id == first.run.run_id
    assert load(cloud, "tail") == (100 + 3) * 2  # `other` came from the first run, through S3


def test_transient_error_then_success_under_retry_policy(cloud: LocalCloud) -> None:
    e2e_definitions.ATTEMPTS.clear()
    result = cloud.run("flaky")
    assert result.status == "SUCCESS"
    assert e2e_definitions.ATTEMPTS["flaky"] == 2
    kinds = [e.event_type for e in cloud.store.get_step_events(result.run.run_id)]
    assert kinds == [
        StepEventType.STARTED,
        StepEventType.RETRIED,
        StepEventType.STARTED,
        StepEventType.SUCCEEDED,
    ]
    history = cloud.history(result.run.execution_arn or "")
    failures = [e for e in history if e["type"] == "TaskFailed"]
    assert len(failures) == 1 and failures[0]["taskFailedEventDetails"]["error"] == "AloftStepRetry"
    assert load(cloud, "flaky") == "ok after 1 retry"


def test_a_crashed_step_is_recorded_and_the_run_fails(cloud: LocalCloud) -> None:
    result = cloud.run("crashing")
    assert (result.status, result.execution_status) == ("FAILURE", "FAILED")
    assert result.steps == {"needs_warehouse": FAILED, "after_crash": SKIPPED}
    failed = next(
        e
        for e in cloud.store.get_step_events(result.run.run_id)
        if e.event_type is StepEventType.FAILED
    )
    assert failed.error is not None and "cannot connect" in failed.error.message


def test_partition_key_travels_in_the_run_input(cloud: LocalCloud) -> None:
    result = cloud.run("partitioned", partition_key="2026-03-01")
    assert result.status == "SUCCESS"
    assert load(cloud, "daily_summary/2026-03-01") == "2026-03-01: 2026-03-01"
    statuses = cloud.store.partition_statuses(AssetKey("daily_summary"))
    assert statuses["2026-03-01"].value == "MATERIALIZED"
    with pytest.raises(Exception, match="partition"):
        cloud.launch("partitioned")


def test_subset_runs_only_the_selected_steps(cloud: LocalCloud) -> None:
    result = cloud.run("n_graph", selection=["n_d"])
    assert result.status == "SUCCESS"
    assert result.steps == {"n_d": SUCCEEDED}


def test_a_run_key_starts_one_run(cloud: LocalCloud) -> None:
    first = cloud.launch("n_graph", run_key="2026-03-01T06:00")
    again = cloud.launch("n_graph", run_key="2026-03-01T06:00")
    assert again.run_id == first.run_id
    assert cloud.wait(first.run_id).status == "SUCCESS"


def test_a_split_job_runs_its_parts_and_propagates_failures_across_them(cloud: LocalCloud) -> None:
    from aloft.compiler import CompileOptions

    cloud.deploy("split", options=CompileOptions(max_steps_per_part=3))
    compiled = cloud.compiled("split")
    assert compiled.layout == "split" and len(compiled.parts) >= 3
    e2e_definitions.SWITCHES["bad_fails"] = True
    first = cloud.run("split")
    assert (first.status, first.execution_status) == ("FAILURE", "FAILED")
    assert first.steps["bad"] == FAILED and first.steps["tail"] == SKIPPED
    assert first.steps["independent_2"] == SUCCEEDED and first.steps["other"] == SUCCEEDED
    e2e_definitions.SWITCHES["bad_fails"] = False
    try:
        second = cloud.run("split")
    finally:
        e2e_definitions.SWITCHES["bad_fails"] = True
    assert second.status == "SUCCESS" and set(second.steps.values()) == {SUCCEEDED}
    history = cloud.history(second.run.execution_arn or "")
    starts = [e for e in history if e["type"] == "TaskSubmitted"]
    assert len(starts) == len(
        compiled.parts
    )  # one StartPart task per part, each waiting on its token
