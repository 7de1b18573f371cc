"""The local daemon: schedules, sensors and automation without EventBridge.

``AutomationDaemon`` does locally what EventBridge Scheduler, the S3 event rule
and the automation function do in the cloud, against the project's state store:

- schedules fire on their cron ticks (``aloft.automation.cron``, the same DST
  rules as EventBridge); after downtime it catches up at most
  ``max_catchup_ticks`` missed ticks per schedule (older ones are recorded as
  skipped); a schedule seen for the first time starts with its next tick;
- polled sensors are evaluated every ``minimum_interval_seconds``;
- S3 sensors are fed by ``event_sources`` (e.g. an SQS queue the local cloud's
  bucket notifies through EventBridge);
- automation runs when a run finishes (eager conditions, inline) and every
  ``automation_interval_seconds`` (cron and freshness conditions).

The clock and the sleep are injectable and ``run(iterations=N)`` is bounded, so
tests drive it deterministically. ``stop()`` (from a signal handler or another
thread) ends ``run`` after the pass under way; the default sleep wakes up at once.

Example:
    >>> from datetime import UTC, datetime, timedelta
    >>> from aloft import Definitions
    >>> from aloft.automation.launcher import InProcessRunLauncher
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> store, defs = InMemoryStateStore(), Definitions()
    >>> clock = FakeClock(datetime(2024, 1, 1, tzinfo=UTC))
    >>> daemon = AutomationDaemon(defs, store, InProcessRunLauncher(defs, store), clock=clock.now, sleep=clock.sleep)
    >>> len(daemon.run(iterations=3))
    3
    >>> clock.now()
    datetime.datetime(2024, 1, 1, 0, 0, 2, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aloft.automation.cron import next_ticks, ticks_between
from aloft.automation.evaluator import AutomationTickResult, automated_assets, run_automation_tick
from aloft.automation.launcher import RunLauncher
from aloft.automation.s3 import S3SensorDefinition
from aloft.automation.schedule import ScheduleDefinition
from aloft.automation.sensor import SensorDefinition
from aloft.automation.tick import (
    S3Dispatch,
    TickResult,
    dispatch_s3_events,
    evaluate_schedule,
    evaluate_sensor,
)
from aloft.definitions.asset_key import AssetKey
from aloft.definitions.definitions import Definitions
from aloft.storage.base import StateStore
from aloft.storage.records import RunRecord, TickRecord, TickStatus

__all__ = ["AutomationDaemon", "DaemonIteration", "FakeClock", "SqsEventSource", "schedule_cursor_name"]

_log = logging.getLogger("aloft.automation.daemon")
EventSource = Callable[[], Sequence[Any]]


def schedule_cursor_name(schedule_name: str) -> str:
    """Where the daemon keeps the last tick time it handled for a schedule."""
    return f"schedule:{schedule_name}"


class FakeClock:
    """A clock for tests: ``now()`` returns a fixed time that ``sleep`` advances.

    Example:
        >>> clock = FakeClock(datetime(2024, 1, 1, tzinfo=UTC))
        >>> clock.sleep(90)
        >>> clock.now().minute
        1
    """

    def __init__(self, start: datetime) -> None:
        self._now = start if start.tzinfo is not None else start.replace(tzinfo=UTC)

    def now(self) -> datetime:
        """The current fake time."""
        return self._now

    def sleep(self, seconds: float) -> None:
        """Advance the fake time."""
        self._now += timedelta(seconds=seconds)

    def advance(self, **delta: float) -> None:
        """Advance by a ``timedelta(**delta)``."""
        self._now += timedelta(**delta)


@dataclass
class DaemonIteration:
    """What one pass of the daemon did."""

    at: datetime
    schedule_ticks: list[TickResult] = field(default_factory=list)
    sensor_ticks: list[TickResult] = field(default_factory=list)
    s3_dispatches: list[S3Dispatch] = field(default_factory=list)
    automation: list[AutomationTickResult] = field(default_factory=list)

    @property
    def new_run_ids(self) -> list[str]:
        """Every run this pass created."""
        ids = [r for t in (*self.schedule_ticks, *self.sensor_ticks) for r in t.new_run_ids]
        ids += [r for d in self.s3_dispatches for r in d.new_run_ids]
        ids += [launch.run.run_id for a in self.automation for launch in a.launches if launch.created]
        return ids


class AutomationDaemon:
    """Runs schedules, sensors and automation locally; see the module docstring."""

    def __init__(
        self,
        definitions: Definitions,
        store: StateStore,
        launcher: RunLauncher,
        *,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] | None = None,
        interval_seconds: float = 1.0,
        automation_interval_seconds: float = 30.0,
        max_catchup_ticks: int = 5,
        include_stopped: bool = False,
        event_sources: Sequence[EventSource] = (),
        resources: dict[str, Any] | None = None,
        on_iteration: Callable[[DaemonIteration], None] | None = None,
    ) -> None:
        self.definitions = definitions
        self.store = store
        self.launcher = launcher
        self.clock = clock or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self.sleep = sleep or self._wait
        self.interval_seconds = interval_seconds
        self.automation_interval_seconds = automation_interval_seconds
        self.max_catchup_ticks = max_catchup_ticks
        self.include_stopped = include_stopped
        self.event_sources = list(event_sources)
        self.resources = resources
        self.on_iteration = on_iteration
        self._sensor_due: dict[str, float] = {}
        self._last_automation: float | None = None
        self._finished: list[RunRecord] = []
        self._finished_lock = threading.Lock()
        self._automated = bool(automated_assets(definitions))
        # Launchers that report finished runs (in process, local cloud) feed eager automation.
        if hasattr(launcher, "on_run_finished") and launcher.on_run_finished is None:
            launcher.on_run_finished = self.notify_run_finished

    def _wait(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def stop(self) -> None:
        """Ask ``run`` to return after the pass under way (safe from signal handlers and threads)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """Whether ``stop()`` was called."""
        return self._stop.is_set()

    # -- what runs ---------------------------------------------------------------------------
    @property
    def schedules(self) -> list[ScheduleDefinition]:
        """The schedules the daemon fires (RUNNING by default, or all with ``include_stopped``)."""
        return [
            s
            for s in self.definitions.schedules
            if isinstance(s, ScheduleDefinition) and (self.include_stopped or s.is_running_by_default)
        ]

    @property
    def sensors(self) -> list[SensorDefinition]:
        """The polled sensors the daemon evaluates (S3 sensors are fed by event sources)."""
        return [
            s
            for s in self.definitions.sensors
            if isinstance(s, SensorDefinition)
            and not isinstance(s, S3SensorDefinition)
            and (self.include_stopped or s.is_running_by_default)
        ]

    @property
    def s3_sensors(self) -> list[S3SensorDefinition]:
        """The S3 sensors the daemon's event sources feed (RUNNING by default, or all with ``include_stopped``)."""
        return [
            s
            for s in self.definitions.sensors
            if isinstance(s, S3SensorDefinition) and (self.include_stopped or s.is_running_by_default)
        ]

    def describe(self, now: datetime | None = None) -> list[str]:
        """What the daemon runs, one line each: schedules and their next tick, sensors, automation.

        Example:
            >>> from aloft import Definitions, define_asset_job
            >>> from aloft.automation.launcher import InProcessRunLauncher
            >>> from aloft.automation.run_request import DefaultScheduleStatus
            >>> from aloft.storage.memory import InMemoryStateStore
            >>> nightly = ScheduleDefinition(job=define_asset_job("nightly"), cron_schedule="0 2 * * *",
            ...                              execution_timezone="Europe/Berlin",
            ...                              default_status=DefaultScheduleStatus.RUNNING)
            >>> defs, store = Definitions(schedules=[nightly]), InMemoryStateStore()
            >>> daemon = AutomationDaemon(defs, store, InProcessRunLauncher(defs, store))
            >>> for line in daemon.describe(datetime(2024, 3, 30, 12, tzinfo=UTC)):
            ...     print(line)
            schedule nightly_schedule: 0 2 * * * (Europe/Berlin) -> job nightly; next tick 2024-04-01T02:00:00+02:00
            no sensors running
            automation: no asset has a condition or a freshness policy
        """
        moment = now or self.clock()
        lines = []
        for item in self.schedules:
            upcoming = next_ticks(item, moment, 1)
            lines.append(
                f"schedule {item.name}: {' | '.join(item.cron_schedules)} ({item.execution_timezone}) "
                f"-> job {item.job_name}; next tick {upcoming[0].isoformat() if upcoming else 'never'}"
            )
        if not self.schedules:
            lines.append("no schedules running")
        for sensor_def in self.sensors:
            lines.append(
                f"sensor {sensor_def.name}: every {sensor_def.minimum_interval_seconds:g}s -> {_target(sensor_def)}"
            )
        fed = ", ".join(getattr(source, "description", type(source).__name__) for source in self.event_sources)
        for s3_def in self.s3_sensors:
            feed = f"events from {fed}" if fed else "not fed here (`aloft dev --local-cloud` feeds it)"
            lines.append(
                f"sensor {s3_def.name}: s3://{s3_def.bucket}/{s3_def.prefix}*{s3_def.suffix} -> {_target(s3_def)}; "
                f"{feed}"
            )
        if not self.sensors and not self.s3_sensors:
            lines.append("no sensors running")
        running = {s.name for s in self.schedules} | {s.name for s in (*self.sensors, *self.s3_sensors)}
        defined = [str(getattr(d, "name", d)) for d in (*self.definitions.schedules, *self.definitions.sensors)]
        stopped = sorted(name for name in defined if name not in running)
        if stopped:
            lines.append(f"stopped by default (--include-stopped runs them): {', '.join(stopped)}")
        automated = automated_assets(self.definitions)
        if automated:
            names = ", ".join(k.to_user_string() for k in automated)
            lines.append(
                f"automation: {len(automated)} asset(s) ({names}), after each finished run "
                f"and every {self.automation_interval_seconds:g}s"
            )
        else:
            lines.append("automation: no asset has a condition or a freshness policy")
        return lines

    def notify_run_finished(self, run: RunRecord) -> None:
        """Remember a finished run: the next pass evaluates eager automation downstream of it."""
        with self._finished_lock:
            self._finished.append(run)

    # -- one pass ----------------------------------------------------------------------------
    def _schedules(self, now: datetime, iteration: DaemonIteration) -> None:
        for schedule_def in self.schedules:
            cursor = schedule_cursor_name(schedule_def.name)
            stored = self.store.get_sensor_cursor(cursor)
            if stored is None:
                self.store.set_sensor_cursor(cursor, now.isoformat())
                continue
            try:
                after = datetime.fromisoformat(stored)
            except ValueError:
                _log.error("schedule %s: unreadable daemon cursor %r; starting from now", schedule_def.name, stored)
                self.store.set_sensor_cursor(cursor, now.isoformat())
                continue
            due = ticks_between(schedule_def, after, now, limit=10_000)
            missed = due[: -self.max_catchup_ticks] if self.max_catchup_ticks else due
            if missed and len(due) > self.max_catchup_ticks:
                self.store.add_tick(
                    TickRecord(
                        schedule_def.name,
                        TickStatus.SKIPPED,
                        timestamp=now.timestamp(),
                        skip_reason=(
                            f"the daemon was not running: skipped {len(missed)} tick(s) from "
                            f"{missed[0].isoformat()} to {missed[-1].isoformat()} (max_catchup_ticks="
                            f"{self.max_catchup_ticks})"
                        ),
                    )
                )
                due = due[len(missed):]
            for tick in due:
                iteration.schedule_ticks.append(
                    evaluate_schedule(
                        self.definitions, schedule_def, self.store, self.launcher, tick,
                        resources=self.resources, now=now.timestamp(),
                    )
                )
            self.store.set_sensor_cursor(cursor, now.isoformat())

    def _sensors(self, now: datetime, iteration: DaemonIteration) -> None:
        for sensor_def in self.sensors:
            due = self._sensor_due.get(sensor_def.name)
            if due is None:
                last = self.store.list_ticks(sensor_def.name, limit=1)
                due = last[0].timestamp + sensor_def.minimum_interval_seconds if last else now.timestamp()
            if now.timestamp() < due:
                continue
            iteration.sensor_ticks.append(
                evaluate_sensor(
                    self.definitions, sensor_def, self.store, self.launcher,
                    resources=self.resources, now=now.timestamp(),
                )
            )
            self._sensor_due[sensor_def.name] = now.timestamp() + sensor_def.minimum_interval_seconds

    def _events(self, now: datetime, iteration: DaemonIteration) -> None:
        for source in self.event_sources:
            for payload in source():
                dispatch = dispatch_s3_events(
                    self.definitions, self.store, self.launcher, payload,
                    resources=self.resources, now=now.timestamp(),
                )
                iteration.s3_dispatches.append(dispatch)
                acknowledge = getattr(source, "acknowledge", None)
                if callable(acknowledge):
                    acknowledge(payload, dispatch)

    def _automation(self, now: datetime, iteration: DaemonIteration) -> None:
        if not self._automated:
            return
        with self._finished_lock:
            finished, self._finished = self._finished, []
        updated = sorted({AssetKey.from_user_string(a) for run in finished for a in run.selection})
        if updated:
            iteration.automation.append(
                run_automation_tick(self.definitions, self.store, self.launcher, now=now, updated=updated)
            )
        if self._last_automation is None or now.timestamp() - self._last_automation >= self.automation_interval_seconds:
            self._last_automation = now.timestamp()
            iteration.automation.append(run_automation_tick(self.definitions, self.store, self.launcher, now=now))

    def run_once(self) -> DaemonIteration:
        """One pass: due schedule ticks, due sensors, pending S3 events, automation."""
        now = self.clock()
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        iteration = DaemonIteration(at=now)
        for step in (self._schedules, self._sensors, self._events, self._automation):
            try:
                step(now, iteration)
            except Exception:  # one broken part must not stop the daemon
                _log.exception("daemon: %s failed", step.__name__.strip("_"))
        if self.on_iteration is not None:
            self.on_iteration(iteration)
        return iteration

    def run(self, iterations: int | None = None) -> list[DaemonIteration]:
        """Loop (forever, or ``iterations`` passes), sleeping ``interval_seconds`` between passes.

        Returns the passes when bounded (an unbounded daemon keeps none).
        """
        done: list[DaemonIteration] = []
        count = 0
        while (iterations is None or count < iterations) and not self.stopping:
            iteration = self.run_once()
            if iterations is not None:
                done.append(iteration)
            count += 1
            if (iterations is None or count < iterations) and not self.stopping:
                self.sleep(self.interval_seconds)
        return done


