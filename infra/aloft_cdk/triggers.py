"""What starts work: schedules, S3 sensor rules, the run-status rule and the automation feed.

* each schedule cron -> an EventBridge Scheduler schedule (cron + time zone,
  ENABLED or DISABLED by the schedule's ``default_status``) invoking
  ``schedule_tick`` with the scheduled time, which writes the run record and
  starts the execution under a deterministic name;
* each S3 sensor -> an EventBridge rule on the bucket's ``Object Created``
  events, narrowed to the sensor's prefix/suffix, invoking ``sensor`` with the
  event as S3 sent it (the function matches it against every S3 sensor, and run
  keys collapse the duplicates overlapping sensors or redeliveries cause);
* every job's execution status changes -> ``run_status``, which closes the run
  record even when a step crashed or the execution was aborted;
* automation (conditions, freshness, polling sensors) -> the table's stream,
  plus a periodic tick so that time-based conditions are re-evaluated.

Asynchronous deliveries retry, then land in the invoked function's DLQ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Duration, TimeZone
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct

from aloft_cdk.functions import AloftFunction
from aloft_cdk.sources import S3SensorSpec, ScheduleSpec

__all__ = ["TERMINAL_EXECUTION_STATUSES", "Triggers", "s3_sensor_pattern", "schedule_tick_input"]

TERMINAL_EXECUTION_STATUSES = ("ABORTED", "FAILED", "SUCCEEDED", "TIMED_OUT")
_SCHEDULE_NAME_LIMIT = 64


class _InvokeFunction(scheduler_targets.LambdaInvoke):
    """Scheduler's Lambda target, granting ``lambda:InvokeFunction`` on the function's ARN only.

    The stock target grants ``<arn>`` and ``<arn>:*`` (every version and alias);
    aloft invokes the unqualified function, so the wildcard is not needed.
    """

    def __init__(self, func: lambda_.IFunction, **options: Any) -> None:
        super().__init__(func, **options)
        self._func = func

    def _add_target_action_to_role(self, role: iam.IRole) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[self._func.function_arn]
            )
        )


def schedule_tick_input(spec: ScheduleSpec) -> dict[str, str]:
    """What ``schedule_tick`` receives: the schedule, its job and Scheduler's tick time and id."""
    return {
        "schedule_name": spec.name,
        "job_name": spec.job,
        "scheduled_time": scheduler.ContextAttribute.scheduled_time,
        "scheduler_execution_id": scheduler.ContextAttribute.execution_id,
    }


def s3_sensor_pattern(spec: S3SensorSpec) -> events.EventPattern:
    """The sensor's own EventBridge pattern (from the automation package), as a CDK ``EventPattern``."""
    pattern = dict(spec.event_pattern)
    unknown = sorted(set(pattern) - {"source", "detail-type", "detail"})
    if unknown:
        raise ValueError(f"S3 sensor {spec.name!r}: unexpected event pattern field(s) {unknown}")
    return events.EventPattern(
        source=list(pattern["source"]),
        detail_type=list(pattern["detail-type"]),
        detail=dict(pattern["detail"]),
    )


