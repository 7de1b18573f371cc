"""``open_store``: which URL opens which backend, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from aloft.errors import DefinitionError
from aloft.storage.base import DEFAULT_EVENT_TTL
from aloft.storage.dynamodb import DynamoDBStateStore
from aloft.storage.memory import InMemoryStateStore
from aloft.storage.sqlite import SqliteStateStore
from aloft.storage.url import open_store


def test_memory_and_sqlite(tmp_path: Path) -> None:
    assert isinstance(open_store("memory:"), InMemoryStateStore)
    memory_db = open_store("sqlite::memory:")
    assert isinstance(memory_db, SqliteStateStore) and memory_db.path == ":memory:"
    store = open_store(f"sqlite://{tmp_path}/a/state.db?event_ttl_days=0")
    assert isinstance(store, SqliteStateStore)
    assert store.path == str(tmp_path / "a" / "state.db")
    assert store.event_ttl is None


def test_dynamodb_url_options_and_no_request_at_open() -> None:
    store = open_store("dynamodb://aloft-state?region=eu-west-1&endpoint=http://localhost:5000&event_ttl_days=7")
    assert isinstance(store, DynamoDBStateStore)
    assert (store.table_name, store.region, store.endpoint) == ("aloft-state", "eu-west-1", "http://localhost:5000")
    assert store.event_ttl == 7 * 24 * 3600
    assert store.model._connection is None
    assert open_store("dynamodb://t?region=us-west-2").event_ttl == DEFAULT_EVENT_TTL  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://x", "unsupported state URL"),
        ("sqlite:", "names no file"),
        ("dynamodb://", "names no table"),
        ("dynamodb://t?regoin=eu-west-1", "unknown option"),
        ("sqlite:x.db?event_ttl_days=soon", "must be a number"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        open_store(url)
