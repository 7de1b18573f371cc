"""Alarms: failed executions, function errors, messages waiting in a dead-letter queue.

Each alarm fires on the first occurrence in a five-minute window and treats
missing data (nothing ran) as fine. With ``alarm_email`` the alarms notify a new
SNS topic subscribed by that address; with ``alarm_topic_arn`` an existing topic.
CloudWatch bills $0.10 per alarm and month: the only standing cost of a project.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from aloft_cdk.functions import AloftFunction

__all__ = ["Alarms"]

_PERIOD = Duration.minutes(5)


class Alarms(Construct):
    """One alarm per state machine, per function and per dead-letter queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machines: Mapping[str, sfn.StateMachine],
        functions: Sequence[AloftFunction],
        alarm_email: str | None,
        alarm_topic_arn: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic: sns.ITopic | None = None
        if alarm_topic_arn:
            self.topic = sns.Topic.from_topic_arn(self, "Topic", alarm_topic_arn)
        elif alarm_email:
            topic = sns.Topic(self, "Topic", display_name="aloft alarms", enforce_ssl=True)
            topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
            self.topic = topic
        self.alarms: list[cloudwatch.Alarm] = []

        for key, machine in sorted(state_machines.items()):
            self._add(
                f"Failed-{key}",
                machine.metric_failed(period=_PERIOD, statistic="Sum"),
                f"aloft job {key}: an execution failed",
            )
        for fn in functions:
            name = fn.node.id
            self._add(
                f"Errors-{name}",
                fn.function.metric_errors(period=_PERIOD, statistic="Sum"),
                f"aloft {fn.role_name} function ({name}): invocations failed",
            )
            if fn.dead_letter_queue is not None:
                self._add(
                    f"DeadLetters-{name}",
                    fn.dead_letter_queue.metric_approximate_number_of_messages_visible(
                        period=_PERIOD, statistic="Maximum"
                    ),
                    f"aloft {fn.role_name} function ({name}): events could not be delivered or processed",
                )

    def _add(self, construct_id: str, metric: cloudwatch.IMetric, description: str) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        if self.topic is not None:
            alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
        self.alarms.append(alarm)