class Triggers(Construct):
    """Schedules, sensor rules, the status-change rule and the automation event source."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str,
        schedules: Sequence[ScheduleSpec],
        s3_sensors: Sequence[S3SensorSpec],
        state_machine_arns: Sequence[str],
        functions: Mapping[str, AloftFunction],
        table: dynamodb.ITable | None,
        automation_interval_minutes: int | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.schedules: dict[str, scheduler.Schedule] = {}
        self.sensor_rules: dict[str, events.Rule] = {}
        self.status_rule: events.Rule | None = None

        needs_scheduler = bool(schedules) or automation_interval_minutes is not None
        # One role for every schedule: it may only invoke the functions schedules target.
        self.scheduler_role = (
            iam.Role(
                self,
                "SchedulerRole",
                assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
                description="EventBridge Scheduler: invokes aloft's schedule_tick and automation functions",
            )
            if needs_scheduler
            else None
        )

        tick = functions["schedule_tick"]
        for spec in schedules:
            name = f"{name_prefix}-{spec.construct_id}"
            if len(name) > _SCHEDULE_NAME_LIMIT:
                raise ValueError(
                    f"schedule name {name!r} is longer than {_SCHEDULE_NAME_LIMIT} characters: "
                    "shorten the schedule's name or [tool.aloft] name/stage"
                )
            self.schedules[spec.construct_id] = scheduler.Schedule(
                self,
                f"Schedule-{spec.construct_id}",
                schedule_name=name,
                schedule=scheduler.ScheduleExpression.expression(
                    spec.expression, TimeZone.of(spec.time_zone)
                ),
                target=_InvokeFunction(
                    tick.function,
                    input=scheduler.ScheduleTargetInput.from_object(schedule_tick_input(spec)),
                    role=self.scheduler_role,
                    dead_letter_queue=tick.dead_letter_queue,
                    retry_attempts=3,
                    max_event_age=Duration.hours(1),
                ),
                enabled=spec.enabled,
                description=spec.description or f"aloft schedule {spec.name} -> job {spec.job}",
            )

        sensor = functions["sensor"]
        for s3_spec in s3_sensors:
            self.sensor_rules[s3_spec.name] = events.Rule(
                self,
                f"Sensor-{s3_spec.name}",
                description=f"aloft S3 sensor {s3_spec.name} (s3://{s3_spec.bucket}/{s3_spec.prefix})",
                enabled=s3_spec.enabled,
                event_pattern=s3_sensor_pattern(s3_spec),
                targets=[
                    events_targets.LambdaFunction(
                        sensor.function,
                        dead_letter_queue=sensor.dead_letter_queue,
                        retry_attempts=8,
                        max_event_age=Duration.hours(6),
                    )
                ],
            )

        if state_machine_arns:
            status = functions["run_status"]
            self.status_rule = events.Rule(
                self,
                "ExecutionStatus",
                description="aloft: closes run records when an execution ends",
                event_pattern=events.EventPattern(
                    source=["aws.states"],
                    detail_type=["Step Functions Execution Status Change"],
                    detail={
                        "status": list(TERMINAL_EXECUTION_STATUSES),
                        "stateMachineArn": list(state_machine_arns),
                    },
                ),
                targets=[
                    events_targets.LambdaFunction(
                        status.function,
                        dead_letter_queue=status.dead_letter_queue,
                        retry_attempts=8,
                        max_event_age=Duration.hours(6),
                    )
                ],
            )

        automation = functions["automation"]
        if table is not None:
            automation.function.add_event_source(
                event_sources.DynamoEventSource(
                    table,
                    starting_position=lambda_.StartingPosition.LATEST,
                    batch_size=100,
                    max_batching_window=Duration.seconds(5),
                    bisect_batch_on_error=True,
                    retry_attempts=3,
                    report_batch_item_failures=True,
                    on_failure=event_sources.SqsDlq(automation.dead_letter_queue)
                    if automation.dead_letter_queue is not None
                    else None,
                )
            )
        if automation_interval_minutes is not None:
            self.schedules["automation-tick"] = scheduler.Schedule(
                self,
                "AutomationTick",
                schedule_name=f"{name_prefix}-automation-tick",
                schedule=scheduler.ScheduleExpression.rate(
                    Duration.minutes(automation_interval_minutes)
                ),
                target=_InvokeFunction(
                    automation.function,
                    input=scheduler.ScheduleTargetInput.from_object(
                        {
                            "source": "tick",
                            "scheduled_time": scheduler.ContextAttribute.scheduled_time,
                        }
                    ),
                    role=self.scheduler_role,
                    dead_letter_queue=automation.dead_letter_queue,
                    retry_attempts=0,
                    max_event_age=Duration.minutes(automation_interval_minutes),
                ),
                description="aloft: re-evaluates automation conditions, freshness and polling sensors",
            )
