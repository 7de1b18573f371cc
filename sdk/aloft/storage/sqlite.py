"""``SqliteStateStore``: the embedded default (``.aloft/state.db`` in the project).

One connection guarded by a lock serves every thread of the executor's pool
(SQLite serializes writers anyway, and a single connection also makes
``:memory:`` databases shareable). WAL lets ``aloft dev`` read while
``aloft materialize`` writes from another process; ``synchronous=NORMAL``
keeps commits free of fsync (a power cut may lose the last transactions,
never corrupt the file).

Schema (version :data:`SCHEMA_VERSION`, in table ``aloft_schema``)::

    runs(run_id PK, job_name, status, created_at, run_key UNIQUE, started_at,
         ended_at, execution_arn, data)                  -- data: the immutable fields, JSON
    step_events(id PK, run_id, timestamp, expires_at, data)
    materializations(id PK, asset_key, partition_key, run_id, attempt, identity UNIQUE,
                     timestamp, data)
    partition_status(asset_key, partition_key, status, run_id, updated_at; PK both keys)
    dynamic_partitions(name, partition_key, position; PK (name, partition_key))
    sensor_cursors(name PK, cursor, updated_at)
    ticks(tick_id PK, name, timestamp, expires_at, data)
    backfills(backfill_id PK, job_name, status, created_at, updated_at, data)
    backfill_partitions(backfill_id, partition_key, position, status, run_id; PK both keys)
    check_results(id PK, asset_key, check_name, timestamp, data)
    task_tokens(run_id, step_key, token; PK both keys)

Example:
    >>> from aloft.storage.records import RunRecord
    >>> store = SqliteStateStore(":memory:")
    >>> store.create_run(RunRecord("r1", "daily")).job_name
    'daily'
    >>> store.get_run("r1").status.value
    'QUEUED'
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aloft.definitions.asset_key import AssetKey
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

__all__ = ["SCHEMA_VERSION", "SqliteStateStore"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE aloft_schema (version INTEGER NOT NULL);
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    job_name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    run_key TEXT UNIQUE,
    started_at REAL,
    ended_at REAL,
    execution_arn TEXT,
    data TEXT NOT NULL
);
CREATE INDEX runs_by_time ON runs (created_at DESC);
CREATE INDEX runs_by_job ON runs (job_name, created_at DESC);
CREATE INDEX runs_by_status ON runs (status, created_at DESC);
CREATE TABLE step_events (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    timestamp REAL NOT NULL,
    expires_at REAL,
    data TEXT NOT NULL
);
CREATE INDEX step_events_by_run ON step_events (run_id, timestamp, id);
CREATE INDEX step_events_by_expiry ON step_events (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE materializations (
    id INTEGER PRIMARY KEY,
    asset_key TEXT NOT NULL,
    partition_key TEXT,
    run_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    identity TEXT NOT NULL UNIQUE,
    timestamp REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX materializations_by_asset ON materializations (asset_key, timestamp DESC, id DESC);
CREATE INDEX materializations_by_partition
    ON materializations (asset_key, partition_key, timestamp DESC, id DESC) WHERE partition_key IS NOT NULL;
CREATE TABLE partition_status (
    asset_key TEXT NOT NULL,
    partition_key TEXT NOT NULL,
    status TEXT NOT NULL,
    run_id TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (asset_key, partition_key)
) WITHOUT ROWID;
CREATE TABLE dynamic_partitions (
    name TEXT NOT NULL,
    partition_key TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (name, partition_key)
);
CREATE TABLE sensor_cursors (name TEXT PRIMARY KEY, cursor TEXT NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE ticks (
    tick_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    timestamp REAL NOT NULL,
    expires_at REAL,
    data TEXT NOT NULL
);
CREATE INDEX ticks_by_name ON ticks (name, timestamp DESC);
CREATE TABLE backfills (
    backfill_id TEXT PRIMARY KEY,
    job_name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL,
    data TEXT NOT NULL
);
CREATE INDEX backfills_by_time ON backfills (created_at DESC);
CREATE TABLE backfill_partitions (
    backfill_id TEXT NOT NULL,
    partition_key TEXT NOT NULL,
    position INTEGER NOT NULL,
    status TEXT,
    run_id TEXT,
    PRIMARY KEY (backfill_id, partition_key)
) WITHOUT ROWID;
CREATE TABLE check_results (
    id INTEGER PRIMARY KEY,
    asset_key TEXT NOT NULL,
    check_name TEXT NOT NULL,
    timestamp REAL NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX check_results_by_check ON check_results (asset_key, check_name, timestamp DESC, id DESC);
CREATE TABLE task_tokens (
    run_id TEXT NOT NULL,
    step_key TEXT NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (run_id, step_key)
) WITHOUT ROWID;
"""

