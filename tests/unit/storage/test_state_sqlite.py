"""The SQLite backend's own concerns: the file, its schema version, corruption, speed."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from aloft.definitions.asset_key import AssetKey
from aloft.storage.base import StateStoreError
from aloft.storage.records import (
    MaterializationRecord,
    PartitionStatus,
    RunRecord,
    RunStatus,
    StepEvent,
    StepEventType,
)
from aloft.storage.sqlite import SCHEMA_VERSION, SqliteStateStore
from aloft.storage.url import open_store


def test_history_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = SqliteStateStore(path)
    store.create_run(RunRecord("r1", "daily", created_at=1.0))
    store.update_run_status("r1", RunStatus.SUCCESS)
    store.record_materialization(MaterializationRecord(AssetKey("a"), "r1", "a", partition_key="p"))
    store.close()
    again = SqliteStateStore(path)
    assert again.get_run("r1").status == RunStatus.SUCCESS  # type: ignore[union-attr]
    assert again.partition_statuses(AssetKey("a")) == {"p": PartitionStatus.MATERIALIZED}
    assert again.schema_version == SCHEMA_VERSION


def test_wal_mode_and_a_second_connection_sees_writes(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    writer, reader = SqliteStateStore(path), SqliteStateStore(path)
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    writer.create_run(RunRecord("r1", "daily"))
    assert reader.get_run("r1") is not None


def test_a_corrupt_file_is_an_error_and_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    garbage = b"this is not a database\x00" * 500
    path.write_bytes(garbage)
    with pytest.raises(StateStoreError, match="not a readable SQLite database.*left untouched"):
        SqliteStateStore(path)
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.db"]


def test_another_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (id INTEGER)")
    with pytest.raises(StateStoreError, match="not an aloft state database.*users"):
        SqliteStateStore(path)
    with sqlite3.connect(path) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["users"]


def test_an_unknown_schema_version_names_both_versions(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStateStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE aloft_schema SET version = 42")
    with pytest.raises(StateStoreError, match=rf"schema version 42.*understands version {SCHEMA_VERSION}"):
        SqliteStateStore(path)


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StateStoreError, match="directory does not exist"):
        SqliteStateStore(tmp_path / "nope" / "state.db")


def test_open_store_creates_parent_directories(tmp_path: Path) -> None:
    store = open_store(f"sqlite:{tmp_path}/deep/er/state.db")
    assert isinstance(store, SqliteStateStore)
    assert (tmp_path / "deep" / "er" / "state.db").is_file()


def test_memory_database_is_shared_by_threads() -> None:
    import threading

    store = SqliteStateStore(":memory:")
    thread = threading.Thread(target=lambda: store.create_run(RunRecord("r1", "daily")))
    thread.start()
    thread.join()
    assert store.get_run("r1") is not None


def test_purge_expired_reclaims_space(tmp_path: Path) -> None:
    store = SqliteStateStore(tmp_path / "state.db", event_ttl=10.0)
    store.add_step_event(StepEvent("r1", "a", StepEventType.STARTED))
    assert store.purge_expired() == 0
    assert store.purge_expired(now=time.time() + 11) == 1
    assert store.get_step_events("r1") == []


def test_recording_many_materializations(tmp_path: Path) -> None:
    store = SqliteStateStore(tmp_path / "state.db")
    keys = [AssetKey(f"asset_{i}") for i in range(300)]
    metadata = {"path": {"type": "path", "value": "/data/x"}, "rows": {"type": "int", "value": 3}}
    records = [
        MaterializationRecord(keys[i % 300], f"run{i // 300}", "a", metadata=metadata,
                              partition_key=None if i % 2 else f"p{i}")
        for i in range(1500)
    ]
    # The cost per record (target 0.5 ms) is measured by benchmarks/bench_state.py.
    assert all(store.record_materialization(record) for record in records)
    assert len(store.materialization_history(keys[0], limit=100)) == 5


def test_reading_ten_thousand_partition_statuses(tmp_path: Path) -> None:
    store = SqliteStateStore(tmp_path / "state.db")
    asset = AssetKey("daily")
    for i in range(10_000):
        store.set_partition_status(asset, f"{2000 + i // 365}-{i % 365:03d}", PartitionStatus.MATERIALIZED, "r1")
    statuses = store.partition_statuses(asset)  # timed (target 0.2 s) by benchmarks/bench_state.py
    assert len(statuses) == 10_000
