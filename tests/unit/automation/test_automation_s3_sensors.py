"""S3 sensors: parsing real sample events, dedup by run key, batches, and every bad input."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from automation_project import ingest, make_defs

from aloft.automation.errors import S3EventError
from aloft.automation.launcher import InProcessRunLauncher
from aloft.automation.run_request import RunRequest, SkipReason
from aloft.automation.s3 import S3ObjectEvent, S3SensorDefinition, parse_s3_events, s3_sensor
from aloft.automation.sensor import build_sensor_context
from aloft.automation.tick import UNMATCHED_S3_TICKS, dispatch_s3_events
from aloft.errors import DefinitionError
from aloft.storage.records import RunStatus, TickStatus

Load = Callable[[str], Any]


@s3_sensor(bucket="landing-bucket", prefix="orders/", suffix=".csv", job=ingest)
def orders_dropped(context: Any, s3_event: S3ObjectEvent) -> RunRequest | SkipReason:
    if s3_event.size == 0:
        return SkipReason(f"{s3_event.uri} is empty")
    return RunRequest(tags={"file": s3_event.key})


def _setup(store: Any, *sensors: Any) -> tuple[Any, InProcessRunLauncher]:
    defs = make_defs(sensors=list(sensors) or [orders_dropped])
    return defs, InProcessRunLauncher(defs, store)


class TestParsing:
    def test_eventbridge_object_created(self, load_event: Load) -> None:
        (record,) = parse_s3_events(load_event("eventbridge_object_created"))
        event = record.event
        assert event is not None and record.error is None
        assert (event.bucket, event.key, event.size, event.reason) == (
            "landing-bucket",
            "orders/2021-11-11.csv",
            5,
            "PutObject",
        )
        assert event.default_run_key == "landing-bucket/orders/2021-11-11.csv/b1946ac92492d2347c6235b4d2611184/617f08299329d189"
        assert event.version_id == "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"
        assert event.event_time is not None and event.event_time.year == 2021

    def test_multipart_upload_keeps_spaces_in_keys(self, load_event: Load) -> None:
        (record,) = parse_s3_events(load_event("eventbridge_object_created_multipart"))
        assert record.event is not None
        assert record.event.key == "orders/2023-03-08 full export.csv"
        assert record.event.etag.endswith("-12")

    def test_moto_writes_eTag(self, load_event: Load) -> None:
        (record,) = parse_s3_events(load_event("eventbridge_object_created_moto"))
        assert record.event is not None and record.event.etag == "9dd4e461268c8034f5c8564e155c67a6"
        assert record.event.key == "orders/a b+c.csv"  # EventBridge keys are not URL-encoded

    def test_s3_notification_keys_are_url_decoded(self, load_event: Load) -> None:
        (record,) = parse_s3_events(load_event("s3_notification_put"))
        assert record.event is not None
        assert record.event.key == "orders/red flower:2019.csv"
        assert record.event.reason == "Put"

    def test_sqs_batch_carries_message_ids(self, load_event: Load) -> None:
        records = parse_s3_events(load_event("sqs_batch_of_eventbridge"))
        assert [r.message_id for r in records] == [
            "059f36b4-87a3-44ab-83d2-661975830a7d",
            "2e1424d4-f796-459a-8184-9c92662be6da",
            "4a1f3a8e-1c2b-4f5e-9a1d-0f6e7b8c9d10",
        ]
        assert all(r.event is not None for r in records)

    def test_lists_and_json_strings(self, load_event: Load) -> None:
        event = load_event("eventbridge_object_created")
        assert len(parse_s3_events([event, event])) == 2
        assert parse_s3_events(json.dumps(event))[0].event is not None

    def test_deleted_objects_are_ignored_not_errors(self, load_event: Load) -> None:
        (record,) = parse_s3_events(load_event("eventbridge_object_deleted"))
        assert record.event is None and record.error is None
        assert "Object Deleted" in (record.ignored or "")

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ("malformed_missing_key", "detail.object.key: Field required"),
            ("not_s3_ec2_state_change", "from 'aws.ec2' is not an S3 event"),
        ],
    )
    def test_malformed_events_say_what_is_wrong(self, load_event: Load, payload: str, message: str) -> None:
        (record,) = parse_s3_events(load_event(payload))
        assert isinstance(record.error, S3EventError)
        assert message in str(record.error)

    @pytest.mark.parametrize(
        ("payload", "message"),
        [
            ({"hello": "world"}, "not an S3 event"),
            ("not json {", "not JSON"),
            (42, "got int"),
            ({"Records": [{"eventSource": "aws:dynamodb"}]}, "'aws:dynamodb' is not an S3 or SQS record"),
        ],
    )
    def test_garbage(self, payload: Any, message: str) -> None:
        (record,) = parse_s3_events(payload)
        assert record.error is not None and message in str(record.error)

    def test_huge_keys_are_rejected(self, load_event: Load) -> None:
        event = load_event("eventbridge_object_created")
        event["detail"]["object"]["key"] = "k" * 1025
        (record,) = parse_s3_events(event)
        assert record.error is not None and "1025-byte object key" in str(record.error)

    def test_the_longest_real_key_gets_a_bounded_run_key(self, load_event: Load) -> None:
        event = load_event("eventbridge_object_created")
        event["detail"]["object"]["key"] = "orders/" + "é" * 506 + ".csv" + "x"  # 1024 bytes: S3's maximum
        assert len(event["detail"]["object"]["key"].encode()) == 1024
        (record,) = parse_s3_events(event)
        assert record.event is not None
        run_key = record.event.default_run_key
        assert len(run_key) <= 512
        other = copy.deepcopy(event)
        other["detail"]["object"]["etag"] = "different"
        assert parse_s3_events(other)[0].event.default_run_key != run_key  # type: ignore[union-attr]


class TestDefinition:
    def test_event_patterns(self) -> None:
        def pattern(**kwargs: Any) -> Any:
            return S3SensorDefinition("s", bucket="landing-bucket", job=ingest, **kwargs).event_pattern()["detail"]

        assert pattern() == {"bucket": {"name": ["landing-bucket"]}}
        assert pattern(prefix="in/")["object"] == {"key": [{"prefix": "in/"}]}
        assert pattern(suffix=".csv")["object"] == {"key": [{"suffix": ".csv"}]}
        assert pattern(prefix="in*/", suffix=".csv")["object"] == {"key": [{"wildcard": "in\\*/*.csv"}]}

    def test_bad_buckets_and_missing_job(self) -> None:
        with pytest.raises(DefinitionError, match="pass the bucket name, not an s3:// URI"):
            S3SensorDefinition("s", bucket="s3://landing", job=ingest)
        with pytest.raises(DefinitionError, match="needs a job"):
            S3SensorDefinition("s", bucket="landing")

    def test_direct_call_and_matching(self) -> None:
        event = S3ObjectEvent("landing-bucket", "orders/a.csv", etag="e", size=0)
        assert isinstance(orders_dropped(build_sensor_context(), event), SkipReason)
        assert orders_dropped.matches(event)
        assert not orders_dropped.matches(S3ObjectEvent("landing-bucket", "orders/a.json", etag="e"))
        assert not orders_dropped.matches(S3ObjectEvent("other-bucket", "orders/a.csv", etag="e"))


class TestDispatch:
    def test_the_same_event_five_times_launches_one_run(self, store: Any, load_event: Load) -> None:
        defs, launcher = _setup(store)
        event = load_event("eventbridge_object_created")
        results = [dispatch_s3_events(defs, store, launcher, event) for _ in range(5)]
        assert [len(r.new_run_ids) for r in results] == [1, 0, 0, 0, 0]
        (run,) = store.list_runs()
        assert run.status == RunStatus.SUCCESS
        assert run.tags["file"] == "orders/2021-11-11.csv"
        assert run.tags["aloft/s3.bucket"] == "landing-bucket"
        assert run.run_key == (
            "sensor:orders_dropped:landing-bucket/orders/2021-11-11.csv/b1946ac92492d2347c6235b4d2611184/617f08299329d189"
        )
        statuses = [t.status for t in store.list_ticks("orders_dropped")]
        assert statuses.count(TickStatus.SUCCESS) == 1 and statuses.count(TickStatus.SKIPPED) == 4

    def test_a_new_upload_of_the_same_key_runs_again(self, store: Any, load_event: Load) -> None:
        defs, launcher = _setup(store)
        event = load_event("eventbridge_object_created")
        dispatch_s3_events(defs, store, launcher, event)
        event["detail"]["object"]["sequencer"] = "617f08299329d200"
        event["detail"]["object"]["etag"] = "0cc175b9c0f1b6a831c399e269772661"
        assert len(dispatch_s3_events(defs, store, launcher, event).new_run_ids) == 1
        assert len(store.list_runs()) == 2

    def test_sqs_batch_with_a_duplicate(self, store: Any, load_event: Load) -> None:
        defs, launcher = _setup(store)
        result = dispatch_s3_events(defs, store, launcher, load_event("sqs_batch_of_eventbridge"))
        assert len(result.ticks) == 3
        assert len(result.new_run_ids) == 2
        assert result.failed_message_ids == ()
        assert sorted(r.tags["file"] for r in store.list_runs()) == ["orders/2021-11-11.csv", "orders/2021-11-12.csv"]

    def test_a_sensor_that_raises_fails_its_tick_and_its_messages_only(self, store: Any, load_event: Load) -> None:
        @s3_sensor(bucket="landing-bucket", prefix="orders/", job=ingest)
        def picky(context: Any, s3_event: S3ObjectEvent) -> RunRequest:
            if s3_event.key.endswith("12.csv"):
                raise ValueError(f"cannot read {s3_event.key}")
            return RunRequest()

        defs, launcher = _setup(store, picky)
        store.set_sensor_cursor("picky", "kept")
        batch = load_event("sqs_batch_of_eventbridge")
        result = dispatch_s3_events(defs, store, launcher, batch)
        assert result.failed_message_ids == ("4a1f3a8e-1c2b-4f5e-9a1d-0f6e7b8c9d10",)
        assert any("ValueError: cannot read orders/2021-11-12.csv" in e for e in result.errors)
        assert len(store.list_runs()) == 1
        assert store.get_sensor_cursor("picky") == "kept"
        failures = [t for t in store.list_ticks("picky") if t.status == TickStatus.FAILURE]
        assert len(failures) == 1 and "cannot read" in (failures[0].error or "")
        # SQS redelivers the whole batch; once fixed, only the missing run is new.
        retry = dispatch_s3_events(defs, store, launcher, batch)
        assert len(retry.new_run_ids) == 0 and retry.failed_message_ids

    def test_unknown_buckets_are_recorded_not_raised(self, store: Any, load_event: Load) -> None:
        defs, launcher = _setup(store)
        event = load_event("eventbridge_object_created")
        event["detail"]["bucket"]["name"] = "someone-elses-bucket"
        result = dispatch_s3_events(defs, store, launcher, event)
        assert result.unmatched and not result.ticks and store.list_runs() == []
        (tick,) = store.list_ticks(UNMATCHED_S3_TICKS)
        assert tick.status == TickStatus.SKIPPED
        assert "s3://someone-elses-bucket/orders/2021-11-11.csv" in (tick.skip_reason or "")
        assert "landing-bucket/orders/*.csv" in (tick.skip_reason or "")

    def test_keys_outside_prefix_or_suffix_are_unmatched(self, store: Any, load_event: Load) -> None:
        defs, launcher = _setup(store)
        event = load_event("eventbridge_object_created")
        event["detail"]["object"]["key"] = "orders/readme.txt"
        assert dispatch_s3_events(defs, store, launcher, event).unmatched

    def test_malformed_events_are_recorded_and_good_ones_still_run(self, store: Any, load_event: Load) -> None:
        defs, launcher = _setup(store)
        payload = [load_event("malformed_missing_key"), load_event("eventbridge_object_created")]
        result = dispatch_s3_events(defs, store, launcher, payload)
        assert len(result.malformed) == 1 and len(result.new_run_ids) == 1
        (tick,) = store.list_ticks(UNMATCHED_S3_TICKS)
        assert tick.status == TickStatus.FAILURE and "Field required" in (tick.error or "")

    def test_a_skip_reason_launches_nothing(self, store: Any, load_event: Load) -> None:
        defs, launcher = _setup(store)
        event = load_event("eventbridge_object_created")
        event["detail"]["object"]["size"] = 0
        result = dispatch_s3_events(defs, store, launcher, event)
        assert result.ticks[0].tick.skip_reason == "s3://landing-bucket/orders/2021-11-11.csv is empty"
        assert store.list_runs() == []

    def test_two_sensors_on_one_bucket_each_launch(self, store: Any, load_event: Load) -> None:
        audit = S3SensorDefinition("audit", bucket="landing-bucket", job=ingest)
        defs, launcher = _setup(store, orders_dropped, audit)
        event = load_event("eventbridge_object_created")
        for _ in range(2):
            dispatch_s3_events(defs, store, launcher, event)
        assert sorted(r.run_key.split(":")[1] for r in store.list_runs()) == ["audit", "orders_dropped"]  # type: ignore[union-attr]

    def test_several_run_requests_per_event_get_distinct_keys(self, store: Any, load_event: Load) -> None:
        @s3_sensor(bucket="landing-bucket", job=ingest)
        def fan_out(context: Any, s3_event: S3ObjectEvent) -> Any:
            yield RunRequest(tags={"part": "1"})
            yield RunRequest(tags={"part": "2"})

        defs, launcher = _setup(store, fan_out)
        for _ in range(3):
            dispatch_s3_events(defs, store, launcher, load_event("eventbridge_object_created"))
        assert sorted(r.tags["part"] for r in store.list_runs()) == ["1", "2"]