# Fields of a run that change after creation live in their own columns; the rest is JSON.
_MUTABLE_RUN_FIELDS = ("status", "started_at", "ended_at", "execution_arn")


class SqliteStateStore(StateStore):
    """The state store in one SQLite file (or ``":memory:"``).

    Creates the file and its schema on first use; refuses a file that is not
    an aloft state database, or one of another schema version, without
    touching it.

    Example:
        >>> store = SqliteStateStore(":memory:")
        >>> store.add_dynamic_partitions("customers", ["acme"])
        >>> store.get_dynamic_partitions("customers")
        ['acme']
    """

    def __init__(self, path: str | Path, *, event_ttl: float | None = DEFAULT_EVENT_TTL) -> None:
        self.path = str(path)
        self.event_ttl = event_ttl
        self._lock = threading.RLock()
        self._db = self._open()

    # -- opening -----------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        if self.path != ":memory:" and not Path(self.path).parent.is_dir():
            raise StateStoreError(f"cannot create the state database {self.path}: its directory does not exist")
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), never implicit.
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30.0)
        try:
            # Reading the schema first fails on a file that is not a database, before any write.
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as err:
            db.close()
            raise StateStoreError(
                f"{self.path} is not a readable SQLite database ({err}); it was left untouched. "
                "Move it aside (aloft then creates a fresh one) or point --state elsewhere."
            ) from err
        try:
            if "aloft_schema" in tables:
                self._check_version(db)
            elif tables:
                raise StateStoreError(
                    f"{self.path} is a SQLite database but not an aloft state database (tables: "
                    f"{', '.join(sorted(tables)[:5])}); it was left untouched. Point --state elsewhere."
                )
            if self.path != ":memory:":
                db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = OFF")
            if "aloft_schema" not in tables:
                db.execute("BEGIN IMMEDIATE")
                # Another process may have created the schema while we waited for the lock.
                if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'aloft_schema'").fetchone() is None:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute("INSERT INTO aloft_schema (version) VALUES (?)", (SCHEMA_VERSION,))
                db.execute("COMMIT")
        except sqlite3.DatabaseError as err:
            db.close()
            raise StateStoreError(f"cannot open the state database {self.path}: {err}") from err
        except StateStoreError:
            db.close()
            raise
        return db

    def _check_version(self, db: sqlite3.Connection) -> None:
        row = db.execute("SELECT version FROM aloft_schema").fetchone()
        found = None if row is None else row[0]
        if found != SCHEMA_VERSION:
            raise StateStoreError(
                f"the state database {self.path} has schema version {found}; this aloft "
                f"understands version {SCHEMA_VERSION}. Use the aloft version that wrote it, "
                "or move the file aside to start a fresh history."
            )

    @property
    def schema_version(self) -> int:
        """The schema version stored in the database."""
        with self._read() as db:
            return int(db.execute("SELECT version FROM aloft_schema").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.DatabaseError as err:
                raise StateStoreError(f"state database {self.path}: {err}") from err

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: every statement inside commits together or not at all."""
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as err:
                raise StateStoreError(f"state database {self.path}: {err}") from err
            try:
                yield db
            except BaseException as err:
                db.execute("ROLLBACK")
                if isinstance(err, sqlite3.IntegrityError | StateStoreError) or not isinstance(
                    err, sqlite3.DatabaseError
                ):
                    raise
                raise StateStoreError(f"state database {self.path}: {err}") from err
            else:
                db.execute("COMMIT")

    def _expires_at(self) -> float | None:
        return None if self.event_ttl is None else time.time() + self.event_ttl

    def purge_expired(self, now: float | None = None) -> int:
        """Delete expired step events and ticks; returns how many rows went.

        Reads already hide expired rows; this only reclaims space.
        """
        now = now or time.time()
        with self._write() as db:
            count = db.execute("DELETE FROM step_events WHERE expires_at <= ?", (now,)).rowcount
            count += db.execute("DELETE FROM ticks WHERE expires_at <= ?", (now,)).rowcount
        return int(count)

    # -- runs ------------------------------------------------------------------------
    def create_run(self, run: RunRecord) -> RunRecord:
        stored, created = self.reserve_run(run)
        if not created:
            raise DuplicateRunKey(
                f"run key {run.run_key!r} is already reserved by run '{stored.run_id}'", existing=stored
            )
        return stored

    def reserve_run(self, run: RunRecord) -> tuple[RunRecord, bool]:
        run = check_run(run)
        data = run_to_dict(run)
        for name in _MUTABLE_RUN_FIELDS:
            data.pop(name)
        with self._write() as db:
            if run.run_key is not None:
                existing = db.execute("SELECT * FROM runs WHERE run_key = ?", (run.run_key,)).fetchone()
                if existing is not None:
                    return _run_from_row(existing), False
            if db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run.run_id,)).fetchone() is not None:
                raise RunAlreadyExists(f"a run with id '{run.run_id}' already exists")
            db.execute(
                "INSERT INTO runs (run_id, job_name, status, created_at, run_key, started_at, ended_at,"
                " execution_arn, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.job_name,
                    run.status.value,
                    run.created_at,
                    run.run_key,
                    run.started_at,
                    run.ended_at,
                    run.execution_arn,
                    dumps(data),
                ),
            )
        return run, True

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._read() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else _run_from_row(row)

    def get_run_by_key(self, run_key: str) -> RunRecord | None:
        with self._read() as db:
            row = db.execute("SELECT * FROM runs WHERE run_key = ?", (run_key,)).fetchone()
        return None if row is None else _run_from_row(row)

    def update_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        timestamp: float | None = None,
        execution_arn: str | None = None,
    ) -> RunRecord:
        now = timestamp or time.time()
        with self._write() as db:
            row = db.execute("SELECT status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise RunNotFound(f"no run '{run_id}'")
            current = RunStatus(row[0])
            if not current.can_become(status):
                raise InvalidRunTransition(f"run '{run_id}' is {current.value}; it cannot become {status.value}")
            db.execute(
                "UPDATE runs SET status = ?,"
                " started_at = CASE WHEN ? AND started_at IS NULL THEN ? ELSE started_at END,"
                " ended_at = CASE WHEN ? AND ended_at IS NULL THEN ? ELSE ended_at END,"
                " execution_arn = COALESCE(?, execution_arn) WHERE run_id = ?",
                (status.value, status == RunStatus.STARTED, now, status.is_finished, now, execution_arn, run_id),
            )
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return _run_from_row(row)

    def list_runs(
        self,
        *,
        job_name: str | None = None,
        status: RunStatus | None = None,
        limit: int = 50,
        before: float | None = None,
    ) -> list[RunRecord]:
        clauses, params = [], []
        for clause, value in (
            ("job_name = ?", job_name),
            ("status = ?", status.value if status else None),
            ("created_at < ?", before),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._read() as db:
            rows = db.execute(
                f"SELECT * FROM runs {where} ORDER BY created_at DESC, run_id DESC LIMIT ?", (*params, limit)
            ).fetchall()
        return [_run_from_row(row) for row in rows]

    # -- step events -------------------------------------------------------------------
    def add_step_event(self, event: StepEvent) -> None:
        event = bound_event(event)
        with self._write() as db:
            db.execute(
                "INSERT INTO step_events (run_id, timestamp, expires_at, data) VALUES (?, ?, ?, ?)",
                (event.run_id, event.timestamp, self._expires_at(), dumps(event_to_dict(event))),
            )

    def get_step_events(self, run_id: str) -> list[StepEvent]:
        with self._read() as db:
            rows = db.execute(
                "SELECT data FROM step_events WHERE run_id = ? AND (expires_at IS NULL OR expires_at > ?)"
                " ORDER BY timestamp, id",
                (run_id, time.time()),
            ).fetchall()
        return [event_from_dict(json.loads(row[0])) for row in rows]

    # -- materializations ------------------------------------------------------------
    def record_materialization(self, record: MaterializationRecord) -> bool:
        record = bound_materialization(record)
        asset = record.asset_key.to_user_string()
        identity = dumps([record.run_id, asset, record.partition_key, record.attempt])
        with self._write() as db:
            inserted = db.execute(
                "INSERT OR IGNORE INTO materializations"
                " (asset_key, partition_key, run_id, attempt, identity, timestamp, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    asset,
                    record.partition_key,
                    record.run_id,
                    record.attempt,
                    identity,
                    record.timestamp,
                    dumps(materialization_to_dict(record)),
                ),
            ).rowcount
            if not inserted:
                return False
            if record.partition_key is not None:
                _upsert_status(
                    db,
                    asset,
                    PartitionStatusRecord(
                        record.partition_key, PartitionStatus.MATERIALIZED, record.run_id, record.timestamp
                    ),
                )
        return True

    def latest_materialization(
        self, asset_key: AssetKey, partition_key: str | None = None
    ) -> MaterializationRecord | None:
        asset = asset_key.to_user_string()
        with self._read() as db:
            if partition_key is None:
                row = db.execute(
                    "SELECT data FROM materializations WHERE asset_key = ?"
                    " ORDER BY timestamp DESC, id DESC LIMIT 1",
                    (asset,),
                ).fetchone()
            else:
                row = db.execute(
                    "SELECT data FROM materializations WHERE asset_key = ? AND partition_key = ?"
                    " ORDER BY timestamp DESC, id DESC LIMIT 1",
                    (asset, partition_key),
                ).fetchone()
        return None if row is None else materialization_from_dict(json.loads(row[0]))

    def materialization_history(
        self, asset_key: AssetKey, *, limit: int = 50, before: float | None = None
    ) -> list[MaterializationRecord]:
        with self._read() as db:
            rows = db.execute(
                "SELECT data FROM materializations WHERE asset_key = ? AND timestamp < ?"
                " ORDER BY timestamp DESC, id DESC LIMIT ?",
                (asset_key.to_user_string(), float("inf") if before is None else before, limit),
            ).fetchall()
        return [materialization_from_dict(json.loads(row[0])) for row in rows]

    def latest_materializations(self, asset_keys: Sequence[AssetKey]) -> dict[AssetKey, MaterializationRecord]:
        result = {}
        for key in asset_keys:
            latest = self.latest_materialization(key)
            if latest is not None:
                result[key] = latest
        return result

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
        with self._write() as db:
            _upsert_status(
                db,
                asset_key.to_user_string(),
                PartitionStatusRecord(partition_key, status, run_id, timestamp or time.time()),
            )

    def partition_status_records(self, asset_key: AssetKey) -> dict[str, PartitionStatusRecord]:
        with self._read() as db:
            rows = db.execute(
                "SELECT partition_key, status, run_id, updated_at FROM partition_status WHERE asset_key = ?",
                (asset_key.to_user_string(),),
            ).fetchall()
        return {key: PartitionStatusRecord(key, PartitionStatus(status), run, at) for key, status, run, at in rows}

    def partition_statuses(self, asset_key: AssetKey) -> dict[str, PartitionStatus]:
        with self._read() as db:
            rows = db.execute(
                "SELECT partition_key, status FROM partition_status WHERE asset_key = ?",
                (asset_key.to_user_string(),),
            ).fetchall()
        return {key: PartitionStatus(status) for key, status in rows}

    # -- dynamic partitions ----------------------------------------------------------
    def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        with self._read() as db:
            rows = db.execute(
                "SELECT partition_key FROM dynamic_partitions WHERE name = ? ORDER BY position",
                (partitions_def_name,),
            ).fetchall()
        return [row[0] for row in rows]

    def add_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        with self._write() as db:
            (position,) = db.execute(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM dynamic_partitions WHERE name = ?",
                (partitions_def_name,),
            ).fetchone()
            db.executemany(
                "INSERT OR IGNORE INTO dynamic_partitions (name, partition_key, position) VALUES (?, ?, ?)",
                [(partitions_def_name, key, position + i) for i, key in enumerate(partition_keys)],
            )

    def delete_dynamic_partitions(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        with self._write() as db:
            db.executemany(
                "DELETE FROM dynamic_partitions WHERE name = ? AND partition_key = ?",
                [(partitions_def_name, key) for key in partition_keys],
            )

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        with self._read() as db:
            row = db.execute(
                "SELECT 1 FROM dynamic_partitions WHERE name = ? AND partition_key = ?",
                (partitions_def_name, partition_key),
            ).fetchone()
        return row is not None

    # -- sensors -----------------------------------------------------------------------
    def get_sensor_cursor(self, name: str) -> str | None:
        with self._read() as db:
            row = db.execute("SELECT cursor FROM sensor_cursors WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_sensor_cursor(self, name: str, cursor: str | None) -> None:
        with self._write() as db:
            if cursor is None:
                db.execute("DELETE FROM sensor_cursors WHERE name = ?", (name,))
            else:
                db.execute(
                    "INSERT INTO sensor_cursors (name, cursor, updated_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                    (name, cursor, time.time()),
                )

    def add_tick(self, tick: TickRecord) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO ticks (tick_id, name, timestamp, expires_at, data) VALUES (?, ?, ?, ?, ?)",
                (tick.tick_id, tick.name, tick.timestamp, self._expires_at(), dumps(tick_to_dict(tick))),
            )

    def list_ticks(self, name: str, *, limit: int = 50, before: float | None = None) -> list[TickRecord]:
        with self._read() as db:
            rows = db.execute(
                "SELECT data FROM ticks WHERE name = ? AND timestamp < ? AND (expires_at IS NULL OR expires_at > ?)"
                " ORDER BY timestamp DESC LIMIT ?",
                (name, float("inf") if before is None else before, time.time(), limit),
            ).fetchall()
        return [tick_from_dict(json.loads(row[0])) for row in rows]

    # -- backfills -------------------------------------------------------------------
    def create_backfill(self, backfill: BackfillRecord) -> BackfillRecord:
        data = backfill_to_dict(backfill)
        for name in ("partition_keys", "partition_statuses", "partition_run_ids", "status", "updated_at"):
            data.pop(name)
        with self._write() as db:
            try:
                db.execute(
                    "INSERT INTO backfills (backfill_id, job_name, status, created_at, updated_at, data)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        backfill.backfill_id,
                        backfill.job_name,
                        backfill.status.value,
                        backfill.created_at,
                        backfill.updated_at,
                        dumps(data),
                    ),
                )
            except sqlite3.IntegrityError as err:
                raise StateStoreError(f"a backfill with id '{backfill.backfill_id}' already exists") from err
            db.executemany(
                "INSERT OR IGNORE INTO backfill_partitions (backfill_id, partition_key, position, status, run_id)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        backfill.backfill_id,
                        key,
                        i,
                        backfill.partition_statuses[key].value if key in backfill.partition_statuses else None,
                        backfill.partition_run_ids.get(key),
                    )
                    for i, key in enumerate(backfill.partition_keys)
                ],
            )
        return backfill

    def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        with self._read() as db:
            row = db.execute(
                "SELECT status, updated_at, data FROM backfills WHERE backfill_id = ?", (backfill_id,)
            ).fetchone()
            if row is None:
                return None
            partitions = db.execute(
                "SELECT partition_key, status, run_id FROM backfill_partitions WHERE backfill_id = ?"
                " ORDER BY position",
                (backfill_id,),
            ).fetchall()
        data = json.loads(row[2])
        data.update(
            status=row[0],
            updated_at=row[1],
            partition_keys=[p[0] for p in partitions],
            partition_statuses={p[0]: p[1] for p in partitions if p[1] is not None},
            partition_run_ids={p[0]: p[2] for p in partitions if p[2] is not None},
        )
        return backfill_from_dict(data)

    def list_backfills(self, *, status: BackfillStatus | None = None, limit: int = 20) -> list[BackfillRecord]:
        with self._read() as db:
            rows = db.execute(
                "SELECT backfill_id FROM backfills WHERE ? IS NULL OR status = ?"
                " ORDER BY created_at DESC, backfill_id DESC LIMIT ?",
                (status and status.value, status and status.value, limit),
            ).fetchall()
        found = [self.get_backfill(row[0]) for row in rows]
        return [b for b in found if b is not None]

    def update_backfill(
        self,
        backfill_id: str,
        *,
        status: BackfillStatus | None = None,
        partition_statuses: Mapping[str, PartitionStatus] | None = None,
        partition_run_ids: Mapping[str, str] | None = None,
    ) -> BackfillRecord:
        with self._write() as db:
            updated = db.execute(
                "UPDATE backfills SET status = COALESCE(?, status), updated_at = ? WHERE backfill_id = ?",
                (status and status.value, time.time(), backfill_id),
            ).rowcount
            if not updated:
                raise BackfillNotFound(f"no backfill '{backfill_id}'")
            for key, partition_status in (partition_statuses or {}).items():
                _update_backfill_partition(db, backfill_id, key, "status", partition_status.value)
            for key, run_id in (partition_run_ids or {}).items():
                _update_backfill_partition(db, backfill_id, key, "run_id", run_id)
        found = self.get_backfill(backfill_id)
        assert found is not None
        return found

    def transition_backfill(self, backfill_id: str, *, expected: BackfillStatus, status: BackfillStatus) -> bool:
        with self._write() as db:
            updated = db.execute(
                "UPDATE backfills SET status = ?, updated_at = ? WHERE backfill_id = ? AND status = ?",
                (status.value, time.time(), backfill_id, expected.value),
            ).rowcount
            if updated:
                return True
            exists = db.execute("SELECT 1 FROM backfills WHERE backfill_id = ?", (backfill_id,)).fetchone()
        if exists is None:
            raise BackfillNotFound(f"no backfill '{backfill_id}'")
        return False

    # -- asset checks ----------------------------------------------------------------
    def record_check_result(self, result: AssetCheckResult) -> None:
        result = bound_check_result(result)
        with self._write() as db:
            db.execute(
                "INSERT INTO check_results (asset_key, check_name, timestamp, data) VALUES (?, ?, ?, ?)",
                (
                    result.asset_key.to_user_string(),
                    result.check_name,
                    result.timestamp,
                    dumps(check_result_to_dict(result)),
                ),
            )

    def latest_check_result(self, asset_key: AssetKey, check_name: str) -> AssetCheckResult | None:
        with self._read() as db:
            row = db.execute(
                "SELECT data FROM check_results WHERE asset_key = ? AND check_name = ?"
                " ORDER BY timestamp DESC, id DESC LIMIT 1",
                (asset_key.to_user_string(), check_name),
            ).fetchone()
        return None if row is None else check_result_from_dict(json.loads(row[0]))

    def latest_check_results(self, asset_key: AssetKey) -> dict[str, AssetCheckResult]:
        with self._read() as db:
            names = [
                row[0]
                for row in db.execute(
                    "SELECT DISTINCT check_name FROM check_results WHERE asset_key = ? ORDER BY check_name",
                    (asset_key.to_user_string(),),
                )
            ]
        found = {name: self.latest_check_result(asset_key, name) for name in names}
        return {name: result for name, result in found.items() if result is not None}

    # -- task tokens -------------------------------------------------------------------
    def put_task_token(self, run_id: str, step_key: str, token: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO task_tokens (run_id, step_key, token) VALUES (?, ?, ?)",
                (run_id, step_key, token),
            )

    def get_task_token(self, run_id: str, step_key: str) -> str | None:
        with self._read() as db:
            row = db.execute(
                "SELECT token FROM task_tokens WHERE run_id = ? AND step_key = ?", (run_id, step_key)
            ).fetchone()
        return None if row is None else str(row[0])

    def list_task_tokens(self, run_id: str) -> dict[str, str]:
        with self._read() as db:
            rows = db.execute(
                "SELECT step_key, token FROM task_tokens WHERE run_id = ? ORDER BY step_key", (run_id,)
            ).fetchall()
        return {step: token for step, token in rows}


def _run_from_row(row: tuple[Any, ...]) -> RunRecord:
    _run_id, _job, status, _created, _key, started_at, ended_at, execution_arn, data = row
    fields = json.loads(data)
    fields.update(status=status, started_at=started_at, ended_at=ended_at, execution_arn=execution_arn)
    return run_from_dict(fields)


def _upsert_status(db: sqlite3.Connection, asset: str, record: PartitionStatusRecord) -> None:
    # A status stamped earlier than the stored one (a late, retried write) does not win.
    db.execute(
        "INSERT INTO partition_status (asset_key, partition_key, status, run_id, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (asset_key, partition_key) DO UPDATE SET"
        " status = excluded.status, run_id = excluded.run_id, updated_at = excluded.updated_at"
        " WHERE excluded.updated_at >= partition_status.updated_at",
        (asset, record.partition_key, record.status.value, record.run_id, record.updated_at),
    )


def _update_backfill_partition(db: sqlite3.Connection, backfill_id: str, key: str, column: str, value: str) -> None:
    updated = db.execute(
        f"UPDATE backfill_partitions SET {column} = ? WHERE backfill_id = ? AND partition_key = ?",
        (value, backfill_id, key),
    ).rowcount
    if not updated:
        raise StateStoreError(f"backfill '{backfill_id}' did not request partition {key!r}")
