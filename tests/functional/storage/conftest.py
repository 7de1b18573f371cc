"""Stores for the contract suite: in memory, SQLite, and DynamoDB on moto (in-process).

moto is started once for this package and the table created once; each test
empties it (a Scan here is test plumbing, never a store access pattern).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler
from state_stores import (
    REGION,
    TABLE,
    StoreFactory,
    dynamodb_store,
    empty_table,
    speed_up_moto_transactions,
)

from aloft.storage.base import StateStore
from aloft.storage.memory import InMemoryStateStore
from aloft.storage.sqlite import SqliteStateStore

BACKENDS = ("memory", "sqlite", "dynamodb")


@pytest.fixture(scope="package")
def aws() -> Iterator[None]:
    """moto for the whole package: starting it per test would cost more than the tests.

    DynamoDB handles each request atomically; moto's in-process backend does
    not (TransactWriteItems deep-copies the table while other threads write
    to it). A lock around moto's request handler restores the service's
    per-request atomicity, so concurrency tests exercise aloft, not moto.
    """
    saved = {k: os.environ.get(k) for k in ("AWS_DEFAULT_REGION", "AWS_REGION")}
    os.environ["AWS_DEFAULT_REGION"] = REGION
    os.environ.pop("AWS_REGION", None)
    lock = threading.Lock()
    handle = DynamoHandler.call_action

    def atomic(self: DynamoHandler) -> Any:
        with lock:
            return handle(self)

    with pytest.MonkeyPatch.context() as patch, mock_aws():
        patch.setattr(DynamoHandler, "call_action", atomic)
        speed_up_moto_transactions(patch)
        yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="package")
def dynamodb_table(aws: None) -> str:
    """The contract table, created once."""
    dynamodb_store().create_table()
    return TABLE


@pytest.fixture(params=BACKENDS)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Builds stores of one backend (keyword arguments such as ``event_ttl`` pass through)."""
    made: list[StateStore] = []
    backend = request.param
    if backend == "dynamodb":
        table = request.getfixturevalue("dynamodb_table")
        empty_table(dynamodb_store(table))

    def make(**kwargs: Any) -> StateStore:
        store: StateStore
        if backend == "memory":
            store = InMemoryStateStore(**kwargs)
        elif backend == "sqlite":
            store = SqliteStateStore(tmp_path / "state.db", **kwargs)
        else:
            store = dynamodb_store(**kwargs)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def store(make_store: StoreFactory) -> StateStore:
    """A fresh, empty store of each backend."""
    return make_store()
