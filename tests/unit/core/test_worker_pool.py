"""The executor's worker pool: bounded, reuses idle threads, never strands a task."""

from __future__ import annotations

import os
import threading
import time

import pytest

from aloft.execution.executor import _Workers


def _run_all(pool: _Workers, tasks: list[threading.Event], body: object) -> None:
    for index in range(len(tasks)):
        pool.submit(lambda i=index: body(i))  # type: ignore[operator]
    for done in tasks:
        assert done.wait(5), "a submitted task never ran"


def _until_idle(pool: _Workers, count: int) -> None:
    # A worker marks itself idle just after its task returns.
    deadline = time.monotonic() + 5
    while pool._idle != count:
        assert time.monotonic() < deadline, f"idle workers: {pool._idle}, expected {count}"
        time.sleep(0.001)


def test_at_most_limit_threads_and_every_task_runs() -> None:
    pool = _Workers(limit=2)
    lock = threading.Lock()
    running = peak = 0
    done = [threading.Event() for _ in range(12)]
    release = threading.Barrier(2, timeout=5)

    def body(i: int) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        if i < 2:
            release.wait()  # the first two really overlap
        with lock:
            running -= 1
        done[i].set()

    _run_all(pool, done, body)
    assert peak == 2
    assert pool.threads == 2


def test_idle_workers_are_reused() -> None:
    pool = _Workers(limit=50)
    for _ in range(3):
        done = [threading.Event()]
        _run_all(pool, done, lambda i, done=done: done[i].set())
        _until_idle(pool, 1)
    assert pool.threads == 1


def test_a_task_waiting_for_a_later_task_does_not_deadlock_below_the_limit() -> None:
    pool = _Workers(limit=4)
    produced = threading.Event()
    done = [threading.Event(), threading.Event()]

    def body(i: int) -> None:
        if i == 0:
            assert produced.wait(5)
        else:
            produced.set()
        done[i].set()

    _run_all(pool, done, body)


def test_backlog_past_the_limit_drains_and_accounting_recovers() -> None:
    pool = _Workers(limit=1)
    done = [threading.Event() for _ in range(5)]
    _run_all(pool, done, lambda i: done[i].set())
    _until_idle(pool, 1)
    # After the backlog drained the one worker is idle again: a new task reuses it.
    again = [threading.Event()]
    _run_all(pool, again, lambda i: again[i].set())
    assert pool.threads == 1


def test_workers_are_named_for_logs() -> None:
    pool = _Workers(limit=1)
    names: list[str] = []
    done = [threading.Event()]
    _run_all(pool, done, lambda i: (names.append(threading.current_thread().name), done[i].set()))
    assert names == ["aloft-step-1"]


def test_a_forked_child_gets_a_pool_of_its_own() -> None:
    from aloft import asset, materialize_to_memory

    @asset
    def forty_two() -> int:
        return 42

    assert materialize_to_memory([forty_two]).success  # the parent's pool exists now
    pid = os.fork()
    if pid == 0:  # the child: its pool must have threads of its own, or this hangs
        try:
            ok = materialize_to_memory([forty_two]).output_for_node("forty_two") == 42
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + 10
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            raise AssertionError("the forked child hung: it reused the parent's pool")
        time.sleep(0.01)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_thread_that_cannot_start_does_not_strand_its_task(monkeypatch: pytest.MonkeyPatch) -> None:
    import _thread

    from aloft.execution import executor

    pool = _Workers(limit=4)  # its spawner runs already

    class NoThreads:
        def start_new_thread(self, *args: object) -> int:
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(executor, "_thread", NoThreads())
    done = [threading.Event() for _ in range(3)]
    _run_all(pool, done, lambda i: done[i].set())
    assert pool.threads == 0
    monkeypatch.setattr(executor, "_thread", _thread)
