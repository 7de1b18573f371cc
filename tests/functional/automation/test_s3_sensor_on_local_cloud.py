"""End to end on emulated AWS: an S3 drop in a moto bucket -> EventBridge -> the sensor handler
-> a run whose COMPILED state machine executes (moto's ASL engine, handlers in process).

S3 sends "Object Created" to EventBridge; the rule uses the sensor's own
``event_pattern()``. moto cannot invoke Lambda from a rule, so the rule targets
an SQS queue (the batching setup) and the test hands the queue's batch to
``functions/sensor.py``'s handler, as Lambda's SQS event source would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

local = pytest.importorskip("aloft.cloud.local", reason="the local cloud (aloft.cloud) is not installed")
cloud_launcher_module = pytest.importorskip("aloft.cloud.launcher")

from aloft import Definitions, asset, define_asset_job  # noqa: E402
from aloft.automation.daemon import SqsEventSource  # noqa: E402
from aloft.automation.launcher import CloudRunLauncher  # noqa: E402
from aloft.automation.run_request import RunRequest  # noqa: E402
from aloft.automation.runtime import AutomationRuntime  # noqa: E402
from aloft.automation.s3 import S3ObjectEvent, s3_sensor  # noqa: E402
from aloft.storage.records import RunStatus, RunTrigger  # noqa: E402

BUCKET = "landing-bucket"


@asset
def landed_orders(context: Any) -> str:
    return context.run_tags.get("aloft/s3.key", "?") if hasattr(context, "run_tags") else "?"


@asset
def order_count(landed_orders: str) -> int:
    return len(landed_orders)


load_orders = define_asset_job("load_orders", selection="*")


@s3_sensor(bucket=BUCKET, prefix="orders/", suffix=".csv", job=load_orders)
def orders_dropped(context: Any, s3_event: S3ObjectEvent) -> RunRequest:
    return RunRequest(tags={"file": s3_event.key})


DEFS = Definitions(assets=[landed_orders, order_count], jobs=[load_orders], sensors=[orders_dropped])


@pytest.fixture(scope="module")
def cloud() -> Iterator[Any]:
    # Own names: another LocalCloud (tests/e2e) may be alive in the same moto.
    with local.LocalCloud(
        DEFS, name_prefix="aloft-s3sensor", bucket="aloft-s3sensor-data", table="aloft-s3sensor-state",
        instant_retries=True,
    ) as emulated:
        yield emulated


@pytest.fixture
def wiring(cloud: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    s3, events, sqs = cloud.client("s3"), cloud.client("events"), cloud.client("sqs")
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_notification_configuration(
            Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        queue = sqs.create_queue(QueueName="aloft-s3-sensor-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name="orders_dropped", EventPattern=json.dumps(orders_dropped.event_pattern()))
        events.put_targets(Rule="orders_dropped", Targets=[{"Id": "sensor-queue", "Arn": queue_arn}])
    queue = sqs.get_queue_url(QueueName="aloft-s3-sensor-events")["QueueUrl"]
    deployment = cloud.deploy("load_orders")
    starter = cloud_launcher_module.StepFunctionsStarter(cloud.client("stepfunctions"), {"load_orders": deployment})
    runtime = AutomationRuntime(DEFS, cloud.store, CloudRunLauncher(cloud.store, starter))

    import functions.sensor as sensor_function

    monkeypatch.setattr(sensor_function, "runtime", lambda: runtime)
    return {"s3": s3, "source": SqsEventSource(sqs, queue), "handler": sensor_function.handler}


def _handled() -> Any:
    from aloft.automation.tick import S3Dispatch

    return S3Dispatch(records=())


def _deliver(wiring: dict[str, Any]) -> list[dict[str, Any]]:
    results = []
    for payload in wiring["source"]():
        result = wiring["handler"](payload, None)
        assert result["batchItemFailures"] == []
        results.append(result)
        wiring["source"].acknowledge(payload, _handled())
    return results


def test_an_s3_drop_runs_the_compiled_state_machine(cloud: Any, wiring: dict[str, Any]) -> None:
    wiring["s3"].put_object(Bucket=BUCKET, Key="orders/2024-03-01.csv", Body=b"id,amount\n1,10\n")
    wiring["s3"].put_object(Bucket=BUCKET, Key="orders/readme.txt", Body=b"not for the sensor")
    (result,) = _deliver(wiring)
    (run_id,) = result["run_ids"]
    finished = cloud.wait(run_id)
    assert finished.execution_status == "SUCCEEDED"
    assert finished.status == RunStatus.SUCCESS.value
    assert finished.steps == {"landed_orders": "STEP_SUCCEEDED", "order_count": "STEP_SUCCEEDED"}
    run = finished.run
    assert run.trigger == RunTrigger.SENSOR
    assert run.tags["file"] == "orders/2024-03-01.csv"
    assert run.run_key is not None and run.run_key.startswith("sensor:orders_dropped:landing-bucket/orders/2024-03-01.csv/")
    assert run.execution_arn is not None and run_id in run.execution_arn
    assert cloud.store.latest_materialization(order_count.key) is not None


def test_the_same_s3_event_five_times_is_one_run(cloud: Any, wiring: dict[str, Any]) -> None:
    wiring["s3"].put_object(Bucket=BUCKET, Key="orders/2024-03-02.csv", Body=b"id,amount\n2,20\n")
    (payload,) = wiring["source"]()
    results = [wiring["handler"](payload, None) for _ in range(5)]
    wiring["source"].acknowledge(payload, _handled())
    new_runs = [run_id for result in results for run_id in result["run_ids"]]
    assert len(new_runs) == 1
    assert cloud.wait(new_runs[0]).execution_status == "SUCCEEDED"
    keyed = [r for r in cloud.store.list_runs(job_name="load_orders") if r.tags.get("file") == "orders/2024-03-02.csv"]
    assert len(keyed) == 1
