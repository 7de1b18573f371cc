"""The automation daemon on the local cloud (what ``aloft dev --local-cloud`` runs), end to end on moto.

S3 drops in an emulated bucket reach the daemon through EventBridge and SQS;
every run (sensor, schedule, eager automation) executes the job's COMPILED
state machine with the real handlers; the daemon's clock is fake.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from aloft import Definitions, asset, define_asset_job
from aloft.automation.conditions import AutomationCondition
from aloft.automation.cron import execution_name
from aloft.automation.daemon import AutomationDaemon, FakeClock, schedule_cursor_name
from aloft.automation.local_cloud import LocalCloudRunLauncher, wire_s3_sensors
from aloft.automation.run_request import DefaultScheduleStatus, DefaultSensorStatus, RunRequest
from aloft.automation.s3 import S3ObjectEvent, s3_sensor
from aloft.automation.schedule import ScheduleDefinition
from aloft.automation.tick import UNMATCHED_S3_TICKS
from aloft.cloud.local import LocalCloud
from aloft.storage.records import RunStatus, RunTrigger, TickStatus

BUCKET = "aloft-devtest-landing"
BROKEN = {"key": ""}


@asset
def landed_orders(context: Any) -> str:
    return str(context.run_tags.get("file", "scheduled"))


@asset(automation_condition=AutomationCondition.eager())
def order_summary(landed_orders: str) -> str:
    return f"summary of {landed_orders}"


load_orders = define_asset_job("load_orders", selection="landed_orders")


@s3_sensor(bucket=BUCKET, prefix="orders/", suffix=".csv", job=load_orders,
           default_status=DefaultSensorStatus.RUNNING)
def orders_dropped(context: Any, s3_event: S3ObjectEvent) -> RunRequest:
    if s3_event.key == BROKEN["key"]:
        raise RuntimeError("the parser choked")
    return RunRequest(tags={"file": s3_event.key})


nightly = ScheduleDefinition(name="nightly", job=load_orders, cron_schedule="0 2 * * *",
                             default_status=DefaultScheduleStatus.RUNNING)

DEFS = Definitions(assets=[landed_orders, order_summary], jobs=[load_orders], sensors=[orders_dropped],
                   schedules=[nightly])


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    # Own names: the session's LocalCloud (tests/e2e/conftest.py) lives in the same moto.
    with LocalCloud(DEFS, name_prefix="aloft-devtest", bucket="aloft-devtest-data", table="aloft-devtest-state",
                    instant_retries=True) as cloud:
        source = wire_s3_sensors(cloud, [orders_dropped], queue_name="aloft-devtest-events", visibility_timeout=0)
        assert source is not None
        yield {"cloud": cloud, "source": source, "s3": cloud.client("s3"), "sqs": cloud.client("sqs")}


@pytest.fixture
def daemon(stack: dict[str, Any]) -> AutomationDaemon:
    BROKEN["key"] = ""
    cloud = stack["cloud"]
    clock = FakeClock(datetime(2024, 3, 1, tzinfo=UTC))
    # No waiters: each launch returns once its execution ended and the run record is closed.
    return AutomationDaemon(DEFS, cloud.store, LocalCloudRunLauncher(cloud), clock=clock.now, sleep=clock.sleep,
                            automation_interval_seconds=3600, event_sources=[stack["source"]])


def test_an_s3_drop_runs_the_state_machine_then_eager_automation(stack: dict[str, Any], daemon: AutomationDaemon) -> None:
    store = stack["cloud"].store
    stack["s3"].put_object(Bucket=BUCKET, Key="orders/2024-03-01.csv", Body=b"id,amount\n1,10\n")
    stack["s3"].put_object(Bucket=BUCKET, Key="orders/notes.txt", Body=b"no sensor wants this")
    iteration = daemon.run_once()
    (dispatch,) = iteration.s3_dispatches
    (run_id,) = dispatch.new_run_ids
    run = store.get_run(run_id)
    assert (run.status, run.trigger, run.job_name) == (RunStatus.SUCCESS, RunTrigger.SENSOR, "load_orders")
    assert run.execution_arn is not None and ":execution:" in run.execution_arn
    assert run.started_at is not None and run.ended_at is not None and run.started_at <= run.ended_at
    assert run.tags["file"] == "orders/2024-03-01.csv"
    history = stack["cloud"].history(run.execution_arn)
    assert history[-1]["type"] == "ExecutionSucceeded"
    # The finished run fed eager automation in the same pass: order_summary ran on the implicit job's machine.
    (automated,) = [launch.run for result in iteration.automation for launch in result.launches if launch.created]
    automated = store.get_run(automated.run_id)
    assert (automated.job_name, automated.selection, automated.status) == (
        "__ASSET_JOB", ("order_summary",), RunStatus.SUCCESS,
    )
    assert automated.execution_arn is not None
    assert store.latest_materialization(order_summary.key) is not None


def test_the_same_s3_event_delivered_five_times_is_one_run(stack: dict[str, Any], daemon: AutomationDaemon) -> None:
    sqs, queue = stack["sqs"], stack["source"].queue_url
    stack["s3"].put_object(Bucket=BUCKET, Key="orders/2024-03-02.csv", Body=b"id,amount\n2,20\n")
    (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    for _ in range(5):  # at-least-once delivery, exaggerated
        sqs.send_message(QueueUrl=queue, MessageBody=message["Body"])
    created = [run_id for _ in range(3) for d in daemon.run_once().s3_dispatches for run_id in d.new_run_ids]
    assert len(created) == 1
    runs = [r for r in stack["cloud"].store.list_runs(job_name="load_orders", limit=100)
            if r.tags.get("file") == "orders/2024-03-02.csv"]
    assert [r.status for r in runs] == [RunStatus.SUCCESS]
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []


def test_a_sensor_that_raises_gets_the_event_again(stack: dict[str, Any], daemon: AutomationDaemon) -> None:
    store = stack["cloud"].store
    BROKEN["key"] = "orders/2024-03-03.csv"
    stack["s3"].put_object(Bucket=BUCKET, Key=BROKEN["key"], Body=b"id,amount\n")
    (failed,) = daemon.run_once().s3_dispatches
    assert failed.new_run_ids == () and len(failed.failed_message_ids) == 1
    (tick,) = failed.ticks
    assert tick.tick.status == TickStatus.FAILURE and "the parser choked" in (tick.tick.error or "")
    assert tick.tick in store.list_ticks("orders_dropped", limit=50)
    BROKEN["key"] = ""
    (retried,) = daemon.run_once().s3_dispatches  # the message came back (visibility timeout 0 here)
    (run_id,) = retried.new_run_ids
    assert store.get_run(run_id).status == RunStatus.SUCCESS


def test_malformed_messages_are_recorded_and_dropped(stack: dict[str, Any], daemon: AutomationDaemon) -> None:
    sqs, queue = stack["sqs"], stack["source"].queue_url
    sqs.send_message(QueueUrl=queue, MessageBody="{not json")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"detail-type": "Object Created", "detail": {}}))
    (dispatch,) = daemon.run_once().s3_dispatches
    assert len(dispatch.malformed) == 2 and dispatch.failed_message_ids == ()
    ticks = stack["cloud"].store.list_ticks(UNMATCHED_S3_TICKS, limit=50)
    assert sum(1 for t in ticks if t.status == TickStatus.FAILURE) == 2
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []  # retrying cannot fix them


def test_a_schedule_tick_starts_a_named_execution_once(stack: dict[str, Any], daemon: AutomationDaemon) -> None:
    store = stack["cloud"].store
    store.set_sensor_cursor(schedule_cursor_name("nightly"), datetime(2024, 3, 1, 1, tzinfo=UTC).isoformat())
    daemon.clock = lambda: datetime(2024, 3, 1, 2, 0, 30, tzinfo=UTC)
    (tick,) = daemon.run_once().schedule_ticks
    (run_id,) = tick.new_run_ids
    run = store.get_run(run_id)
    assert run.status == RunStatus.SUCCESS and run.trigger == RunTrigger.SCHEDULE
    expected = execution_name("nightly", datetime(2024, 3, 1, 2, tzinfo=UTC))
    assert run.execution_arn is not None and run.execution_arn.endswith(f":{expected}")
    # The daemon catching up the same tick again (a restart with an old cursor) starts nothing.
    store.set_sensor_cursor(schedule_cursor_name("nightly"), datetime(2024, 3, 1, 1, tzinfo=UTC).isoformat())
    (again,) = daemon.run_once().schedule_ticks
    assert again.new_run_ids == () and again.tick.status == TickStatus.SKIPPED