class SqsEventSource:
    """S3 events from an SQS queue (S3 -> EventBridge rule -> SQS), for the daemon.

    Messages are deleted once dispatched, except those whose sensor failed: they
    come back after the visibility timeout (and reach the queue's DLQ if they
    keep failing). The client is injected (a boto3 SQS client, or moto's).
    """

    def __init__(self, client: Any, queue_url: str, *, max_messages: int = 10) -> None:
        self.client = client
        self.queue_url = queue_url
        self.max_messages = max_messages

    @property
    def description(self) -> str:
        """Where the events come from, for the daemon's startup lines."""
        return f"SQS queue {self.queue_url.rsplit('/', 1)[-1]}"

    def __call__(self) -> list[Any]:
        response = self.client.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=self.max_messages, WaitTimeSeconds=0
        )
        messages = response.get("Messages", [])
        if not messages:
            return []
        records = [
            {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"], "eventSource": "aws:sqs"}
            for m in messages
        ]
        return [{"Records": records}]

    def acknowledge(self, payload: Any, dispatch: S3Dispatch) -> None:
        """Delete the messages that were handled (malformed ones too: retrying cannot fix them)."""
        failed = set(dispatch.failed_message_ids)
        for record in payload["Records"]:
            if record["messageId"] not in failed:
                self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=record["receiptHandle"])


def _target(sensor_def: SensorDefinition) -> str:
    return f"job {sensor_def.job_name}" if sensor_def.job_name else "the jobs its run requests name"
