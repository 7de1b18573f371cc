"""``DynamoDBStateStore``: the state store of cloud runs, one DynamoDB table (pynamodb).

The table's shape (keys, indexes, TTL attribute, stream) is defined once in
:mod:`aloft.storage.dynamodb_schema`, which the CDK construct reads too. The
item kinds and their keys are listed there; every access pattern is a
GetItem, a BatchGetItem or a Query, never a Scan (``docs/state-store.md``
has the table of access patterns).

Retries: botocore's ``standard`` retry mode absorbs most throttling at the
HTTP level; this module adds its own bounded exponential backoff with full
jitter around every operation, which also covers what botocore never
retries (transaction conflicts, throttled transaction items, exhausted
botocore attempts). No client exists until the first operation.

Example:
    >>> store = DynamoDBStateStore("aloft-state", region="eu-west-1")
    >>> store.table_name
    'aloft-state'
"""

from __future__ import annotations

import functools
import json
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from aloft.definitions.asset_key import AssetKey
from aloft.storage import dynamodb_schema as schema
from aloft.storage.base import (
    DEFAULT_EVENT_TTL,
    BackfillNotFound,
    DuplicateRunKey,
    InvalidRunTransition,
    RunAlreadyExists,
    RunNotFound,
    StateStore,
    StateStoreError,
)
from aloft.storage.limits import bound_check_result, bound_event, bound_materialization, check_run
from aloft.storage.records import (
    AssetCheckResult,
    BackfillRecord,
    BackfillStatus,
    MaterializationRecord,
    PartitionStatus,
    PartitionStatusRecord,
    RunRecord,
    RunStatus,
    StepEvent,
    TickRecord,
)
from aloft.storage.serialization import (
    backfill_from_dict,
    backfill_to_dict,
    check_result_from_dict,
    check_result_to_dict,
    dumps,
    event_from_dict,
    event_to_dict,
    materialization_from_dict,
    materialization_to_dict,
    run_from_dict,
    run_to_dict,
    tick_from_dict,
    tick_to_dict,
)

__all__ = ["DynamoDBStateStore", "StateItem", "bind_model"]

T = TypeVar("T")

_GSI1, _GSI2, _GSI3 = schema.GLOBAL_SECONDARY_INDEXES

# Error codes worth another attempt (after botocore's own attempts ran out).
_RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
        "TransactionConflictException",
    }
)
# Per-item reasons of a canceled transaction that a retry can fix.
_RETRYABLE_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
_CONDITION_FAILED = "ConditionalCheckFailed"
_MUTABLE_RUN_FIELDS = ("status", "started_at", "ended_at", "execution_arn")


# -- the pynamodb model ------------------------------------------------------------------


