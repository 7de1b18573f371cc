"""The in-process executor: runs a plan's steps concurrently with Dagster's failure semantics.

Independent steps run at the same time on a shared thread pool; a step
starts when all of its upstream steps succeeded; a failed step's downstream
is skipped while independent branches finish; retry policies are honoured.
Each step is executed by THE step runner (:func:`aloft.execution.step.execute_step`).
"""

from __future__ import annotations

import _thread
import functools
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable

from aloft.execution.plan import ExecutionPlan, PlanStep
from aloft.execution.step import RunContext, StepOutcome, StepStatus, execute_step
from aloft.storage.records import StepEvent, StepEventType

__all__ = ["DEFAULT_MAX_CONCURRENT", "execute_plan"]

# Steps are usually I/O-bound (queries, API calls, object storage): many threads pay off.
DEFAULT_MAX_CONCURRENT = 512


class _Workers:
    """A grow-only pool of step threads that starts a missing thread without waiting for it.

    ``ThreadPoolExecutor.submit`` (like ``threading.Thread.start``) waits until a new
    thread runs, which under a busy GIL costs up to a switch interval per thread: a
    cold 300-wide fan-out paid ~30 ms before its steps ran. Here a spawner thread
    starts workers with ``_thread.start_new_thread``, which does not wait, while the
    dispatcher goes on queueing steps.
    Workers never exit: at interpreter exit only idle ones remain (a run waits for
    its steps), and they end with the process like daemon threads.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # Every queued task is matched to exactly one worker: an idle one (claimed), a new one,
        # or, past the limit, the next one to finish (backlog).
        self._idle = 0
        self._started = 0
        self._backlog = 0
        self._spawn: queue.SimpleQueue[int] = queue.SimpleQueue()
        _thread.start_new_thread(self._spawner, ())

    @property
    def threads(self) -> int:
        """How many worker threads were started."""
        return self._started

    def submit(self, task: Callable[[], None]) -> None:
        """Run ``task`` on a worker thread (an idle one, or one started for it)."""
        start = 0
        with self._lock:
            if self._idle:
                self._idle -= 1  # that worker takes this task
            elif self._started < self._limit:
                self._started += 1
                start = self._started
            else:
                self._backlog += 1
        self._tasks.put(task)
        if start:
            self._spawn.put(start)

    def _spawner(self) -> None:
        while True:
            number = self._spawn.get()
            try:
                _thread.start_new_thread(self._work, (number,))
            except RuntimeError:  # "can't start new thread": the process is out of threads
                with self._lock:
                    self._started -= 1
                self._tasks.get()()  # the task that thread was for runs here: late, never lost

    def _work(self, number: int) -> None:
        threading.current_thread().name = f"aloft-step-{number}"  # what logging shows
        while True:
            self._tasks.get()()
            with self._lock:
                if self._backlog:
                    self._backlog -= 1
                else:
                    self._idle += 1


_pool_lock = threading.Lock()
_pool: _Workers | None = None


def _forget_pool() -> None:
    # A forked child has none of the parent's threads: it starts a pool of its own.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _shared_pool() -> _Workers:
    """One process-wide pool, so repeated runs reuse warm threads."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = _Workers(DEFAULT_MAX_CONCURRENT)
        return _pool


def run_with_retries(step: PlanStep, run: RunContext, sleep: Callable[[float], None] = time.sleep) -> StepOutcome:
    """Execute a step, retrying it as its ``RetryPolicy`` says."""
    attempt = 1
    while True:
        outcome = execute_step(step, run, attempt=attempt)
        if not outcome.will_retry:
            return outcome
        policy = step.node.retry_policy
        assert policy is not None
        sleep(policy.delay_for(attempt))
        attempt += 1


def execute_plan(
    plan: ExecutionPlan,
    run: RunContext,
    *,
    max_concurrent: int | None = None,
    on_outcome: Callable[[StepOutcome], None] | None = None,
    on_start: Callable[[str], None] | None = None,
) -> dict[str, StepOutcome]:
    """Run every step of ``plan``; return each step's outcome (skipped ones included)."""
    limit = max_concurrent or DEFAULT_MAX_CONCURRENT
    pool = _shared_pool() if limit > 1 else None
    children = plan.downstream_of()
    waiting = {key: len(step.upstream_steps) for key, step in plan.steps.items()}
    outcomes: dict[str, StepOutcome] = {}
    ready = deque(key for key, count in waiting.items() if count == 0)
    # Workers hand finished outcomes back through a queue: O(1) per completion, however wide the graph.
    finished: queue.SimpleQueue[StepOutcome | BaseException] = queue.SimpleQueue()
    running = 0

    def work(step: PlanStep) -> None:
        try:
            finished.put(run_with_retries(step, run))
        except BaseException as err:  # an aloft bug, not user code: surface it in the caller
            finished.put(err)

    def finish(outcome: StepOutcome) -> None:
        outcomes[outcome.step_key] = outcome
        if on_outcome:
            on_outcome(outcome)
        if outcome.succeeded:
            for child in children[outcome.step_key]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    ready.append(child)
        else:
            _skip_downstream(plan, run, outcome.step_key, children, outcomes, on_outcome)

    while ready or running:
        while ready and (pool is None or running < limit):
            key = ready.popleft()
            if key in outcomes:
                continue
            if on_start:
                on_start(key)
            if pool is None:
                finish(run_with_retries(plan.steps[key], run))
            else:
                pool.submit(functools.partial(work, plan.steps[key]))
                running += 1
        if not running:
            continue
        item = finished.get()
        running -= 1
        if isinstance(item, BaseException):
            raise item
        finish(item)
    return {key: outcomes[key] for key in plan.order if key in outcomes}


def _skip_downstream(
    plan: ExecutionPlan,
    run: RunContext,
    failed: str,
    children: dict[str, list[str]],
    outcomes: dict[str, StepOutcome],
    on_outcome: Callable[[StepOutcome], None] | None,
) -> None:
    stack = list(children[failed])
    while stack:
        key = stack.pop()
        if key in outcomes:
            continue
        message = f"skipped: upstream step '{failed}' did not succeed"
        run.store.add_step_event(
            StepEvent(run.run_id, key, StepEventType.SKIPPED, message=message, partition_key=run.partition_key)
        )
        outcome = StepOutcome(key, StepStatus.SKIPPED)
        outcomes[key] = outcome
        if on_outcome:
            on_outcome(outcome)
        stack.extend(children[key])
