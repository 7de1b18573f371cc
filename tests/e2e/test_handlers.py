"""The Lambda handlers in functions/, called as Lambda calls them, with a fake Step Functions client.

No moto here: the state store is in memory and task tokens go to a recorder,
so each rule of the gate protocol is checked on its own (release on
completion, self-release, no lost release, harmless double release,
failure propagation, malformed events).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aloft import Definitions, RetryPolicy, asset, define_asset_job
from aloft.cloud import exceptions
from aloft.cloud.local import LocalLambdaContext, find_functions_dir, load_handler
from aloft.cloud.runtime import CloudRuntime, use_runtime
from aloft.compiler import contract
from aloft.io.memory import InMemoryIOManager
from aloft.storage.memory import InMemoryStateStore
from aloft.storage.records import RunRecord, RunStatus, StepEvent, StepEventType


class TokenUsed(Exception):
    """What botocore raises for a used token (only ``response`` matters)."""

    def __init__(self) -> None:
        super().__init__("TaskTimedOut")
        self.response = {"Error": {"Code": "TaskTimedOut"}}


class FakeSfn:
    """Records task-token calls; a token can be completed once, like on AWS."""

    def __init__(self) -> None:
        self.successes: dict[str, Any] = {}
        self.failures: dict[str, tuple[str, str]] = {}
        self.started: list[dict[str, Any]] = []

    def _use(self, token: str) -> None:
        if token in self.successes or token in self.failures:
            raise TokenUsed()

    def send_task_success(self, *, taskToken: str, output: str) -> None:
        self._use(taskToken)
        self.successes[taskToken] = json.loads(output)

    def send_task_failure(self, *, taskToken: str, error: str, cause: str) -> None:
        self._use(taskToken)
        self.failures[taskToken] = (error, cause)

    def start_execution(self, **kwargs: Any) -> dict[str, str]:
        self.started.append(kwargs)
        return {"executionArn": f"arn:aws:states:us-east-1:1:execution:part:{kwargs['name']}"}


ATTEMPTS: dict[str, int] = {}


@asset
def a() -> int:
    return 1


@asset
def b() -> int:
    return 2


@asset
def c(a: int) -> int:
    return a + 1


@asset
def d(a: int, b: int) -> int:
    return a + b


@asset
def broken() -> int:
    raise RuntimeError("source system down")


@asset
def after_broken(broken: int, b: int) -> int:
    return broken + b


@asset
def last(after_broken: int) -> int:
    return after_broken


@asset(retry_policy=RetryPolicy(max_retries=2))
def flaky() -> int:
    raise ConnectionError("try again")


DEFS = Definitions(
    assets=[a, b, c, d, broken, after_broken, last, flaky],
    jobs=[
        define_asset_job("n", selection=["a", "b", "c", "d"]),
        define_asset_job("fails", selection=["broken", "after_broken", "last", "b"]),
        define_asset_job("flaky", selection=["flaky"]),
    ],
    resources={"io_manager": InMemoryIOManager()},
)

Handler = Callable[[dict[str, Any]], Any]


@pytest.fixture
def sfn() -> FakeSfn:
    return FakeSfn()


@pytest.fixture
def store() -> InMemoryStateStore:
    return InMemoryStateStore()


@pytest.fixture
def invoke(
    sfn: FakeSfn, store: InMemoryStateStore
) -> Iterator[Callable[[str, dict[str, Any]], Any]]:
    runtime = CloudRuntime(store=store, definitions=DEFS, clients=lambda service: sfn)
    functions = find_functions_dir()
    handlers = {role: load_handler(functions, role) for role in ("run_step", "gate", "run_status")}

    def call(role: str, event: dict[str, Any]) -> Any:
        context = LocalLambdaContext(
            function_name=role, invoked_function_arn=f"arn:aws:lambda:us-east-1:1:function:{role}"
        )
        with use_runtime(runtime):
            return handlers[role](event, context)

    yield call


def run_event(job: str, step: str, run_id: str = "r1", **extra: Any) -> dict[str, Any]:
    return {
        "kind": "run",
        "job": job,
        "step": step,
        "run": {"run_id": run_id, "partition_key": None, "skip": {}},
        **extra,
    }


def gate_event(
    step: str, upstream: list[str], token: str, run_id: str = "r1", job: str = "n"
) -> dict[str, Any]:
    return {
        "kind": "wait",
        "job": job,
        "step": step,
        "upstream": upstream,
        "run": {"run_id": run_id, "partition_key": None, "skip": {}},
        "token": token,
    }


def statuses(store: InMemoryStateStore, run_id: str = "r1") -> dict[str, str]:
    return {
        e.step_key: e.event_type.value
        for e in store.get_step_events(run_id)
        if e.event_type.value != "STEP_STARTED"
    }


def test_error_class_names_are_the_state_machines_error_names() -> None:
    assert exceptions.AloftStepRetry.__name__ == contract.ERROR_STEP_RETRY
    assert exceptions.AloftStepFailed.__name__ == contract.ERROR_STEP_FAILED
    assert exceptions.AloftMalformedEvent.__name__ == contract.ERROR_MALFORMED_EVENT


def test_gate_waits_then_the_last_upstream_releases_it(
    invoke: Any, sfn: FakeSfn, store: InMemoryStateStore
) -> None:
    assert invoke("run_step", run_event("n", "a"))["status"] == "SUCCESS"
    assert invoke("gate", gate_event("d", ["a", "b"], "tok-d"))["status"] == "waiting"
    assert sfn.successes == {}
    result = invoke("run_step", run_event("n", "b"))
    assert result["released"] == ["d"] and "tok-d" in sfn.successes


def test_gate_releases_itself_when_its_upstreams_are_already_done(
    invoke: Any, sfn: FakeSfn
) -> None:
    invoke("run_step", run_event("n", "a"))
    invoke("run_step", run_event("n", "b"))
    assert invoke("gate", gate_event("d", ["a", "b"], "tok-d"))["status"] == "released"
    assert sfn.successes["tok-d"] == {"released_by": "gate"}


def test_a_release_racing_the_gate_is_sent_once_and_the_second_is_ignored(
    invoke: Any, sfn: FakeSfn, store: InMemoryStateStore
) -> None:
    invoke("run_step", run_event("n", "a"))
    invoke("run_step", run_event("n", "b"))
    store.put_task_token("r1", "d", "tok-d")  # registered while b finished: b saw it and released
    invoke("run_step", run_event("n", "b", run_id="r1"))  # b's release again (a retried task)
    assert (
        invoke("gate", gate_event("d", ["a", "b"], "tok-d"))["status"] == "released"
    )  # double release: harmless
    assert list(sfn.successes) == ["tok-d"]


def test_unselected_upstreams_count_as_done(invoke: Any, sfn: FakeSfn) -> None:
    event = gate_event("d", ["a", "b"], "tok-d")
    event["run"]["skip"] = {"a": True}
    invoke("run_step", run_event("n", "b"))
    assert invoke("gate", event)["status"] == "released"


def test_final_failure_skips_the_downstream_and_fails_its_gates(
    invoke: Any, sfn: FakeSfn, store: InMemoryStateStore
) -> None:
    invoke("gate", gate_event("after_broken", ["b", "broken"], "tok-ab", job="fails"))
    with pytest.raises(exceptions.AloftStepFailed, match="source system down"):
        invoke("run_step", run_event("fails", "broken"))
    assert statuses(store) == {
        "broken": "STEP_FAILED",
        "after_broken": "STEP_SKIPPED",
        "last": "STEP_SKIPPED",
    }
    assert sfn.failures["tok-ab"][0] == contract.ERROR_UPSTREAM_FAILED
    assert (
        invoke("run_step", run_event("fails", "b"))["released"] == []
    )  # b does not release a skipped step


def test_a_gate_registering_after_the_failure_fails_itself(invoke: Any, sfn: FakeSfn) -> None:
    with pytest.raises(exceptions.AloftStepFailed):
        invoke("run_step", run_event("fails", "broken"))
    assert (
        invoke("gate", gate_event("after_broken", ["b", "broken"], "tok-late", job="fails"))[
            "status"
        ]
        == "blocked"
    )
    assert sfn.failures["tok-late"][0] == contract.ERROR_UPSTREAM_FAILED


def test_retry_policy_asks_the_state_machine_to_retry(
    invoke: Any, store: InMemoryStateStore
) -> None:
    for retry_count in (0, 1):
        with pytest.raises(exceptions.AloftStepRetry, match="will be retried"):
            invoke("run_step", run_event("flaky", "flaky", retry_count=retry_count))
    with pytest.raises(exceptions.AloftStepFailed):
        invoke("run_step", run_event("flaky", "flaky", retry_count=2))
    kinds = [
        e.event_type
        for e in store.get_step_events("r1")
        if e.event_type is not StepEventType.STARTED
    ]
    assert kinds == [StepEventType.RETRIED, StepEventType.RETRIED, StepEventType.FAILED]


def test_a_crashed_step_is_recorded_and_its_downstream_skipped(
    invoke: Any, store: InMemoryStateStore
) -> None:
    store.add_step_event(StepEvent("r1", "broken", StepEventType.STARTED))
    event = {
        "kind": "crashed",
        "job": "fails",
        "step": "broken",
        "run": {"run_id": "r1", "partition_key": None, "skip": {}},
        "error": {"Error": "Sandbox.Timedout", "Cause": "Task timed out after 900.00 seconds"},
    }
    assert invoke("run_step", event)["status"] == "CRASHED"
    assert statuses(store) == {
        "broken": "STEP_FAILED",
        "after_broken": "STEP_SKIPPED",
        "last": "STEP_SKIPPED",
    }
    failed = next(e for e in store.get_step_events("r1") if e.event_type is StepEventType.FAILED)
    assert failed.error is not None and failed.error.error_type == "Sandbox.Timedout"


@pytest.mark.parametrize(
    "event",
    [
        {"kind": "run", "job": "n"},
        {"kind": "nonsense"},
        {"kind": "run", "job": "n", "step": "nope", "run": {"run_id": "r"}},
    ],
)
def test_malformed_step_events_raise_the_non_retried_error(
    invoke: Any, event: dict[str, Any]
) -> None:
    with pytest.raises(exceptions.AloftMalformedEvent):
        invoke("run_step", event)


def test_parts_are_started_with_the_entry_token_and_report_back(invoke: Any, sfn: FakeSfn) -> None:
    start = {
        "kind": "start_part",
        "job": "n",
        "part": 1,
        "state_machine_arn": "arn:aws:states:us-east-1:1:stateMachine:aloft-n-part1",
        "run": {"run_id": "r1", "partition_key": None, "skip": {}},
        "token": "tok-entry",
    }
    assert invoke("gate", start)["status"] == "started"
    child_input = json.loads(sfn.started[0]["input"])
    assert sfn.started[0]["name"] == "r1" and child_input["run"]["parent_token"] == "tok-entry"
    invoke(
        "gate", {"kind": "report", "job": "n", "run_id": "r1", "token": "tok-entry", "failed": True}
    )
    assert sfn.successes["tok-entry"] is True


def status_change(status: str, run: dict[str, Any], **detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "e1",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": "1",
        "time": "2026-03-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "executionArn": "arn:aws:states:us-east-1:1:execution:aloft-n:r1",
            "stateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:aloft-n",
            "name": "r1",
            "status": status,
            "input": json.dumps({"run": run, "failed": False}),
            **detail,
        },
    }


def test_run_status_closes_an_aborted_run_and_its_running_steps(
    invoke: Any, store: InMemoryStateStore
) -> None:
    store.create_run(RunRecord("r1", "n"))
    invoke("run_status", status_change("RUNNING", {"run_id": "r1"}))
    assert store.get_run("r1").status is RunStatus.STARTED  # type: ignore[union-attr]
    store.add_step_event(StepEvent("r1", "a", StepEventType.STARTED))
    result = invoke(
        "run_status", status_change("ABORTED", {"run_id": "r1"}, stopDate=1_772_323_200_000)
    )
    assert result == {"run_id": "r1", "status": "CANCELED", "changed": True}
    assert statuses(store) == {"a": "STEP_FAILED"}
    late = invoke("run_status", status_change("RUNNING", {"run_id": "r1"}))  # out of order: ignored
    assert late["changed"] is False and store.get_run("r1").status is RunStatus.CANCELED  # type: ignore[union-attr]


def test_run_status_fails_the_entry_task_of_an_aborted_part(invoke: Any, sfn: FakeSfn) -> None:
    invoke("run_status", status_change("ABORTED", {"run_id": "r1", "parent_token": "tok-entry"}))
    assert sfn.failures["tok-entry"][0] == "AloftPartAborted"


def test_run_status_drops_malformed_events_without_raising(invoke: Any) -> None:
    assert invoke("run_status", {"detail-type": "something else"})["status"] == "ignored"


def test_the_handlers_are_found_where_the_wheel_ships_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import aloft

    # An installed aloft has no checkout around it: only aloft_cdk's copy of functions/.
    monkeypatch.setattr(aloft, "__file__", str(tmp_path / "site-packages" / "aloft" / "__init__.py"))
    found = find_functions_dir()
    assert found.parts[-2:] == ("cdk-app", "functions")
    assert (found / "run_step" / "handler.py").is_file()
