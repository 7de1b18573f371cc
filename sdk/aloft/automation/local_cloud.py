"""The automation daemon on the local cloud: runs as compiled state machines, S3 sensors fed by moto.

``aloft dev --local-cloud`` runs what the cloud runs, on ``aloft.cloud.local``'s
``LocalCloud`` (moto in this process):

- ``LocalCloudRunLauncher`` launches each requested run as the job's COMPILED
  state machine (``CloudRunLauncher``: run key reserved first, deterministic
  execution name), then watches the execution and delivers its final status
  to the ``run_status`` function as EventBridge would (moto emits no
  execution events), so the run record closes and eager automation follows;
- ``wire_s3_sensors`` gives every S3 sensor what the CDK app gives it in AWS:
  its bucket sends events to EventBridge, and a rule with the sensor's
  ``event_pattern()`` routes them to an SQS queue (moto cannot invoke Lambda
  from a rule); the daemon polls the queue with ``SqsEventSource``. moto
  delivers S3 notifications synchronously, so a ``put_object`` is an event.

moto never fires EventBridge Scheduler schedules: the daemon does.

Example (not run as a doctest: starting the local cloud takes a couple of seconds):

    with LocalCloud(defs) as cloud:
        launcher = LocalCloudRunLauncher(cloud)
        source = wire_s3_sensors(cloud, [orders_dropped])
        daemon = AutomationDaemon(defs, cloud.store, launcher, event_sources=[source])
        cloud.client("s3").put_object(Bucket="landing", Key="orders/a.csv", Body=b"...")
        daemon.run_once()           # the sensor's run executes the state machine
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from typing import TYPE_CHECKING, cast

from aloft.automation.background import BackgroundRuns
from aloft.automation.daemon import SqsEventSource
from aloft.automation.launcher import CloudRunLauncher, LaunchRequest, LaunchResult, StartExecution
from aloft.automation.s3 import S3SensorDefinition
from aloft.errors import AloftError
from aloft.storage.base import InvalidRunTransition
from aloft.storage.records import RunRecord, RunStatus

if TYPE_CHECKING:
    from aloft.cloud.launcher import JobDeployment
    from aloft.cloud.local import LocalCloud

__all__ = ["DEFAULT_QUEUE_NAME", "LocalCloudRunLauncher", "wire_s3_sensors"]

_log = logging.getLogger("aloft.automation.local_cloud")
DEFAULT_QUEUE_NAME = "aloft-dev-s3-events"


class _DeployedOnDemand(Mapping[str, "JobDeployment"]):
    """Each job's deployment on the local cloud, compiled and created the first time it is asked for."""

    def __init__(self, cloud: LocalCloud) -> None:
        self._cloud = cloud

    def __getitem__(self, job_name: str) -> JobDeployment:
        return self._cloud.deploy(job_name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._cloud.definitions.job_names)

    def __len__(self) -> int:
        return len(self._cloud.definitions.job_names)


class LocalCloudRunLauncher:
    """Launches requested runs on the local cloud's state machines, and closes them when they end.

    With a ``waiters`` executor the launch returns at once and a background
    task waits for the execution; without one the launch waits. Either way
    ``on_run_finished`` gets the closed run (the daemon's eager automation).
    ``start_execution`` replaces the local cloud's Step Functions starter (tests).
    """

    def __init__(
        self,
        cloud: LocalCloud,
        *,
        waiters: Executor | None = None,
        timeout: float = 3600.0,
        on_run_finished: Callable[[RunRecord], None] | None = None,
        start_execution: StartExecution | None = None,
    ) -> None:
        from aloft.cloud.launcher import StepFunctionsStarter

        self.cloud = cloud
        self.waiters = waiters
        self.timeout = timeout
        self.on_run_finished = on_run_finished
        if start_execution is None:
            starter = StepFunctionsStarter(cloud.client("stepfunctions"), _DeployedOnDemand(cloud))
            # cast: aloft.cloud's StartRequest protocol declares settable attributes; LaunchRequest is frozen.
            start_execution = cast(StartExecution, starter)
        self._launcher = CloudRunLauncher(cloud.store, start_execution, definitions=cloud.definitions)
        self._runs = BackgroundRuns()  # only the runs in flight

    def launch(self, request: LaunchRequest) -> LaunchResult:
        """Reserve the run key, start the execution, and watch it (see the class docstring)."""
        result = self._launcher.launch(request)
        if not result.created:
            return result
        with contextlib.suppress(InvalidRunTransition):  # what the RUNNING status event does in AWS
            result = LaunchResult(self.cloud.store.update_run_status(result.run.run_id, RunStatus.STARTED), True)
        if self.waiters is None:
            return LaunchResult(self._watch(result.run), created=True)
        self._runs.track(self.waiters.submit(self._watch, result.run))
        return result

    def _watch(self, run: RunRecord) -> RunRecord:
        store = self.cloud.store
        try:
            finished = self.cloud.wait(run.run_id, timeout=self.timeout).run
        except AloftError as err:
            _log.error("run %s: %s", run.run_id, err)
            finished = store.get_run(run.run_id) or run
        if self.on_run_finished is not None and finished.status.is_finished:
            self.on_run_finished(finished)
        return finished

    def wait(self) -> list[RunRecord]:
        """Wait for every run still in flight (see :meth:`BackgroundRuns.wait`)."""
        return self._runs.wait()

    @property
    def pending(self) -> int:
        """Runs launched whose executions are still being watched."""
        return self._runs.pending


def wire_s3_sensors(
    cloud: LocalCloud,
    sensors: Sequence[S3SensorDefinition],
    *,
    queue_name: str = DEFAULT_QUEUE_NAME,
    visibility_timeout: int = 30,
) -> SqsEventSource | None:
    """Route the S3 events of ``sensors`` to an SQS queue on the local cloud; the daemon's event source.

    Creates each watched bucket (unless it exists), turns on its EventBridge
    notifications, and adds one rule per sensor (its ``event_pattern()``)
    targeting the queue. Messages whose sensor failed come back after
    ``visibility_timeout`` seconds. None when there is no S3 sensor.
    """
    if not sensors:
        return None
    s3, events, sqs = cloud.client("s3"), cloud.client("events"), cloud.client("sqs")
    queue_url = sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": str(visibility_timeout)})[
        "QueueUrl"
    ]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in sorted({s.bucket for s in sensors}):
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
    for sensor_def in sensors:
        rule = f"{queue_name}-{sensor_def.name}"[:64]
        events.put_rule(Name=rule, EventPattern=json.dumps(sensor_def.event_pattern()), State="ENABLED")
        events.put_targets(Rule=rule, Targets=[{"Id": "daemon-queue", "Arn": queue_arn}])
    return SqsEventSource(sqs, queue_url)
