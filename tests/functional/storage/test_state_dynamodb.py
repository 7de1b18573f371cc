"""DynamoDB specifics: table shape, request counts, paging, throttling, limits, schema versions."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from state_stores import dynamodb_store, empty_table

from aloft.definitions.asset_key import AssetKey
from aloft.storage import dynamodb_schema as schema
from aloft.storage.base import StateStoreError
from aloft.storage.dynamodb import DynamoDBStateStore, StateItem
from aloft.storage.records import (
    BackfillRecord,
    BackfillStatus,
    MaterializationRecord,
    PartitionStatus,
    RunRecord,
)

WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@pytest.fixture
def store(dynamodb_table: str) -> DynamoDBStateStore:
    store = dynamodb_store(dynamodb_table)
    empty_table(store)
    return store


@pytest.fixture
def fresh_table(aws: None) -> Iterator[str]:
    """A table of its own, deleted afterwards (for tests that break the shared one)."""
    name = "aloft-scratch"  # one name: stores of it share a botocore client
    dynamodb_store(name).create_table()
    yield name
    dynamodb_store(name).client.delete_table(TableName=name)


class RequestCounter:
    """Counts API calls by operation through botocore's event hooks."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.client = client

    def __enter__(self) -> RequestCounter:
        self.client.meta.events.register("before-call.dynamodb", self._count)
        return self

    def __exit__(self, *_: object) -> None:
        self.client.meta.events.unregister("before-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in WRITE_OPERATIONS)

    def reset(self) -> None:
        self.calls.clear()


def test_no_client_exists_until_the_first_request() -> None:
    store = DynamoDBStateStore("never-used", region="eu-west-1")
    assert store.model._connection is None
    assert store.model.Meta.table_name == "never-used"
    assert StateItem._connection is None


def test_the_model_and_the_created_table_follow_the_schema_module(store: DynamoDBStateStore) -> None:
    model_schema = store.model._get_schema()
    request = schema.create_table_request(store.table_name)
    assert {(k["AttributeName"], k["KeyType"]) for k in model_schema["key_schema"]} == {
        (k["AttributeName"], k["KeyType"]) for k in request["KeySchema"]
    }
    model_indexes = {
        index["index_name"]: (
            sorted((k["AttributeName"], k["KeyType"]) for k in index["key_schema"]),
            index["projection"]["ProjectionType"],
        )
        for index in model_schema["global_secondary_indexes"]
    }
    expected_indexes = {
        index["IndexName"]: (
            sorted((k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]),
            index["Projection"]["ProjectionType"],
        )
        for index in request["GlobalSecondaryIndexes"]
    }
    assert model_indexes == expected_indexes
    assert store.model.expires_at.attr_name == schema.TTL_ATTRIBUTE

    client = store.client
    table = client.describe_table(TableName=store.table_name)["Table"]
    assert table["KeySchema"] == request["KeySchema"]
    assert sorted(i["IndexName"] for i in table["GlobalSecondaryIndexes"]) == ["gsi1", "gsi2", "gsi3"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": schema.STREAM_VIEW_TYPE}
    assert table["BillingModeSummary"]["BillingMode"] == schema.BILLING_MODE
    ttl = client.describe_time_to_live(TableName=store.table_name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": schema.TTL_ATTRIBUTE}
    assert store.create_table() is False  # already there


def test_one_write_request_per_materialization(store: DynamoDBStateStore) -> None:
    store.get_run("warm-up")  # the schema check happens once per store
    with RequestCounter(store.client) as counter:
        _count_materialization_writes(store, counter)


def _count_materialization_writes(store: DynamoDBStateStore, counter: RequestCounter) -> None:
    asset = AssetKey(["warehouse", "orders"])
    assert store.record_materialization(MaterializationRecord(asset, "r1", "orders", timestamp=100.0))
    assert counter.writes == 1
    counter.reset()
    assert store.record_materialization(MaterializationRecord(asset, "r1", "orders", partition_key="p", timestamp=101.0))
    assert counter.calls == {"TransactWriteItems": 1}
    counter.reset()
    # a late record whose latest is stale costs one more request, never more than two
    assert store.record_materialization(MaterializationRecord(asset, "r0", "orders", partition_key="p", timestamp=50.0))
    assert counter.writes == 2
    counter.reset()
    assert not store.record_materialization(MaterializationRecord(asset, "r0", "orders", partition_key="p", timestamp=50.0))
    assert counter.writes == 1


def test_one_backfill_partition_costs_two_requests_however_large_the_backfill(store: DynamoDBStateStore) -> None:
    keys = tuple(f"p{i:04d}" for i in range(500))
    store.create_backfill(BackfillRecord("big", "daily", partition_keys=keys))
    with RequestCounter(store.client) as counter:
        status = store.update_backfill_partition("big", "p0250", status=PartitionStatus.IN_PROGRESS, run_id="r")
    assert status == BackfillStatus.REQUESTED
    assert counter.calls == {"UpdateItem": 2}


def test_ten_thousand_partition_statuses_in_at_most_five_query_pages(fresh_table: str) -> None:
    store = dynamodb_store(fresh_table)
    asset = AssetKey(["warehouse", "daily_orders"])
    statuses = [PartitionStatus.MATERIALIZED, PartitionStatus.FAILED, PartitionStatus.IN_PROGRESS]

    def key(i: int) -> str:
        return f"{2000 + i // 365:04d}-{i % 365:03d}|region_{i % 7}"

    # Realistic items: multi-dimensional keys, UUID run ids, microsecond timestamps.
    items = [
        {
            "PutRequest": {
                "Item": {
                    "pk": {"S": f"ASSET#{asset.to_user_string()}"},
                    "sk": {"S": f"PART#{key(i)}"},
                    "status": {"S": statuses[i % 3].value},
                    "run_id": {"S": str(uuid.uuid4())},
                    "ts": {"N": f"{1_767_000_000.123456 + i:.6f}"},
                }
            }
        }
        for i in range(10_000)
    ]
    for start in range(0, len(items), 25):
        store.client.batch_write_item(RequestItems={fresh_table: items[start : start + 25]})
    # Big neighbours in the same item collection must not be read by the status query
    # (older than the statuses above, so these leave them as they are).
    for i in range(20):
        store.record_materialization(
            MaterializationRecord(asset, f"r{i}", "daily", partition_key=key(i), timestamp=i,
                                  metadata={"preview": {"type": "md", "value": "x" * 30_000}})
        )
    with RequestCounter(store.client) as counter:
        found = store.partition_statuses(asset)
    assert len(found) == 10_000
    assert 1 <= counter.calls["Query"] <= 5
    assert sum(1 for s in found.values() if s == PartitionStatus.FAILED) == 3333


def _raw_item(store: DynamoDBStateStore, pk: str, sk: str) -> dict[str, Any]:
    item: dict[str, Any] = store.client.get_item(TableName=store.table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}})["Item"]
    return item


def test_throttling_is_retried_with_backoff(store: DynamoDBStateStore) -> None:
    sleeps: list[float] = []
    store = dynamodb_store(store.table_name, sleep=sleeps.append)
    stored = store.create_run(RunRecord("r1", "daily"))
    raw = _raw_item(store, "RUN#r1", "RUN")
    with Stubber(store.client) as stub:
        stub.add_client_error("get_item", "ProvisionedThroughputExceededException", http_status_code=400)
        stub.add_client_error("get_item", "ThrottlingException", http_status_code=400)
        stub.add_response("get_item", {"Item": raw})
        assert store.get_run("r1") == stored
        stub.assert_no_pending_responses()
    assert len(sleeps) == 2
    assert all(0 <= s <= store.max_backoff for s in sleeps)
    # botocore also retries at the HTTP level (pynamodb builds the client config)
    assert store.client.meta.config.retries == {"total_max_attempts": 3, "mode": "standard"}


def test_throttling_that_never_stops_becomes_a_clear_error(store: DynamoDBStateStore) -> None:
    sleeps: list[float] = []
    store = dynamodb_store(store.table_name, sleep=sleeps.append, max_attempts=4)
    store.get_run("warm-up")
    with Stubber(store.client) as stub:
        for _ in range(4):
            stub.add_client_error("put_item", "ProvisionedThroughputExceededException", http_status_code=400)
        with pytest.raises(StateStoreError, match="throttling"):
            store.put_task_token("r1", "step", "token")
    assert len(sleeps) == 3
    # backoff grows (full jitter: the caps double)
    assert max(sleeps) <= store.base_backoff * 2**3


def test_transaction_conflicts_are_retried(store: DynamoDBStateStore) -> None:
    sleeps: list[float] = []
    store = dynamodb_store(store.table_name, sleep=sleeps.append)
    store.get_run("warm-up")
    with Stubber(store.client) as stub:
        stub.add_client_error(
            "transact_write_items",
            "TransactionCanceledException",
            http_status_code=400,
            modeled_fields={"CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}, {"Code": "None"}]},
        )
        stub.add_response("transact_write_items", {})
        assert store.record_materialization(MaterializationRecord(AssetKey("a"), "r1", "a"))
        stub.assert_no_pending_responses()
    assert len(sleeps) == 1


def test_other_errors_are_not_retried(store: DynamoDBStateStore) -> None:
    sleeps: list[float] = []
    store = dynamodb_store(store.table_name, sleep=sleeps.append)
    store.get_run("warm-up")
    with Stubber(store.client) as stub:
        stub.add_client_error("get_item", "ValidationException", "bad key", http_status_code=400)
        with pytest.raises(StateStoreError, match="bad key"):
            store.get_run("r1")
    assert sleeps == []


def test_a_missing_table_says_who_creates_it(aws: None) -> None:
    store = dynamodb_store("no-such-table")
    with pytest.raises(StateStoreError) as raised:
        store.get_run("r1")
    message = str(raised.value)
    assert "no-such-table" in message and "CDK" in message and "aloft state init" in message
    local = DynamoDBStateStore("no-such-table", endpoint="http://localhost:4566")
    assert "aloft state init --state dynamodb://no-such-table?endpoint=http://localhost:4566" in (
        local._missing_table_message()
    )


def test_an_unknown_schema_version_is_refused(fresh_table: str) -> None:
    store = dynamodb_store(fresh_table)
    store.client.put_item(
        TableName=fresh_table, Item={"pk": {"S": "META"}, "sk": {"S": "SCHEMA"}, "seq": {"N": "7"}}
    )
    with pytest.raises(StateStoreError, match=r"schema version 7.*understands version 1"):
        dynamodb_store(fresh_table).get_run("r1")


def test_a_table_without_a_version_is_claimed(fresh_table: str) -> None:
    store = dynamodb_store(fresh_table)
    store.client.delete_item(TableName=fresh_table, Key={"pk": {"S": "META"}, "sk": {"S": "SCHEMA"}})
    assert dynamodb_store(fresh_table).get_run("r1") is None
    assert _raw_item(store, "META", "SCHEMA")["seq"] == {"N": str(schema.SCHEMA_VERSION)}


def test_dynamodb_itself_rejects_an_unbounded_item(store: DynamoDBStateStore) -> None:
    """Why the limits exist: without them a big metadata value would fail the run."""
    huge = store.model("ASSET#a", "LATEST", body="x" * 420_000)
    with pytest.raises(Exception, match="(?i)size"):
        huge.save()


def test_events_carry_a_ttl_attribute(store: DynamoDBStateStore) -> None:
    from aloft.storage.records import StepEvent, StepEventType

    store.add_step_event(StepEvent("r1", "a", StepEventType.STARTED, timestamp=100.0))
    store.create_run(RunRecord("r1", "daily"))
    (event_sk,) = [
        item["sk"]["S"]
        for item in store.client.query(
            TableName=store.table_name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "RUN#r1"}},
        )["Items"]
        if item["sk"]["S"].startswith("EVENT#")
    ]
    raw = _raw_item(store, "RUN#r1", event_sk)
    assert int(raw[schema.TTL_ATTRIBUTE]["N"]) > 1_700_000_000
    assert schema.TTL_ATTRIBUTE not in _raw_item(store, "RUN#r1", "RUN")  # runs are kept
