"""Run keys in ``execute_run`` and the in-process launcher built on them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from automation_project import ingest, make_defs, orders

from aloft.automation.launcher import InProcessRunLauncher, LaunchRequest
from aloft.execution.plan import build_asset_plan
from aloft.execution.run import execute_run
from aloft.io.memory import InMemoryIOManager
from aloft.storage.base import DuplicateRunKey, RunAlreadyExists
from aloft.storage.records import RunRecord, RunStatus, RunTrigger


def _plan() -> Any:
    return build_asset_plan(make_defs().get_asset_graph(), [orders.key], "manual")


IO = {"io_manager": InMemoryIOManager()}


class TestExecuteRunWithARunKey:
    def test_a_key_runs_once(self, store: Any) -> None:
        first = execute_run(_plan(), resources=IO, store=store, run_key="2024-03-01")
        assert first.success and first.run.run_key == "2024-03-01"
        with pytest.raises(DuplicateRunKey) as raised:
            execute_run(_plan(), resources=IO, store=store, run_key="2024-03-01")
        assert raised.value.existing.run_id == first.run.run_id
        assert len(store.list_runs()) == 1

    def test_a_bad_run_config_leaves_the_key_free(self, store: Any) -> None:
        with pytest.raises(Exception, match="nope"):
            execute_run(_plan(), resources=IO, store=store, run_key="k", run_config={"ops": {"nope": {"config": {}}}})
        assert store.get_run_by_key("k") is None

    def test_the_callers_own_reservation_is_adopted(self, store: Any) -> None:
        _, created = store.reserve_run(RunRecord("r1", "manual", run_key="k", tags={"who": "launcher"}))
        assert created
        result = execute_run(_plan(), resources=IO, store=store, run_id="r1", run_key="k")
        assert result.run.run_id == "r1" and result.run.status == RunStatus.SUCCESS
        assert result.run.tags == {"who": "launcher"}  # the reserved record, not a second one
        assert len(store.list_runs()) == 1

    def test_a_started_run_is_never_adopted(self, store: Any) -> None:
        store.create_run(RunRecord("r1", "manual", run_key="k"))
        store.update_run_status("r1", RunStatus.STARTED)
        with pytest.raises(RunAlreadyExists, match="STARTED"):
            execute_run(_plan(), resources=IO, store=store, run_id="r1", run_key="k")
        # another key on the same id is not an adoption either
        store.create_run(RunRecord("r2", "manual", run_key="other"))
        with pytest.raises(RunAlreadyExists):
            execute_run(_plan(), resources=IO, store=store, run_id="r2", run_key="k")


class TestInProcessLauncher:
    @staticmethod
    def _request(key: str | None = "k") -> LaunchRequest:
        return LaunchRequest.build(job_name=ingest.name, origin="sensor:s", run_key=key, trigger=RunTrigger.SENSOR)

    def test_in_the_foreground(self, store: Any) -> None:
        defs = make_defs()
        launcher = InProcessRunLauncher(defs, store)
        first = launcher.launch(self._request())
        assert first.created and first.run.status == RunStatus.SUCCESS
        assert first.run.trigger == RunTrigger.SENSOR and first.run.tags["aloft/origin"] == "sensor:s"
        again = launcher.launch(self._request())
        assert again.deduplicated and again.run.run_id == first.run.run_id
        assert launcher.launch(self._request(None)).created and launcher.launch(self._request(None)).created
        assert len(store.list_runs()) == 3

    def test_in_the_background_the_reservation_answers_at_once(self, store: Any) -> None:
        defs = make_defs()
        finished: list[RunRecord] = []
        with ThreadPoolExecutor(2) as pool:
            launcher = InProcessRunLauncher(defs, store, executor=pool, on_run_finished=finished.append)
            first = launcher.launch(self._request())
            assert first.created and first.run.status == RunStatus.QUEUED
            assert launcher.launch(self._request()).deduplicated
            unkeyed = launcher.launch(self._request(None))
            launcher.wait()  # the runs still in flight; those that finished before are in the store
            assert launcher.pending == 0 and not launcher._runs._futures
        done, other = store.get_run(first.run.run_id), store.get_run(unkeyed.run.run_id)
        assert done is not None and done.status == RunStatus.SUCCESS
        assert other is not None and other.status == RunStatus.SUCCESS
        assert sorted(r.run_id for r in finished) == sorted([done.run_id, other.run_id])
        assert len(store.list_runs()) == 2

    def test_wait_raises_a_background_failure_only_after_every_run_finished(self, store: Any) -> None:
        defs = make_defs()

        def finished(run: RunRecord) -> None:
            if run.run_key == "sensor:s:k":  # keys are scoped to their origin
                raise RuntimeError("callback broke")

        with ThreadPoolExecutor(2) as pool:
            launcher = InProcessRunLauncher(defs, store, executor=pool, on_run_finished=finished)
            launcher.launch(self._request())
            other = launcher.launch(self._request(None))
            with pytest.raises(RuntimeError, match="callback broke"):
                launcher.wait()
            assert launcher.pending == 0
        record = store.get_run(other.run.run_id)
        assert record is not None and record.status == RunStatus.SUCCESS
        assert launcher.wait() == []  # the failure was reported once

    def test_a_run_that_cannot_start_fails_and_keeps_its_key(self, store: Any) -> None:
        defs = make_defs(resources={})  # no io_manager
        launcher = InProcessRunLauncher(defs, store)
        result = launcher.launch(self._request())
        assert result.created and result.run.status == RunStatus.FAILURE
        assert launcher.launch(self._request()).deduplicated


def test_the_cloud_launcher_stores_run_config_in_the_run_record(store: Any) -> None:
    from aloft.automation.launcher import CloudRunLauncher

    started: list[dict[str, Any]] = []
    launcher = CloudRunLauncher(store, lambda request, run: started.append(dict(run.run_config)) or "arn:x")
    config = {"ops": {"orders": {"config": {"limit": 3}}}}
    request = LaunchRequest.build(job_name="ingest", origin="schedule:nightly", run_key="k", trigger=RunTrigger.SCHEDULE,
                                  run_config=config)
    run = launcher.launch(request).run
    assert started == [config]  # reserved with its config before the execution starts
    assert store.get_run(run.run_id).run_config == config


def test_the_cloud_launcher_checks_run_config_against_the_job_before_reserving(store: Any) -> None:
    from aloft import Config, Definitions, asset, define_asset_job
    from aloft.automation.launcher import CloudRunLauncher
    from aloft.errors import RunConfigError

    class Limit(Config):
        limit: int

    @asset
    def orders(config: Limit) -> int:
        return config.limit

    defs = Definitions(assets=[orders], jobs=[define_asset_job("ingest", selection="*")])
    started: list[str] = []
    launcher = CloudRunLauncher(store, lambda request, run: started.append(run.run_id) or "arn:x", definitions=defs)
    request = LaunchRequest.build(job_name="ingest", origin="schedule:nightly", run_key="k", trigger=RunTrigger.SCHEDULE,
                                  run_config={"ops": {"orders": {"config": {"limit": "all"}}}})
    with pytest.raises(RunConfigError) as raised:
        launcher.launch(request)
    assert raised.value.path == "ops.orders.config.limit"
    assert started == [] and store.list_runs() == []


class TestTheLocalCloudLauncherInTheBackground:
    """``LocalCloudRunLauncher`` with waiters, on a stand-in cloud whose executions end when the test says."""

    def _launcher(self, store: Any, outcomes: dict[str, Any]) -> Any:
        import threading
        import types

        from aloft.automation.local_cloud import LocalCloudRunLauncher

        released = threading.Event()

        def wait(run_id: str, timeout: float) -> Any:
            run = store.get_run(run_id)
            outcome = outcomes[run.run_key.split(":", 1)[1]]
            if outcome == "later":
                assert released.wait(10)
            elif isinstance(outcome, Exception):
                raise outcome
            return types.SimpleNamespace(run=store.update_run_status(run_id, RunStatus.SUCCESS))

        cloud = types.SimpleNamespace(store=store, definitions=None, wait=wait, client=lambda service: None)
        launcher = LocalCloudRunLauncher(cloud, waiters=ThreadPoolExecutor(max_workers=4),  # type: ignore[arg-type]
                                         start_execution=lambda request, run: f"arn:{run.run_id}")
        launcher.release = released.set
        return launcher

    def _launch(self, launcher: Any, key: str) -> RunRecord:
        return launcher.launch(LaunchRequest.build(job_name="ingest", origin="test", run_key=key,
                                                   trigger=RunTrigger.SENSOR)).run

    def test_finished_runs_are_not_kept(self, store: Any) -> None:
        import time

        launcher = self._launcher(store, {f"k{i}": "now" for i in range(5)})
        for i in range(5):
            self._launch(launcher, f"k{i}")
        deadline = time.monotonic() + 10
        while launcher.pending and time.monotonic() < deadline:
            time.sleep(0.005)
        assert launcher.pending == 0
        assert not launcher._runs._futures  # a long `aloft dev` would otherwise keep every run's future
        assert launcher.wait() == []

    def test_wait_waits_for_every_run_even_after_one_failed(self, store: Any) -> None:
        import threading

        launcher = self._launcher(store, {"boom": RuntimeError("watcher broke"), "slow": "later"})
        self._launch(launcher, "boom")
        self._launch(launcher, "slow")
        outcome: list[BaseException | None] = []

        def waiting() -> None:
            try:
                launcher.wait()
                outcome.append(None)
            except BaseException as err:
                outcome.append(err)

        waiter = threading.Thread(target=waiting)
        waiter.start()
        waiter.join(0.2)
        assert waiter.is_alive(), "wait() returned while a run was still in flight"
        launcher.release()
        waiter.join(10)
        (error,) = outcome
        assert isinstance(error, RuntimeError) and str(error) == "watcher broke"
        (slow,) = [run for run in store.list_runs() if run.run_key == "test:slow"]
        assert slow.status is RunStatus.SUCCESS
