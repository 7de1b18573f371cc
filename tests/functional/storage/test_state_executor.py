"""The executor records to every backend, and the CLI reads DynamoDB through a local endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

import aloft.cli.main as cli
from aloft import asset, materialize
from aloft.definitions.asset_key import AssetKey
from aloft.partitions import StaticPartitionsDefinition
from aloft.storage.base import StateStore
from aloft.storage.records import PartitionStatus, RunStatus, StepEventType


@asset
def numbers() -> list[int]:
    return [1, 2, 3]


@asset
def total(numbers: list[int]) -> int:
    return sum(numbers)


@asset(partitions_def=StaticPartitionsDefinition(["eu", "us"]))
def regional(context) -> str:  # type: ignore[no-untyped-def]
    if context.partition_key == "us":
        raise ValueError("no data for us")
    return str(context.partition_key)


def test_the_executor_records_runs_events_and_materializations(store: StateStore) -> None:
    result = materialize([numbers, total], instance=store)
    assert result.success
    (run,) = store.list_runs()
    assert run.run_id == result.run_id and run.status == RunStatus.SUCCESS
    assert run.started_at is not None and run.ended_at is not None
    events = store.get_step_events(run.run_id)
    assert [(e.step_key, e.event_type) for e in events if e.event_type != StepEventType.STARTED] == [
        ("numbers", StepEventType.SUCCEEDED),
        ("total", StepEventType.SUCCEEDED),
    ]
    latest = store.latest_materializations([AssetKey("numbers"), AssetKey("total")])
    assert {key.to_user_string(): record.run_id for key, record in latest.items()} == {
        "numbers": run.run_id,
        "total": run.run_id,
    }


def test_the_executor_records_partition_status(store: StateStore) -> None:
    assert materialize([regional], instance=store, partition_key="eu").success
    assert not materialize([regional], instance=store, partition_key="us", raise_on_error=False).success
    assert store.partition_statuses(AssetKey("regional")) == {
        "eu": PartitionStatus.MATERIALIZED,
        "us": PartitionStatus.FAILED,
    }
    assert store.latest_materialization(AssetKey("regional"), "eu") is not None
    assert [r.status for r in store.list_runs()] == [RunStatus.FAILURE, RunStatus.SUCCESS]


PROJECT = """
from aloft import Definitions, asset

@asset
def numbers() -> list[int]:
    return [1, 2, 3]

defs = Definitions(assets=[numbers])
"""


@pytest.fixture
def moto_server(aws: None) -> Iterator[str]:
    """A moto server on a free port: the 'local endpoint' of ``aloft state init``."""
    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_cli_on_dynamodb_through_a_local_endpoint(
    in_tmp: Path, moto_server: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if "aloft.cli.state" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "aloft.cli.state"))
    (in_tmp / "defs.py").write_text(PROJECT)
    state = f"dynamodb://aloft-cli?endpoint={moto_server}"
    assert cli.main(["--state", state, "state", "init"]) == 0
    assert "created DynamoDB table 'aloft-cli'" in capsys.readouterr().out
    assert cli.main(["--state", state, "state", "init"]) == 0
    assert "already exists" in capsys.readouterr().out
    assert cli.main(["--state", state, "-f", "defs.py", "materialize", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert cli.main(["--state", state, "runs", "list", "--json"]) == 0
    assert [r["run_id"] for r in json.loads(capsys.readouterr().out)] == [run_id]
    assert cli.main(["--state", state, "-f", "defs.py", "asset", "status"]) == 0
    assert run_id in capsys.readouterr().out
    missing = f"dynamodb://no-table?endpoint={moto_server}"
    assert cli.main(["--state", missing, "runs", "list"]) == 2
    assert "aloft state init --state dynamodb://no-table" in capsys.readouterr().err

