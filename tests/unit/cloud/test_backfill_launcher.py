"""BackfillLauncher and the partition manifest: streamed to S3, one execution, a constant-size input."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from aloft.cloud.backfill import (
    TAG_EXECUTION,
    TAG_MANIFEST,
    BackfillDeployment,
    BackfillLauncher,
    manifest_chunks,
    manifest_items,
    order_partition_keys,
    partition_run_id,
    write_partition_manifest,
)
from aloft.cloud.exceptions import CloudError
from aloft.cloud.launcher import JobDeployment
from aloft.errors import DefinitionError
from aloft.partitions import DailyPartitionsDefinition, PartitionKeyError
from aloft.storage.memory import InMemoryStateStore
from aloft.storage.records import BackfillStatus, PartitionStatus

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:aloft-daily-backfill"


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.largest_read = 0

    def upload_fileobj(self, stream: Any, bucket: str, key: str, ExtraArgs: Any = None) -> None:
        body = io.BytesIO()
        while chunk := stream.read(8192):
            self.largest_read = max(self.largest_read, len(chunk))
            body.write(chunk)
        self.objects[f"{bucket}/{key}"] = body.getvalue()


class FakeSfn:
    def __init__(self, error: Exception | None = None) -> None:
        self.started: list[dict[str, Any]] = []
        self.error = error

    def start_execution(self, **kwargs: Any) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        self.started.append(kwargs)
        arn = kwargs["stateMachineArn"].replace(":stateMachine:", ":execution:")
        return {"executionArn": f"{arn}:{kwargs['name']}"}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        machine = executionArn.rsplit(":", 1)[0].replace(":execution:", ":stateMachine:")
        if not any(s["stateMachineArn"] == machine and executionArn.endswith(":" + s["name"]) for s in self.started):
            raise NoSuchExecution()
        return {"executionArn": executionArn, "status": "FAILED"}


class NoSuchExecution(Exception):
    response = {"Error": {"Code": "ExecutionDoesNotExist"}}


class AlreadyExists(Exception):
    response = {"Error": {"Code": "ExecutionAlreadyExists"}}


def deployment(ordered: bool = False) -> BackfillDeployment:
    job = JobDeployment("daily", "", ("events", "summary"), {"events": "events", "summary": "summary"})
    return BackfillDeployment("daily", MACHINE, ordered=ordered, job=job)


def launcher(sfn: FakeSfn | None = None, ordered: bool = False) -> tuple[BackfillLauncher, FakeS3, FakeSfn]:
    s3, sfn = FakeS3(), sfn or FakeSfn()
    store = InMemoryStateStore()
    return BackfillLauncher(store, sfn, s3, {"daily": deployment(ordered)}, bucket="data"), s3, sfn


DAYS = DailyPartitionsDefinition("1990-01-01").get_partition_keys()[:10_000]


@pytest.mark.parametrize("count", [0, 1, 511, 512, 513, 1500])
def test_the_manifest_is_one_json_array_however_it_is_chunked(count: int) -> None:
    items = [{"partition_key": str(i), "run_id": f"r{i}"} for i in range(count)]
    assert json.loads(b"".join(manifest_chunks(items))) == items


def test_ordered_items_name_the_run_before_them() -> None:
    items = list(manifest_items("b1", ["a", "b", "c"], ordered=True))
    assert [item["after_run_id"] for item in items] == [None, items[0]["run_id"], items[1]["run_id"]]
    assert items[1]["run_id"] == partition_run_id("b1", "b")
    assert "after_run_id" not in next(manifest_items("b1", ["a"], ordered=False))


def test_the_manifest_is_streamed_a_chunk_at_a_time() -> None:
    s3 = FakeS3()
    location = write_partition_manifest(s3, "data", "tmp/m.json", manifest_items("b1", DAYS, ordered=False))
    body = s3.objects["data/tmp/m.json"]
    assert (location.items, location.size, location.url) == (10_000, len(body), "s3://data/tmp/m.json")
    assert s3.largest_read <= 64 * 1024  # the uploader never sees the whole manifest at once
    assert [item["partition_key"] for item in json.loads(body)] == DAYS


def test_keys_are_validated_deduplicated_and_put_in_partition_order() -> None:
    days = DailyPartitionsDefinition("2026-01-01", end_date="2026-02-01")
    assert order_partition_keys(days, ["2026-01-03", "2026-01-01", "2026-01-03"]) == [
        "2026-01-01",
        "2026-01-03",
    ]
    with pytest.raises(PartitionKeyError, match="2026-13-01 is not a partition of daily"):
        order_partition_keys(days, ["2026-13-01"], asset_name="daily")


def test_a_launch_records_the_backfill_writes_the_manifest_and_starts_one_execution() -> None:
    backfills, s3, sfn = launcher()
    record = backfills.launch("daily", ["2026-03-01", "2026-03-02"], backfill_id="b1", tags={"who": "me"})
    assert record.status is BackfillStatus.REQUESTED and record.partition_keys == ("2026-03-01", "2026-03-02")
    stored = backfills.store.get_backfill("b1")
    assert stored is not None and stored.tags["who"] == "me"
    assert stored.tags[TAG_MANIFEST] == "s3://data/tmp/backfills/b1/partitions.json"
    assert stored.tags[TAG_EXECUTION] == MACHINE.replace(":stateMachine:", ":execution:") + ":b1"
    assert [json.loads(s3.objects["data/tmp/backfills/b1/partitions.json"])[i]["run_id"] for i in (0, 1)] == [
        partition_run_id("b1", "2026-03-01"),
        partition_run_id("b1", "2026-03-02"),
    ]
    (started,) = sfn.started
    assert (started["stateMachineArn"], started["name"]) == (MACHINE, "b1")
    assert json.loads(started["input"]) == {
        "backfill": {
            "backfill_id": "b1",
            "manifest": {"Bucket": "data", "Key": "tmp/backfills/b1/partitions.json"},
            "results": {"Bucket": "data", "Prefix": "tmp/backfills/b1/results"},
            "selection": [],
            "skip": {},
        }
    }


def test_the_execution_input_does_not_grow_with_the_partitions() -> None:
    sizes = []
    for count in (10, 10_000):
        backfills, _, sfn = launcher()
        backfills.launch("daily", DAYS[:count], backfill_id=f"b{count:05d}")
        sizes.append(len(sfn.started[0]["input"]))
    assert sizes[0] == sizes[1] < 300


def test_a_selection_skips_the_other_steps_in_every_child() -> None:
    backfills, _, sfn = launcher()
    record = backfills.launch("daily", ["2026-03-01"], selection=["summary"], backfill_id="b1")
    assert record.selection == ("summary",)
    assert json.loads(sfn.started[0]["input"])["backfill"]["skip"] == {"events": True}
    with pytest.raises(DefinitionError, match="no asset or step 'sumary'.*summary"):
        backfills.launch("daily", ["2026-03-01"], selection=["sumary"])


def test_a_retried_launch_finds_the_same_backfill_and_execution() -> None:
    backfills, _, sfn = launcher()
    first = backfills.launch("daily", ["2026-03-01"], backfill_id="b1")
    assert backfills.launch("daily", ["2026-03-01"], backfill_id="b1") == first
    assert len(sfn.started) == 1
    again, _, _ = launcher(FakeSfn(AlreadyExists()))
    assert again.launch("daily", ["2026-03-01"], backfill_id="b2").backfill_id == "b2"


def test_a_failed_start_marks_the_backfill_failed() -> None:
    backfills, _, _ = launcher(FakeSfn(RuntimeError("throttled")))
    with pytest.raises(RuntimeError, match="throttled"):
        backfills.launch("daily", ["2026-03-01"], backfill_id="b1")
    stored = backfills.store.get_backfill("b1")
    assert stored is not None and stored.status is BackfillStatus.FAILED


def test_a_launch_retried_after_a_failed_start_starts_the_execution() -> None:
    sfn = FakeSfn(RuntimeError("throttled"))
    backfills, s3, _ = launcher(sfn)
    with pytest.raises(RuntimeError, match="throttled"):
        backfills.launch("daily", ["2026-03-01", "2026-03-02"], backfill_id="b1", selection=["events"])
    sfn.error = None
    retried = backfills.launch("daily", ["2026-03-01", "2026-03-02"], backfill_id="b1", selection=["events"])
    assert retried.status is BackfillStatus.REQUESTED and retried.selection == ("events",)
    assert [s["name"] for s in sfn.started] == ["b1"]
    assert json.loads(sfn.started[0]["input"])["backfill"]["skip"] == {"summary": True}
    assert len(json.loads(s3.objects["data/tmp/backfills/b1/partitions.json"])) == 2
    # A backfill whose execution ran and failed is returned as it is (resume it instead).
    backfills.store.update_backfill("b1", status=BackfillStatus.FAILED)
    assert backfills.launch("daily", ["2026-03-01"], backfill_id="b1").status is BackfillStatus.FAILED
    assert len(sfn.started) == 1


def test_bad_launches_say_what_to_fix() -> None:
    backfills, _, _ = launcher()
    with pytest.raises(DefinitionError, match="job 'dayly' has no deployed backfill.*daily"):
        backfills.launch("dayly", ["2026-03-01"])
    with pytest.raises(CloudError, match="at least one partition key"):
        backfills.launch("daily", [])
    with pytest.raises(CloudError, match="cannot name an execution"):
        backfills.launch("daily", ["2026-03-01"], backfill_id="has space")


def test_resume_launches_what_the_backfill_did_not_materialize() -> None:
    backfills, _, sfn = launcher()
    backfills.launch("daily", ["01", "02", "03"], backfill_id="b1")
    with pytest.raises(CloudError, match="IN_PROGRESS|REQUESTED"):
        backfills.resume("b1")
    backfills.store.update_backfill(
        "b1",
        status=BackfillStatus.FAILED,
        partition_statuses={"01": PartitionStatus.MATERIALIZED, "02": PartitionStatus.FAILED},
    )
    resumed = backfills.resume("b1")
    assert resumed.partition_keys == ("02", "03") and resumed.tags["aloft/resumed_from"] == "b1"
    assert len(sfn.started) == 2
    backfills.store.update_backfill(
        resumed.backfill_id,
        status=BackfillStatus.COMPLETED,
        partition_statuses={"02": PartitionStatus.MATERIALIZED, "03": PartitionStatus.MATERIALIZED},
    )
    with pytest.raises(CloudError, match="nothing to resume"):
        backfills.resume(resumed.backfill_id)