class _Gsi1(GlobalSecondaryIndex["StateItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = _GSI1.name
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name=_GSI1.partition_key)
    gsi1sk = UnicodeAttribute(range_key=True, attr_name=_GSI1.sort_key)


class _Gsi2(GlobalSecondaryIndex["StateItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = _GSI2.name
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True, attr_name=_GSI2.partition_key)
    gsi2sk = UnicodeAttribute(range_key=True, attr_name=_GSI2.sort_key)


class _Gsi3(GlobalSecondaryIndex["StateItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = _GSI3.name
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True, attr_name=_GSI3.partition_key)
    gsi3sk = UnicodeAttribute(range_key=True, attr_name=_GSI3.sort_key)


class StateItem(Model):
    """Any item of the state table; ``pk``/``sk`` say which kind (see ``dynamodb_schema``).

    ``body`` is the record as compact JSON (``aloft.storage.serialization``);
    the other attributes are what conditions, indexes and projections need.
    Bind it to a table with :func:`bind_model`.

    Example:
        >>> StateItem.pk.attr_name, StateItem.expires_at.attr_name
        ('pk', 'expires_at')
    """

    class Meta:
        table_name = "aloft-state"

    pk = UnicodeAttribute(hash_key=True, attr_name=schema.PARTITION_KEY)
    sk = UnicodeAttribute(range_key=True, attr_name=schema.SORT_KEY)
    gsi1pk = UnicodeAttribute(null=True, attr_name=_GSI1.partition_key)
    gsi1sk = UnicodeAttribute(null=True, attr_name=_GSI1.sort_key)
    gsi2pk = UnicodeAttribute(null=True, attr_name=_GSI2.partition_key)
    gsi2sk = UnicodeAttribute(null=True, attr_name=_GSI2.sort_key)
    gsi3pk = UnicodeAttribute(null=True, attr_name=_GSI3.partition_key)
    gsi3sk = UnicodeAttribute(null=True, attr_name=_GSI3.sort_key)
    body = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    run_id = UnicodeAttribute(null=True)
    ts = NumberAttribute(null=True)
    seq = NumberAttribute(null=True)
    started_at = NumberAttribute(null=True)
    ended_at = NumberAttribute(null=True)
    execution_arn = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True, attr_name=schema.TTL_ATTRIBUTE)

    gsi1 = _Gsi1()
    gsi2 = _Gsi2()
    gsi3 = _Gsi3()


@functools.lru_cache(maxsize=64)
def bind_model(
    table_name: str,
    *,
    region: str | None = None,
    host: str | None = None,
    credentials: tuple[str, str] | None = None,
    botocore_max_attempts: int = 3,
) -> type[StateItem]:
    """A :class:`StateItem` subclass bound to one table, region and endpoint.

    pynamodb keeps the table (and its botocore client) in the model class;
    stores of the same table and endpoint share one, as creating a botocore
    client costs a few hundred milliseconds.

    Example:
        >>> bind_model("t", region="eu-west-1").Meta.table_name
        't'
    """
    key_id, secret = credentials or (None, None)

    class Meta:
        table_name: str
        region: str | None
        host: str | None
        max_retry_attempts: int
        # The executor's thread pool writes concurrently: one connection each.
        max_pool_connections = 32
        connect_timeout_seconds = 5
        read_timeout_seconds = 30
        aws_access_key_id: str | None
        aws_secret_access_key: str | None

    Meta.table_name = table_name
    Meta.region = region
    Meta.host = host
    # pynamodb turns this into botocore's retries={"mode": "standard", "total_max_attempts": n + 1}.
    Meta.max_retry_attempts = botocore_max_attempts - 1
    Meta.aws_access_key_id = key_id
    Meta.aws_secret_access_key = secret
    bound: type[StateItem] = type(f"StateItem_{table_name}", (StateItem,), {"Meta": Meta, "__module__": __name__})
    return bound


# -- keys ---------------------------------------------------------------------------------


def _ts(timestamp: float) -> str:
    """A timestamp that sorts as a string (fixed width, zero padded)."""
    return f"{max(timestamp, 0.0):020.6f}"


def _run_pk(run_id: str) -> str:
    return f"RUN#{run_id}"


def _asset_pk(asset_key: AssetKey) -> str:
    return f"ASSET#{asset_key.to_user_string()}"


def _partition_tag(partition_key: str | None) -> str:
    # "-" for unpartitioned, "P<key>" otherwise, so that "" stays a distinct partition key.
    return "-" if partition_key is None else f"P{partition_key}"


def _expiry(ttl: float | None) -> datetime | None:
    return None if ttl is None else datetime.fromtimestamp(time.time() + ttl, tz=UTC)


def _unexpired(item: StateItem, now: float) -> bool:
    return item.expires_at is None or item.expires_at.timestamp() > now


class DynamoDBStateStore(StateStore):
    """The state store in one DynamoDB table.

    ``endpoint`` points at a local emulator (moto server, LocalStack);
    ``region`` defaults to the AWS environment (``us-east-1`` for a local
    endpoint). ``sleep`` and ``max_attempts`` shape the retries (tests
    inject a no-op sleep).

    Example:
        >>> store = DynamoDBStateStore("aloft-state", endpoint="http://localhost:5000")
        >>> store.region
        'us-east-1'
    """

    def __init__(
        self,
        table_name: str,
        region: str | None = None,
        endpoint: str | None = None,
        *,
        event_ttl: float | None = DEFAULT_EVENT_TTL,
        max_attempts: int = 6,
        base_backoff: float = 0.05,
        max_backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table_name = table_name
        self.endpoint = endpoint
        self.region = (
            region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or ("us-east-1" if endpoint else None)
        )
        self.event_ttl = event_ttl
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        # A local emulator accepts any credentials; do not make users invent some.
        local_credentials = None
        if endpoint and not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            local_credentials = ("aloft-local", "aloft-local")
        self.model = bind_model(table_name, region=self.region, host=endpoint, credentials=local_credentials)
        self._ready = False
        self._ready_lock = threading.Lock()

    def __repr__(self) -> str:
        where = f", endpoint={self.endpoint!r}" if self.endpoint else ""
        return f"DynamoDBStateStore({self.table_name!r}, region={self.region!r}{where})"

    # -- plumbing ----------------------------------------------------------------------
    @property
    def connection(self) -> Connection:
        """pynamodb's connection (for transactions); created on first use."""
        connection: Connection = self.model._get_connection().connection
        return connection

    @property
    def client(self) -> Any:
        """The botocore DynamoDB client every request goes through (for event hooks, Stubber)."""
        return self.connection.client

    def _attempts(self, what: str, operation: Callable[[], T]) -> T:
        """Run ``operation``, retrying throttling and conflicts with backoff; translate errors."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                return operation()
            except PynamoDBException as err:
                if _retryable(err) and attempt < self.max_attempts:
                    # Full jitter: concurrent writers that collided do not collide again in step.
                    self._sleep(random.uniform(0, min(self.max_backoff, self.base_backoff * 2 ** (attempt - 1))))
                    continue
                raise self._translate(what, err, attempt) from err
            except BotoCoreError as err:
                where = f" at {self.endpoint}" if self.endpoint else f" in region {self.region}"
                raise StateStoreError(f"cannot reach DynamoDB{where} ({what}): {err}") from err
        raise AssertionError("unreachable")  # pragma: no cover

    def _translate(self, what: str, err: PynamoDBException, attempts: int) -> StateStoreError:
        code = err.cause_response_code
        if code == "ResourceNotFoundException":
            return StateStoreError(self._missing_table_message())
        if _retryable(err):
            return StateStoreError(
                f"DynamoDB kept throttling {what} on table '{self.table_name}' ({code}) after {attempts} "
                "attempts; the table is over its capacity."
            )
        return StateStoreError(f"DynamoDB {what} on table '{self.table_name}' failed: {err.cause or err}")

    def _missing_table_message(self) -> str:
        if self.endpoint:
            return (
                f"DynamoDB table '{self.table_name}' does not exist at {self.endpoint}. Create it with "
                f"`aloft state init --state dynamodb://{self.table_name}?endpoint={self.endpoint}`."
            )
        return (
            f"DynamoDB table '{self.table_name}' does not exist in region {self.region}. In AWS the CDK app "
            "(infra/, `cdk deploy`) owns the table; deploy it, or check the table name and region. "
            "`aloft state init` only creates tables on local endpoints (moto, LocalStack)."
        )

    def _call(self, what: str, operation: Callable[[], T]) -> T:
        self._ensure_ready()
        return self._attempts(what, operation)

    def _ensure_ready(self) -> None:
        """Check (once per store) that the table exists and holds this schema version."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            found = self._attempts("reading the schema version", lambda: self._get_item("META", "SCHEMA"))
            if found is None:
                # A table the CDK app just created has no version yet: claim it.
                marker = self.model("META", "SCHEMA", seq=schema.SCHEMA_VERSION, ts=time.time())
                if not self._attempts("writing the schema version", lambda: _put_if_absent(self.model, marker)):
                    found = self._attempts("reading the schema version", lambda: self._get_item("META", "SCHEMA"))
            version = schema.SCHEMA_VERSION if found is None else int(found.seq or 0)
            if version != schema.SCHEMA_VERSION:
                raise StateStoreError(
                    f"DynamoDB table '{self.table_name}' has state schema version {version}; this aloft "
                    f"understands version {schema.SCHEMA_VERSION}. Deploy the matching aloft version "
                    "(or migrate the table)."
                )
            self._ready = True

    def _get_item(self, pk: str, sk: str) -> StateItem | None:
        try:
            return self.model.get(pk, sk, consistent_read=True)
        except DoesNotExist:
            return None

    def _get(self, what: str, pk: str, sk: str) -> StateItem | None:
        return self._call(what, lambda: self._get_item(pk, sk))

    def _query(self, what: str, hash_key: str, condition: Condition | None = None, **kwargs: Any) -> list[StateItem]:
        def run() -> list[StateItem]:
            return list(self.model.query(hash_key, condition, consistent_read=True, **kwargs))

        return self._call(what, run)

    def _transact(self, items: Sequence[tuple[StateItem, Condition | None]]) -> None:
        # A fresh token per transaction: if botocore resends it after a lost response,
        # DynamoDB answers with the first outcome instead of failing on our own conditions.
        with TransactWrite(connection=self.connection, client_request_token=uuid.uuid4().hex) as transaction:
            for item, condition in items:
                transaction.save(item, condition=condition)

    # -- table management --------------------------------------------------------------
    def create_table(self, *, wait: bool = True) -> bool:
        """Create the table (for local endpoints); False when it already exists.

        Example:
            >>> DynamoDBStateStore("t", endpoint="http://localhost:5000").create_table  # doctest: +ELLIPSIS
            <bound method DynamoDBStateStore.create_table of DynamoDBStateStore('t', ...)>
        """
        client = self.client
        try:
            client.create_table(**schema.create_table_request(self.table_name))
        except client.exceptions.ResourceInUseException:
            return False
        except BotoCoreError as err:
            raise StateStoreError(f"cannot reach DynamoDB at {self.endpoint or self.region}: {err}") from err
        if wait:
            client.get_waiter("table_exists").wait(
                TableName=self.table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
            )
        client.update_time_to_live(
            TableName=self.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.TTL_ATTRIBUTE},
        )
        self._ensure_ready()
        return True

    def table_exists(self) -> bool:
        """Whether the table exists (a DescribeTable call)."""
        client = self.client
        try:
            client.describe_table(TableName=self.table_name)
        except client.exceptions.ResourceNotFoundException:
            return False
        return True

    # -- runs ------------------------------------------------------------------------
    def _run_item(self, run: RunRecord) -> StateItem:
        data = run_to_dict(run)
        for name in _MUTABLE_RUN_FIELDS:
            data.pop(name)
        order = f"{_ts(run.created_at)}#{run.run_id}"
        return self.model(
            _run_pk(run.run_id),
            "RUN",
            body=dumps(data),
            status=run.status.value,
            ts=run.created_at,
            started_at=run.started_at,
            ended_at=run.ended_at,
            execution_arn=run.execution_arn,
            gsi1pk=f"JOB#{run.job_name}",
            gsi1sk=order,
            gsi2pk=f"RUNSTATUS#{run.status.value}",
            gsi2sk=order,
            gsi3pk="RUNS",
            gsi3sk=order,
        )

    @staticmethod
    def _run_from_item(item: StateItem) -> RunRecord:
        data = json.loads(item.body or "{}")
        data.update(
            status=item.status,
            started_at=item.started_at,
            ended_at=item.ended_at,
            execution_arn=item.execution_arn,
        )
        return run_from_dict(data)

    def create_run(self, run: RunRecord) -> RunRecord:
        stored, created = self.reserve_run(run)
        if not created:
            raise DuplicateRunKey(
                f"run key {run.run_key!r} is already reserved by run '{stored.run_id}'", existing=stored
            )
        return stored

    def reserve_run(self, run: RunRecord) -> tuple[RunRecord, bool]:
        run = check_run(run)
        item = self._run_item(run)
        absent = self.model.pk.does_not_exist()
        if run.run_key is None:
            if not self._call("creating a run", lambda: _put_if_absent(self.model, item)):
                raise RunAlreadyExists(f"a run with id '{run.run_id}' already exists")
            return run, True
        reservation = self.model(f"RUNKEY#{run.run_key}", "RUNKEY", run_id=run.run_id, ts=run.created_at)

        def reserve() -> int | None:
            try:
                self._transact([(reservation, absent), (item, absent)])
                return None
            except TransactWriteError as err:
                failed = _failed_conditions(err)
                if failed:
                    return failed[0]
                raise

        failed = self._call("reserving a run key", reserve)
        if failed is None:
            return run, True
        if failed == 1:
            raise RunAlreadyExists(f"a run with id '{run.run_id}' already exists")
        existing = self.get_run_by_key(run.run_key)
        if existing is None:
            raise StateStoreError(f"run key {run.run_key!r} is reserved but its run is gone")
        return existing, False

    def get_run(self, run_id: str) -> RunRecord | None:
        item = self._get("reading a run", _run_pk(run_id), "RUN")
        return None if item is None else self._run_from_item(item)

    def get_run_by_key(self, run_key: str) -> RunRecord | None:
        reservation = self._get("reading a run key", f"RUNKEY#{run_key}", "RUNKEY")
        if reservation is None or reservation.run_id is None:
            return None
        return self.get_run(reservation.run_id)

    def update_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        timestamp: float | None = None,
        execution_arn: str | None = None,
    ) -> RunRecord:
        now = timestamp or time.time()
        model = self.model
        actions: list[Action] = [model.status.set(status.value), model.gsi2pk.set(f"RUNSTATUS#{status.value}")]
        if status == RunStatus.STARTED:
            actions.append(model.started_at.set(model.started_at | now))
        if status.is_finished:
            actions.append(model.ended_at.set(model.ended_at | now))
        if execution_arn:
            actions.append(model.execution_arn.set(execution_arn))
        # One conditional UpdateItem: the transition rule is enforced by DynamoDB, not by a read.
        condition = model.pk.exists() & model.status.is_in(*(s.value for s in status.predecessors()))
        item = model(_run_pk(run_id), "RUN")

        def update() -> bool:
            try:
                item.update(actions=actions, condition=condition)
                return True
            except PynamoDBException as err:
                if err.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise

        if self._call("updating a run's status", update):
            return self._run_from_item(item)
        current = self.get_run(run_id)
        if current is None:
            raise RunNotFound(f"no run '{run_id}'")
        raise InvalidRunTransition(f"run '{run_id}' is {current.status.value}; it cannot become {status.value}")

    def list_runs(
        self,
        *,
        job_name: str | None = None,
        status: RunStatus | None = None,
        limit: int = 50,
        before: float | None = None,
    ) -> list[RunRecord]:
        model = self.model
        index: GlobalSecondaryIndex[StateItem]
        filter_condition: Condition | None = None
        if job_name is not None:
            index, hash_key, sort_attr = model.gsi1, f"JOB#{job_name}", model.gsi1sk
            if status is not None:
                filter_condition = model.status == status.value
        elif status is not None:
            index, hash_key, sort_attr = model.gsi2, f"RUNSTATUS#{status.value}", model.gsi2sk
        else:
            index, hash_key, sort_attr = model.gsi3, "RUNS", model.gsi3sk
        range_condition = None if before is None else sort_attr < _ts(before)

        def run() -> list[StateItem]:
            return list(
                index.query(
                    hash_key,
                    range_condition,
                    filter_condition=filter_condition,
                    scan_index_forward=False,
                    limit=limit,
                    page_size=max(limit, 25),
                )
            )

        return [self._run_from_item(item) for item in self._call("listing runs", run)]

    # -- step events -------------------------------------------------------------------
    def add_step_event(self, event: StepEvent) -> None:
        event = bound_event(event)
        item = self.model(
            _run_pk(event.run_id),
            f"EVENT#{_ts(event.timestamp)}#{event.step_key}#{event.event_type.value}#{event.attempt}",
            body=dumps(event_to_dict(event)),
            ts=event.timestamp,
            expires_at=_expiry(self.event_ttl),
        )
        self._call("adding a step event", item.save)

    def get_step_events(self, run_id: str) -> list[StepEvent]:
        now = time.time()
        items = self._query("reading step events", _run_pk(run_id), self.model.sk.startswith("EVENT#"))
        return [event_from_dict(json.loads(item.body or "{}")) for item in items if _unexpired(item, now)]

    # -- materializations ------------------------------------------------------------
    def record_materialization(self, record: MaterializationRecord) -> bool:
        record = bound_materialization(record)
        model = self.model
        pk = _asset_pk(record.asset_key)
        tag = _partition_tag(record.partition_key)
        body = dumps(materialization_to_dict(record))
        stamp = record.timestamp
        # A late record (older timestamp) must not replace a newer latest/status.
        not_newer = model.pk.does_not_exist() | (model.ts <= stamp)
        items: list[tuple[StateItem, Condition | None]] = [
            (model(pk, f"MATID#{record.run_id}#{record.attempt}#{tag}", ts=stamp), model.pk.does_not_exist()),
            (model(pk, f"MAT#{_ts(stamp)}#{record.run_id}#{record.attempt}#{tag}", body=body, ts=stamp), None),
            (model(pk, "LATEST", body=body, ts=stamp, run_id=record.run_id), not_newer),
        ]
        if record.partition_key is not None:
            items += [
                (model(pk, f"PLATEST#{record.partition_key}", body=body, ts=stamp, run_id=record.run_id), not_newer),
                (
                    model(
                        pk,
                        f"PART#{record.partition_key}",
                        status=PartitionStatus.MATERIALIZED.value,
                        run_id=record.run_id,
                        ts=stamp,
                    ),
                    not_newer,
                ),
            ]

        def record_once() -> bool:
            pending = items
            # One TransactWriteItems normally; a stale latest/status drops out and the rest is retried.
            for _ in range(len(items)):
                try:
                    self._transact(pending)
                    return True
                except TransactWriteError as err:
                    failed = _failed_conditions(err)
                    if not failed:
                        raise
                    if pending[failed[0]] is items[0]:
                        return False  # the marker exists: recorded before
                    pending = [entry for i, entry in enumerate(pending) if i not in failed]
            return True

        return self._call("recording a materialization", record_once)

    def latest_materialization(
        self, asset_key: AssetKey, partition_key: str | None = None
    ) -> MaterializationRecord | None:
        sk = "LATEST" if partition_key is None else f"PLATEST#{partition_key}"
        item = self._get("reading the latest materialization", _asset_pk(asset_key), sk)
        return None if item is None else materialization_from_dict(json.loads(item.body or "{}"))

    def materialization_history(
        self, asset_key: AssetKey, *, limit: int = 50, before: float | None = None
    ) -> list[MaterializationRecord]:
        sk = self.model.sk
        condition = sk.startswith("MAT#") if before is None else sk.between("MAT#", f"MAT#{_ts(before)}")
        items = self._query(
            "reading materialization history",
            _asset_pk(asset_key),
            condition,
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
        )
        return [materialization_from_dict(json.loads(item.body or "{}")) for item in items]

    def latest_materializations(self, asset_keys: Sequence[AssetKey]) -> dict[AssetKey, MaterializationRecord]:
        keys = list(dict.fromkeys(asset_keys))
        result: dict[AssetKey, MaterializationRecord] = {}
        for start in range(0, len(keys), 100):  # BatchGetItem takes 100 keys
            chunk = [(_asset_pk(key), "LATEST") for key in keys[start : start + 100]]

            def read(chunk: list[tuple[str, str]] = chunk) -> list[StateItem]:
                return list(self.model.batch_get(chunk, consistent_read=True))

            for item in self._call("reading latest materializations", read):
                record = materialization_from_dict(json.loads(item.body or "{}"))
                result[record.asset_key] = record
        return {key: result[key] for key in keys if key in result}

    # -- partitions ------------------------------------------------------------------
    def set_partition_status(
        self,
        asset_key: AssetKey,
        partition_key: str,
        status: PartitionStatus,
        run_id: str | None = None,
        *,
        timestamp: float | None = None,
    ) -> None:
        stamp = timestamp or time.time()
        model = self.model
        item = model(_asset_pk(asset_key), f"PART#{partition_key}", status=status.value, run_id=run_id, ts=stamp)
        condition = model.pk.does_not_exist() | (model.ts <= stamp)

        def put() -> None:
            try:
                item.save(condition=condition)
            except PynamoDBException as err:
                if err.cause_response_code != "ConditionalCheckFailedException":
                    raise  # a failed condition means a later status is stored: keep it

        self._call("setting a partition status", put)

    def partition_status_records(self, asset_key: AssetKey) -> dict[str, PartitionStatusRecord]:
        model = self.model
        items = self._query(
            "reading partition statuses",
            _asset_pk(asset_key),
            model.sk.startswith("PART#"),
            attributes_to_get=[model.sk.attr_name, "status", "run_id", "ts"],
        )
        return {
            item.sk[5:]: PartitionStatusRecord(
                item.sk[5:], PartitionStatus(item.status), item.run_id, float(item.ts or 0.0)
            )
            for item in items
        }

    # -- dynamic partitions ----------------------------------------------------------
    def _dynamic_items(self, name: str) -> list[StateItem]:
        items = self._query("reading dynamic partitions", f"DYNPART#{name}", self.model.sk.startswith("KEY#"))
        return sorted(items, key=lambda item: (item.ts or 0.0, item.seq or 0))

    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        return [item.sk[4:] for item in self._dynamic_items(partitions_def_name)]

    def add_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        known = set(self.get_dynamic_partitions(partitions_def_name))
        new = [key for key in dict.fromkeys(partition_keys) if key not in known]
        now = time.time()
        self._batch_write(
            "adding dynamic partitions",
            [self.model(f"DYNPART#{partitions_def_name}", f"KEY#{key}", ts=now, seq=i) for i, key in enumerate(new)],
        )

    def delete_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        self._batch_write(
            "deleting dynamic partitions",
            [],
            deletes=[self.model(f"DYNPART#{partitions_def_name}", f"KEY#{key}") for key in set(partition_keys)],
        )

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        return self._get("reading a dynamic partition", f"DYNPART#{partitions_def_name}", f"KEY#{partition_key}") is not None

    def _batch_write(self, what: str, puts: Iterable[StateItem], deletes: Iterable[StateItem] = ()) -> None:
        puts, deletes = list(puts), list(deletes)
        if not puts and not deletes:
            return

        def write() -> None:
            with self.model.batch_write() as batch:
                for item in puts:
                    batch.save(item)
                for item in deletes:
                    batch.delete(item)

        self._call(what, write)

    # -- sensors -----------------------------------------------------------------------
    def get_sensor_cursor(self, name: str) -> str | None:
        item = self._get("reading a sensor cursor", f"SENSOR#{name}", "CURSOR")
        return None if item is None else item.body

    def set_sensor_cursor(self, name: str, cursor: str | None) -> None:
        item = self.model(f"SENSOR#{name}", "CURSOR", body=cursor, ts=time.time())
        self._call("writing a sensor cursor", item.save if cursor is not None else item.delete)

    def add_tick(self, tick: TickRecord) -> None:
        item = self.model(
            f"SENSOR#{tick.name}",
            f"TICK#{_ts(tick.timestamp)}#{tick.tick_id}",
            body=dumps(tick_to_dict(tick)),
            status=tick.status.value,
            ts=tick.timestamp,
            expires_at=_expiry(self.event_ttl),
        )
        self._call("adding a tick", item.save)

    def list_ticks(self, name: str, *, limit: int = 50, before: float | None = None) -> list[TickRecord]:
        sk = self.model.sk
        condition = sk.startswith("TICK#") if before is None else sk.between("TICK#", f"TICK#{_ts(before)}")
        now = time.time()
        items = self._query(
            "reading ticks", f"SENSOR#{name}", condition, scan_index_forward=False, limit=limit, page_size=limit
        )
        return [tick_from_dict(json.loads(item.body or "{}")) for item in items if _unexpired(item, now)]

    # -- backfills -------------------------------------------------------------------
    def create_backfill(self, backfill: BackfillRecord) -> BackfillRecord:
        data = backfill_to_dict(backfill)
        for name in ("partition_keys", "partition_statuses", "partition_run_ids", "status", "updated_at"):
            data.pop(name)
        order = f"{_ts(backfill.created_at)}#{backfill.backfill_id}"
        pk = f"BACKFILL#{backfill.backfill_id}"
        header = self.model(
            pk,
            "BACKFILL",
            body=dumps(data),
            status=backfill.status.value,
            ts=backfill.created_at,
            gsi2pk=f"BACKFILLSTATUS#{backfill.status.value}",
            gsi2sk=order,
            gsi3pk="BACKFILLS",
            gsi3sk=order,
        )
        if not self._call("creating a backfill", lambda: _put_if_absent(self.model, header)):
            raise StateStoreError(f"a backfill with id '{backfill.backfill_id}' already exists")
        self._batch_write(
            "creating a backfill's partitions",
            [
                self.model(
                    pk,
                    f"PART#{key}",
                    seq=i,
                    status=backfill.partition_statuses[key].value if key in backfill.partition_statuses else None,
                    run_id=backfill.partition_run_ids.get(key),
                )
                for i, key in enumerate(dict.fromkeys(backfill.partition_keys))
            ],
        )
        return backfill

    def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        items = self._query("reading a backfill", f"BACKFILL#{backfill_id}")
        header = next((item for item in items if item.sk == "BACKFILL"), None)
        if header is None:
            return None
        partitions = sorted((item for item in items if item.sk.startswith("PART#")), key=lambda i: i.seq or 0)
        data = json.loads(header.body or "{}")
        data.update(
            status=header.status,
            updated_at=header.ended_at,
            partition_keys=[p.sk[5:] for p in partitions],
            partition_statuses={p.sk[5:]: p.status for p in partitions if p.status is not None},
            partition_run_ids={p.sk[5:]: p.run_id for p in partitions if p.run_id is not None},
        )
        return backfill_from_dict(data)

    def list_backfills(self, *, status: BackfillStatus | None = None, limit: int = 20) -> list[BackfillRecord]:
        model = self.model
        index: GlobalSecondaryIndex[StateItem] = model.gsi3 if status is None else model.gsi2
        hash_key = "BACKFILLS" if status is None else f"BACKFILLSTATUS#{status.value}"

        def run() -> list[StateItem]:
            return list(index.query(hash_key, scan_index_forward=False, limit=limit, page_size=limit))

        headers = self._call("listing backfills", run)
        found = [self.get_backfill(item.pk[len("BACKFILL#") :]) for item in headers]
        return [backfill for backfill in found if backfill is not None]

    def update_backfill(
        self,
        backfill_id: str,
        *,
        status: BackfillStatus | None = None,
        partition_statuses: Mapping[str, PartitionStatus] | None = None,
        partition_run_ids: Mapping[str, str] | None = None,
    ) -> BackfillRecord:
        model = self.model
        pk = f"BACKFILL#{backfill_id}"
        changes: dict[str, list[Action]] = {}
        for key, partition_status in (partition_statuses or {}).items():
            changes.setdefault(key, []).append(model.status.set(partition_status.value))
        for key, run_id in (partition_run_ids or {}).items():
            changes.setdefault(key, []).append(model.run_id.set(run_id))
        # Validate before writing anything, so that a bad request changes nothing.
        wanted = [(pk, "BACKFILL"), *((pk, f"PART#{key}") for key in changes)]
        found_keys: set[str] = set()
        for start in range(0, len(wanted), 100):
            chunk = wanted[start : start + 100]

            def read(chunk: list[tuple[str, str]] = chunk) -> list[StateItem]:
                return list(self.model.batch_get(chunk, consistent_read=True, attributes_to_get=["pk", "sk"]))

            found_keys |= {item.sk for item in self._call("reading a backfill", read)}
        if "BACKFILL" not in found_keys:
            raise BackfillNotFound(f"no backfill '{backfill_id}'")
        unknown = sorted(key for key in changes if f"PART#{key}" not in found_keys)
        if unknown:
            raise StateStoreError(f"backfill '{backfill_id}' did not request partition(s) {unknown[:5]}")
        # updated_at lives in ended_at: the header has no other use for it.
        actions: list[Action] = [model.ended_at.set(time.time())]
        if status is not None:
            actions += [model.status.set(status.value), model.gsi2pk.set(f"BACKFILLSTATUS#{status.value}")]
        if not self._call("updating a backfill", lambda: _update_if_exists(model, model(pk, "BACKFILL"), actions)):
            raise BackfillNotFound(f"no backfill '{backfill_id}'")
        for key, partition_actions in changes.items():
            item = model(pk, f"PART#{key}")
            if not self._call(
                "updating a backfill partition",
                lambda item=item, actions=partition_actions: _update_if_exists(model, item, actions),  # type: ignore[misc]
            ):
                raise StateStoreError(f"backfill '{backfill_id}' did not request partition {key!r}")
        found = self.get_backfill(backfill_id)
        assert found is not None
        return found

    def transition_backfill(self, backfill_id: str, *, expected: BackfillStatus, status: BackfillStatus) -> bool:
        model = self.model
        header = model(f"BACKFILL#{backfill_id}", "BACKFILL")
        actions: list[Action] = [
            model.status.set(status.value),
            model.gsi2pk.set(f"BACKFILLSTATUS#{status.value}"),
            model.ended_at.set(time.time()),
        ]

        def update() -> bool:
            try:
                header.update(actions=actions, condition=model.pk.exists() & (model.status == expected.value))
                return True
            except PynamoDBException as err:
                if err.cause_response_code == "ConditionalCheckFailedException":
                    return False
                raise

        if self._call("updating a backfill", update):
            return True
        if self._get("reading a backfill", header.pk, "BACKFILL") is None:
            raise BackfillNotFound(f"no backfill '{backfill_id}'")
        return False

    def update_backfill_partition(
        self,
        backfill_id: str,
        partition_key: str,
        *,
        status: PartitionStatus | None = None,
        run_id: str | None = None,
    ) -> BackfillStatus:
        # Two UpdateItems, whatever the backfill's size: the partition, then the header,
        # whose new image carries the backfill's status.
        model = self.model
        pk = f"BACKFILL#{backfill_id}"
        actions: list[Action] = []
        if status is not None:
            actions.append(model.status.set(status.value))
        if run_id is not None:
            actions.append(model.run_id.set(run_id))
        part = model(pk, f"PART#{partition_key}")
        if actions and not self._call(
            "updating a backfill partition", lambda: _update_if_exists(model, part, actions)
        ):
            if self._get("reading a backfill", pk, "BACKFILL") is None:
                raise BackfillNotFound(f"no backfill '{backfill_id}'")
            raise StateStoreError(f"backfill '{backfill_id}' did not request partition {partition_key!r}")
        header = model(pk, "BACKFILL")
        touch: list[Action] = [model.ended_at.set(time.time())]
        if not self._call("updating a backfill", lambda: _update_if_exists(model, header, touch)):
            raise BackfillNotFound(f"no backfill '{backfill_id}'")
        return BackfillStatus(header.status)

    # -- asset checks ----------------------------------------------------------------
    def record_check_result(self, result: AssetCheckResult) -> None:
        result = bound_check_result(result)
        model = self.model
        pk = _asset_pk(result.asset_key)
        body = dumps(check_result_to_dict(result))
        stamp = result.timestamp
        history = model(pk, f"CHECK#{result.check_name}#{_ts(stamp)}#{result.run_id or '-'}", body=body, ts=stamp)
        latest = model(pk, f"CHECKLATEST#{result.check_name}", body=body, ts=stamp, run_id=result.run_id)

        def record() -> None:
            try:
                self._transact([(history, None), (latest, model.pk.does_not_exist() | (model.ts <= stamp))])
            except TransactWriteError as err:
                if not _failed_conditions(err):
                    raise
                history.save()  # a newer result is the latest already: only add to the history

        self._call("recording an asset check result", record)

    def latest_check_result(self, asset_key: AssetKey, check_name: str) -> AssetCheckResult | None:
        item = self._get("reading an asset check result", _asset_pk(asset_key), f"CHECKLATEST#{check_name}")
        return None if item is None else check_result_from_dict(json.loads(item.body or "{}"))

    def latest_check_results(self, asset_key: AssetKey) -> dict[str, AssetCheckResult]:
        items = self._query(
            "reading asset check results", _asset_pk(asset_key), self.model.sk.startswith("CHECKLATEST#")
        )
        results = [check_result_from_dict(json.loads(item.body or "{}")) for item in items]
        return {result.check_name: result for result in sorted(results, key=lambda r: r.check_name)}

    # -- task tokens -------------------------------------------------------------------
    def put_task_token(self, run_id: str, step_key: str, token: str) -> None:
        item = self.model(_run_pk(run_id), f"TOKEN#{step_key}", body=token, ts=time.time())
        self._call("storing a task token", item.save)

    def get_task_token(self, run_id: str, step_key: str) -> str | None:
        item = self._get("reading a task token", _run_pk(run_id), f"TOKEN#{step_key}")
        return None if item is None else item.body

    def list_task_tokens(self, run_id: str) -> dict[str, str]:
        items = self._query("reading task tokens", _run_pk(run_id), self.model.sk.startswith("TOKEN#"))
        return {item.sk[len("TOKEN#") :]: item.body or "" for item in items}


# -- helpers ------------------------------------------------------------------------------


def _retryable(err: PynamoDBException) -> bool:
    if err.cause_response_code in _RETRYABLE_CODES:
        return True
    if isinstance(err, TransactWriteError):
        codes = {reason.code for reason in err.cancellation_reasons if reason is not None}
        return bool(codes & _RETRYABLE_REASONS) and _CONDITION_FAILED not in codes
    return False


def _failed_conditions(err: TransactWriteError) -> list[int]:
    """Indexes of the transaction items whose condition failed."""
    return [i for i, reason in enumerate(err.cancellation_reasons) if reason is not None and reason.code == _CONDITION_FAILED]


def _put_if_absent(model: type[StateItem], item: StateItem) -> bool:
    try:
        item.save(condition=model.pk.does_not_exist())
        return True
    except PynamoDBException as err:
        if err.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def _update_if_exists(model: type[StateItem], item: StateItem, actions: list[Action]) -> bool:
    try:
        item.update(actions=actions, condition=model.pk.exists())
        return True
    except PynamoDBException as err:
        if err.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
