"""The local daemon fed by a moto bucket: S3 -> EventBridge -> SQS -> ``SqsEventSource`` -> in-process runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

moto = pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

from aloft import Definitions, asset, define_asset_job  # noqa: E402
from aloft.automation.daemon import AutomationDaemon, FakeClock, SqsEventSource  # noqa: E402
from aloft.automation.launcher import InProcessRunLauncher  # noqa: E402
from aloft.automation.run_request import RunRequest  # noqa: E402
from aloft.automation.s3 import s3_sensor  # noqa: E402
from aloft.io.memory import InMemoryIOManager  # noqa: E402
from aloft.storage.memory import InMemoryStateStore  # noqa: E402
from aloft.storage.records import RunStatus  # noqa: E402

BUCKET = "drops-bucket"
FAIL_ON = {"key": ""}


@asset
def ingested() -> int:
    return 1


ingest = define_asset_job("ingest", selection="*")


@s3_sensor(bucket=BUCKET, suffix=".json", job=ingest)
def json_drops(context: Any, s3_event: Any) -> RunRequest:
    if s3_event.key == FAIL_ON["key"]:
        raise RuntimeError("temporarily broken")
    return RunRequest(tags={"key": s3_event.key})


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        events = boto3.client("events", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}})
        queue = sqs.create_queue(QueueName="drops", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="json_drops", EventPattern=json.dumps(json_drops.event_pattern()))
        events.put_targets(Rule="json_drops", Targets=[{"Id": "q", "Arn": arn}])
        yield {"s3": s3, "sqs": sqs, "queue": queue}
    FAIL_ON["key"] = ""


def test_drops_become_runs_and_failures_come_back(aws: dict[str, Any]) -> None:
    defs = Definitions(assets=[ingested], jobs=[ingest], sensors=[json_drops], resources={"io_manager": InMemoryIOManager()})
    store = InMemoryStateStore()
    clock = FakeClock(datetime(2024, 1, 1, tzinfo=UTC))
    source = SqsEventSource(aws["sqs"], aws["queue"])
    daemon = AutomationDaemon(defs, store, InProcessRunLauncher(defs, store), clock=clock.now, sleep=clock.sleep,
                              event_sources=[source])
    aws["s3"].put_object(Bucket=BUCKET, Key="in/a.json", Body=b"{}")
    aws["s3"].put_object(Bucket=BUCKET, Key="in/b.csv", Body=b"x")  # filtered out by the rule's pattern
    FAIL_ON["key"] = "in/c.json"
    aws["s3"].put_object(Bucket=BUCKET, Key="in/c.json", Body=b"{}")
    first = daemon.run_once()
    assert sorted(store.get_run(r).tags["key"] for r in first.new_run_ids) == ["in/a.json"]
    assert first.s3_dispatches[0].failed_message_ids  # c.json stays on the queue
    FAIL_ON["key"] = ""
    second = daemon.run_once()
    assert [store.get_run(r).tags["key"] for r in second.new_run_ids] == ["in/c.json"]
    assert daemon.run_once().new_run_ids == []  # the queue is drained
    assert {r.status for r in store.list_runs()} == {RunStatus.SUCCESS}
