"""The runs a launcher started in the background, while they are in flight.

``aloft dev`` and ``aloft daemon`` launch runs on a pool and keep going; at
shutdown they wait for what is still running. Only runs in flight are kept, so a
daemon that runs for weeks does not hold every run it ever launched.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

from aloft.storage.records import RunRecord

__all__ = ["BackgroundRuns"]

_log = logging.getLogger("aloft.automation")


class BackgroundRuns:
    """Futures of runs in flight; :meth:`wait` waits for all of them, even after one failed.

    Example:
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> runs = BackgroundRuns()
        >>> with ThreadPoolExecutor(1) as pool:
        ...     runs.track(pool.submit(lambda: RunRecord("r1", "job")))
        ...     [run.run_id for run in runs.wait()] in ([], ["r1"])
        True
        >>> runs.pending
        0
    """

    def __init__(self) -> None:
        self._futures: set[Future[RunRecord]] = set()
        self._errors: list[BaseException] = []  # runs whose future failed since the last wait()
        self._lock = threading.Condition()  # notified when a run is forgotten

    def track(self, future: Future[RunRecord]) -> None:
        """Keep ``future`` until it is done."""
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[RunRecord]) -> None:
        error = None if future.cancelled() else future.exception()
        with self._lock:
            self._futures.discard(future)
            if error is not None:
                self._errors.append(error)
            self._lock.notify_all()
        if error is not None:
            # wait() may come hours later (at shutdown): say it now too.
            _log.error("a background run failed: %s", error, exc_info=error)

    def wait(self) -> list[RunRecord]:
        """Wait for every run still in flight; their final records.

        Waits for all of them even if one failed; then, if any failed since the
        last call, raises the first such error (each was logged when it
        happened). Runs that finished before the call are not returned: their
        records are in the state store.
        """
        with self._lock:
            futures = list(self._futures)
            # done callbacks run after a future's waiters are woken: wait for _forget, which records errors
            self._lock.wait_for(lambda: self._futures.isdisjoint(futures))
            errors, self._errors = self._errors, []
        finished = [f.result() for f in futures if not f.cancelled() and f.exception() is None]
        if errors:
            if len(errors) > 1:
                errors[0].add_note(f"{len(errors) - 1} other background run(s) failed too (logged)")
            raise errors[0]
        return finished

    @property
    def pending(self) -> int:
        """Runs still in flight."""
        with self._lock:
            return len(self._futures)
