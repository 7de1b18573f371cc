"""Run config in stored runs: databases written before it was recorded, and its JSON form."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from pydantic import BaseModel

from aloft.errors import RunConfigError
from aloft.storage.records import RunRecord, RunStatus
from aloft.storage.serialization import jsonable_run_config, run_from_dict, run_to_dict
from aloft.storage.sqlite import SCHEMA_VERSION, SqliteStateStore

# What aloft wrote in the ``data`` column of a run before runs carried their config.
OLD_RUN_DATA = {
    "run_id": "old",
    "job_name": "daily",
    "selection": ["orders"],
    "partition_key": None,
    "partition_range": None,
    "trigger": "manual",
    "run_key": "2026-03-01",
    "tags": {"team": "data"},
    "created_at": 1.0,
    "parent_run_id": None,
}


def test_a_database_written_before_run_config_reads_and_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStateStore(path).close()
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO runs (run_id, job_name, status, created_at, run_key, started_at, ended_at, execution_arn, data)"
        " VALUES ('old', 'daily', 'SUCCESS', 1.0, '2026-03-01', 1.5, 2.0, NULL, ?)",
        (json.dumps(OLD_RUN_DATA),),
    )
    db.commit()
    db.close()
    store = SqliteStateStore(path)
    assert store.schema_version == SCHEMA_VERSION == 1  # the config lives in the JSON column: no migration
    old = store.get_run("old")
    assert old is not None
    assert (old.status, old.run_key, old.tags, old.run_config) == (RunStatus.SUCCESS, "2026-03-01", {"team": "data"}, {})
    new = store.create_run(RunRecord("new", "daily", created_at=3.0, run_config={"ops": {"orders": {"config": {"n": 1}}}}))
    assert [r.run_id for r in store.list_runs()] == ["new", "old"]
    assert store.get_run("new") == new


def test_an_old_run_dict_without_run_config_reads_back() -> None:
    assert run_from_dict({**OLD_RUN_DATA, "status": "QUEUED"}).run_config == {}


def test_config_objects_dates_and_tuples_become_json() -> None:
    from datetime import date

    class Window(BaseModel):
        start: date
        regions: tuple[str, ...]

    config = {"ops": {"orders": {"config": Window(start=date(2026, 3, 1), regions=("eu",))}}}
    assert jsonable_run_config(config) == {"ops": {"orders": {"config": {"start": "2026-03-01", "regions": ["eu"]}}}}
    run = RunRecord("r1", "daily", created_at=1.0, run_config=config)
    assert run_to_dict(run)["run_config"] == jsonable_run_config(config)


def test_a_value_json_cannot_hold_names_its_path() -> None:
    with pytest.raises(RunConfigError, match=r"ops\.orders\.config\.sink is a set") as raised:
        jsonable_run_config({"ops": {"orders": {"config": {"sink": {1, 2}}}}})
    assert raised.value.path == "ops.orders.config.sink"
