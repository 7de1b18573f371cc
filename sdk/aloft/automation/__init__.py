"""``aloft.automation``: schedules, sensors (incl. S3), run requests, declarative automation.

Dagster's names and semantics, deployed on EventBridge Scheduler (schedules,
polled sensors), EventBridge rules on S3 "Object Created" events (S3 sensors)
and DynamoDB Streams (automation); run locally by ``aloft daemon`` and
``aloft dev`` (``AutomationDaemon``). See ``docs/automation.md``.

Example:
    >>> from aloft import define_asset_job
    >>> from aloft.automation import ScheduleDefinition, next_ticks
    >>> nightly = ScheduleDefinition(job=define_asset_job("nightly_job"), cron_schedule="0 2 * * *",
    ...                              execution_timezone="America/New_York")
    >>> nightly.name, nightly.eventbridge_expressions[0]
    ('nightly_job_schedule', 'cron(0 2 * * ? *)')
"""

from __future__ import annotations

from aloft.automation.conditions import AutomationCondition as AutomationCondition
from aloft.automation.conditions import FreshnessPolicy as FreshnessPolicy
from aloft.automation.cron import execution_name as execution_name
from aloft.automation.cron import next_ticks as next_ticks
from aloft.automation.cron import to_eventbridge_cron as to_eventbridge_cron
from aloft.automation.daemon import AutomationDaemon as AutomationDaemon
from aloft.automation.daemon import SqsEventSource as SqsEventSource
from aloft.automation.errors import CronError as CronError
from aloft.automation.errors import CursorError as CursorError
from aloft.automation.errors import S3EventError as S3EventError
from aloft.automation.errors import ScheduleEvaluationError as ScheduleEvaluationError
from aloft.automation.errors import SensorEvaluationError as SensorEvaluationError
from aloft.automation.errors import UnsupportedCronError as UnsupportedCronError
from aloft.automation.launcher import CloudRunLauncher as CloudRunLauncher
from aloft.automation.launcher import InProcessRunLauncher as InProcessRunLauncher
from aloft.automation.launcher import LaunchRequest as LaunchRequest
from aloft.automation.launcher import RunLauncher as RunLauncher
from aloft.automation.run_request import DefaultScheduleStatus as DefaultScheduleStatus
from aloft.automation.run_request import DefaultSensorStatus as DefaultSensorStatus
from aloft.automation.run_request import RunRequest as RunRequest
from aloft.automation.run_request import SensorResult as SensorResult
from aloft.automation.run_request import SkipReason as SkipReason
from aloft.automation.run_status_sensor import RunFailureSensorContext as RunFailureSensorContext
from aloft.automation.run_status_sensor import RunStatusSensorContext as RunStatusSensorContext
from aloft.automation.run_status_sensor import (
    build_run_status_sensor_context as build_run_status_sensor_context,
)
from aloft.automation.run_status_sensor import run_failure_sensor as run_failure_sensor
from aloft.automation.run_status_sensor import run_status_sensor as run_status_sensor
from aloft.automation.s3 import S3ObjectEvent as S3ObjectEvent
from aloft.automation.s3 import S3SensorDefinition as S3SensorDefinition
from aloft.automation.s3 import parse_s3_events as parse_s3_events
from aloft.automation.s3 import s3_sensor as s3_sensor
from aloft.automation.schedule import ScheduleDefinition as ScheduleDefinition
from aloft.automation.schedule import ScheduleEvaluationContext as ScheduleEvaluationContext
from aloft.automation.schedule import build_schedule_context as build_schedule_context
from aloft.automation.schedule import (
    build_schedule_from_partitioned_job as build_schedule_from_partitioned_job,
)
from aloft.automation.schedule import schedule as schedule
from aloft.automation.sensor import EventLogEntry as EventLogEntry
from aloft.automation.sensor import SensorDefinition as SensorDefinition
from aloft.automation.sensor import SensorEvaluationContext as SensorEvaluationContext
from aloft.automation.sensor import asset_sensor as asset_sensor
from aloft.automation.sensor import build_sensor_context as build_sensor_context
from aloft.automation.sensor import sensor as sensor

__all__ = [
    "AutomationCondition",
    "AutomationDaemon",
    "CloudRunLauncher",
    "CronError",
    "CursorError",
    "DefaultScheduleStatus",
    "DefaultSensorStatus",
    "EventLogEntry",
    "FreshnessPolicy",
    "InProcessRunLauncher",
    "LaunchRequest",
    "RunFailureSensorContext",
    "RunLauncher",
    "RunRequest",
    "RunStatusSensorContext",
    "S3EventError",
    "S3ObjectEvent",
    "S3SensorDefinition",
    "ScheduleDefinition",
    "ScheduleEvaluationContext",
    "ScheduleEvaluationError",
    "SensorDefinition",
    "SensorEvaluationContext",
    "SensorEvaluationError",
    "SensorResult",
    "SkipReason",
    "SqsEventSource",
    "UnsupportedCronError",
    "asset_sensor",
    "build_run_status_sensor_context",
    "build_schedule_context",
    "build_schedule_from_partitioned_job",
    "build_sensor_context",
    "execution_name",
    "next_ticks",
    "parse_s3_events",
    "run_failure_sensor",
    "run_status_sensor",
    "s3_sensor",
    "schedule",
    "sensor",
    "to_eventbridge_cron",
]
