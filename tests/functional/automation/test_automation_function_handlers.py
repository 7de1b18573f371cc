"""The Lambda entry points ``functions/schedule_tick.py``, ``functions/sensor.py`` and ``functions/automation.py``,
configured from the environment as the CDK app configures them (here: a SQLite store, runs in process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import functions.automation as automation_function
import functions.schedule_tick as schedule_tick_function
import functions.sensor as sensor_function
from aloft.errors import DefinitionError, ExecutionError
from aloft.storage.url import open_store

EVENTS = Path(__file__).resolve().parents[2] / "unit" / "automation" / "events"
PROJECT = '''
from aloft import Definitions, asset, define_asset_job
from aloft.automation.conditions import AutomationCondition
from aloft.automation.run_request import RunRequest
from aloft.automation.s3 import s3_sensor
from aloft.automation.schedule import ScheduleDefinition
from aloft.io.memory import InMemoryIOManager

@asset
def numbers() -> list[int]:
    return [1, 2, 3]

@asset(automation_condition=AutomationCondition.eager())
def total(numbers: list[int]) -> int:
    return sum(numbers)

refresh = define_asset_job("refresh", selection="numbers")
nightly = ScheduleDefinition(name="nightly", job=refresh, cron_schedule="30 2 * * *")

@s3_sensor(bucket="landing-bucket", prefix="orders/", job=refresh)
def drops(context, s3_event):
    if s3_event.key.endswith("broken.csv"):
        raise RuntimeError("cannot parse")
    return RunRequest(tags={"key": s3_event.key})

defs = Definitions(assets=[numbers, total], schedules=[nightly], sensors=[drops],
                   resources={"io_manager": InMemoryIOManager()})
'''
FUNCTIONS = (schedule_tick_function, sensor_function, automation_function)


@pytest.fixture
def environment(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (in_tmp / "handler_project_defs.py").write_text(PROJECT)
    state = f"sqlite:{in_tmp / 'state.db'}"
    monkeypatch.setenv("ALOFT_DEFINITIONS", "handler_project_defs:defs")
    monkeypatch.setenv("ALOFT_STATE", state)
    monkeypatch.setenv("ALOFT_LAUNCHER", "local")
    monkeypatch.syspath_prepend(str(in_tmp))
    for function in FUNCTIONS:  # a new "container" per test
        function.runtime.cache_clear()
    yield state
    for function in FUNCTIONS:
        function.runtime.cache_clear()


def _runs(state: str) -> list[Any]:
    return open_store(state).list_runs(limit=100)


def test_the_runtime_is_built_once_per_container(environment: str) -> None:
    function: ModuleType
    for function in FUNCTIONS:
        assert function.runtime() is function.runtime()


def test_schedule_tick_is_idempotent_per_scheduled_time(environment: str) -> None:
    event = {"schedule_name": "nightly", "scheduled_time": "2024-03-01T01:30:00Z"}
    first = schedule_tick_function.handler(event, None)
    assert first["status"] == "SUCCESS" and len(first["run_ids"]) == 1
    retried = schedule_tick_function.handler(event, None)  # Scheduler retries the same tick
    assert retried["status"] == "SKIPPED" and retried["run_ids"] == []
    assert len(_runs(environment)) == 1
    with pytest.raises(DefinitionError, match="Did you mean 'nightly'"):
        schedule_tick_function.handler({"schedule_name": "nighty", "scheduled_time": "2024-03-01T01:30:00Z"}, None)
    with pytest.raises(DefinitionError, match="not an ISO 8601 time"):
        schedule_tick_function.handler({"schedule_name": "nightly", "scheduled_time": "yesterday"}, None)


def test_sensor_handles_one_event_five_times_as_one_run_and_raises_for_a_failed_sensor(environment: str) -> None:
    event = json.loads((EVENTS / "eventbridge_object_created.json").read_text())
    results = [sensor_function.handler(event, None) for _ in range(5)]
    assert [len(r["run_ids"]) for r in results] == [1, 0, 0, 0, 0]
    (run,) = _runs(environment)
    assert run.tags["key"] == "orders/2021-11-11.csv" and run.status.value == "SUCCESS"
    broken = json.loads(json.dumps(event))
    broken["detail"]["object"]["key"] = "orders/broken.csv"
    with pytest.raises(ExecutionError, match="cannot parse"):  # EventBridge retries, then dead-letters
        sensor_function.handler(broken, None)
    malformed = sensor_function.handler({"detail-type": "Object Created", "source": "aws.s3", "detail": {}}, None)
    assert malformed["run_ids"] == [] and len(malformed["malformed"]) == 1  # reported, not retried


def test_automation_follows_the_stream_and_the_periodic_tick(environment: str) -> None:
    schedule_tick_function.handler({"schedule_name": "nightly", "scheduled_time": "2024-03-01T01:30:00Z"}, None)
    record = {"eventName": "MODIFY", "dynamodb": {"SequenceNumber": "1",
                                                  "Keys": {"pk": {"S": "ASSET#numbers"}, "sk": {"S": "LATEST"}}}}
    result = automation_function.handler({"Records": [record]}, None)
    assert result["updated"] == ["numbers"] and result["batchItemFailures"] == []
    (run_id,) = result["run_ids"]
    run = open_store(environment).get_run(run_id)
    assert run is not None and run.selection == ("total",) and run.status.value == "SUCCESS"
    tick = automation_function.handler({"source": "tick", "scheduled_time": "2024-03-01T02:00:00Z"}, None)
    assert tick["run_ids"] == [] and tick["automation"] == "SKIPPED"
    assert automation_function.handler({"Records": []}, None) == {"updated": [], "run_ids": [], "batchItemFailures": []}
