"""A backfill on the local cloud: ONE execution whose Distributed Map reads the partitions from S3."""

from __future__ import annotations

import itertools
import json
import pickle
from collections.abc import Iterator

import backfill_cloud_definitions as project
import pytest

from aloft.cloud.backfill import TAG_MANIFEST
from aloft.cloud.backfill_status import BACKFILL_TAG
from aloft.cloud.local import LocalCloud
from aloft.definitions.asset_key import AssetKey
from aloft.storage.records import RunStatus, RunTrigger, StepEventType

DAYS = [f"2026-04-{day:02d}" for day in range(1, 6)]
TOTALS_DAYS = ["2026-01-01", "2026-01-02", "2026-01-03"]


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    # Own names: the session's LocalCloud (conftest.py) lives in the same moto.
    with LocalCloud(
        project.defs,
        name_prefix="aloft-bf",
        bucket="aloft-bf-data",
        table="aloft-bf-state",
        instant_retries=True,
    ) as local:
        yield local


@pytest.fixture(autouse=True)
def no_failures() -> Iterator[None]:
    project.FAILING.clear()
    yield
    project.FAILING.clear()


def load(cloud: LocalCloud, key: str) -> object:
    body = cloud.client("s3").get_object(Bucket=cloud.bucket, Key=f"aloft/{key}")["Body"].read()
    return pickle.loads(body)


def executions(cloud: LocalCloud, job: str) -> list[dict[str, object]]:
    arn = cloud.deploy_backfill(job).state_machine_arn
    return list(cloud.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"])


def test_a_backfill_is_one_execution_over_a_manifest_in_s3(cloud: LocalCloud) -> None:
    before = len(executions(cloud, "bf_daily"))
    result = cloud.backfill("bf_daily", list(reversed(DAYS)))
    assert (result.status, result.execution_status) == ("COMPLETED", "SUCCEEDED")
    assert len(executions(cloud, "bf_daily")) == before + 1
    assert result.partitions == {day: "MATERIALIZED" for day in DAYS}
    for day in DAYS:
        assert load(cloud, f"bf_summary/{day}") == f"{day}: {day}"
    statuses = cloud.store.partition_statuses(AssetKey("bf_summary"))
    assert all(statuses[day].value == "MATERIALIZED" for day in DAYS)
    # one run per partition, recorded by its child, closed, tagged with the backfill
    assert set(result.runs) == set(DAYS)
    for day, run in result.runs.items():
        assert run.status is RunStatus.SUCCESS and run.partition_key == day
        assert run.trigger is RunTrigger.BACKFILL and run.tags[BACKFILL_TAG] == result.backfill.backfill_id
        events = cloud.store.get_step_events(run.run_id)
        assert {e.step_key for e in events if e.event_type is StepEventType.SUCCEEDED} == {
            "bf_events",
            "bf_summary",
        }
    # the execution input says where the manifest is; the partitions live in S3 only
    document = json.loads(str(result.execution["input"]))
    assert len(json.dumps(document)) < 400 and not any(day in json.dumps(document) for day in DAYS)
    manifest = result.backfill.tags[TAG_MANIFEST].removeprefix(f"s3://{cloud.bucket}/")
    items = json.loads(cloud.client("s3").get_object(Bucket=cloud.bucket, Key=manifest)["Body"].read())
    assert [item["partition_key"] for item in items] == DAYS  # validated and put in partition order
    history = cloud.history(str(result.execution["executionArn"]))
    assert len(history) == cloud.compiled_backfill("bf_daily").state_machine.estimate.history_events


def test_a_failing_partition_fails_alone_and_a_resume_runs_only_it(cloud: LocalCloud) -> None:
    days = [f"2026-05-{day:02d}" for day in range(1, 5)]
    project.FAILING.add("2026-05-03")
    result = cloud.backfill("bf_daily", days)
    assert (result.status, result.execution_status) == ("FAILED", "FAILED")
    assert result.execution["error"] == "AloftBackfillFailed"
    assert result.partitions == {
        day: "FAILED" if day == "2026-05-03" else "MATERIALIZED" for day in days
    }
    failed = result.runs["2026-05-03"]
    assert failed.status is RunStatus.FAILURE
    kinds = {e.step_key: e.event_type for e in cloud.store.get_step_events(failed.run_id)}
    assert kinds == {"bf_events": StepEventType.FAILED, "bf_summary": StepEventType.SKIPPED}
    assert all(result.runs[day].status is RunStatus.SUCCESS for day in days if day != "2026-05-03")

    project.FAILING.clear()
    resumed = cloud.backfill_launcher.resume(result.backfill.backfill_id)
    assert resumed.partition_keys == ("2026-05-03",)
    again = cloud.wait_backfill(resumed.backfill_id)
    assert again.status == "COMPLETED" and load(cloud, "bf_summary/2026-05-03") == "2026-05-03: 2026-05-03"


def test_a_subset_backfill_skips_the_unselected_steps(cloud: LocalCloud) -> None:
    result = cloud.backfill("bf_daily", ["2026-06-01", "2026-06-02"], selection=["bf_events"])
    assert result.status == "COMPLETED"
    for run in result.runs.values():
        assert run.selection == ("bf_events",)
        assert {e.step_key for e in cloud.store.get_step_events(run.run_id)} == {"bf_events"}


needs_self_dependency = pytest.mark.skipif(
    not project.SELF_DEPENDENCY, reason="the asset graph does not accept self-dependent assets"
)


@needs_self_dependency
def test_a_self_dependent_asset_is_backfilled_in_partition_order(cloud: LocalCloud) -> None:
    compiled = cloud.compiled_backfill("bf_totals")
    assert compiled.ordered and compiled.manifest["max_concurrency"] == 1
    days = TOTALS_DAYS  # from the first partition: the day before it does not exist
    result = cloud.backfill("bf_totals", list(reversed(days)))
    assert result.status == "COMPLETED", result.partitions
    assert [load(cloud, f"bf_running_total/{day}") for day in days] == [1, 3, 6]
    runs = [result.runs[day] for day in days]
    for earlier, later in itertools.pairwise(runs):
        assert earlier.ended_at is not None and later.started_at is not None
        assert earlier.ended_at <= later.started_at  # one at a time, oldest first


@needs_self_dependency
def test_an_ordered_backfill_skips_the_partitions_after_a_failure(cloud: LocalCloud) -> None:
    project.FAILING.add("2026-01-02")
    result = cloud.backfill("bf_totals", TOTALS_DAYS)
    assert (result.status, result.execution_status) == ("FAILED", "FAILED")
    assert result.partitions == {
        "2026-01-01": "MATERIALIZED",
        "2026-01-02": "FAILED",
        "2026-01-03": "MISSING",
    }
    assert result.runs["2026-01-02"].status is RunStatus.FAILURE
    for day in ("2026-01-03",):
        skipped = result.runs[day]
        assert skipped.status is RunStatus.CANCELED and "aloft/skipped" in skipped.tags
        assert cloud.store.get_step_events(skipped.run_id) == []
