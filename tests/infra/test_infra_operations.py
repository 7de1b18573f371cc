"""Operating a deployed project: alarms and where they notify, dead letters, run artefacts, logs."""

from __future__ import annotations

from typing import Any

from _infra_synth import Project


def _alarms(project: Project) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in project.resources("AWS::CloudWatch::Alarm").items()}


def test_every_machine_function_and_dead_letter_queue_has_an_alarm(project: Project) -> None:
    alarms = list(_alarms(project).values())
    failed = {
        a["Dimensions"][0]["Value"]["Ref"]
        for a in alarms
        if a["Namespace"] == "AWS/States" and a["MetricName"] == "ExecutionsFailed"
    }
    assert failed == set(project.resources("AWS::StepFunctions::StateMachine"))
    errors = {
        a["Dimensions"][0]["Value"]["Ref"]
        for a in alarms
        if a["Namespace"] == "AWS/Lambda" and a["MetricName"] == "Errors"
    }
    assert errors == set(project.resources("AWS::Lambda::Function"))
    depth = {
        a["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for a in alarms
        if a["Namespace"] == "AWS/SQS" and a["MetricName"] == "ApproximateNumberOfMessagesVisible"
    }
    assert depth == set(project.resources("AWS::SQS::Queue"))
    for alarm in alarms:
        assert alarm["Threshold"] == 1 and alarm["EvaluationPeriods"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching", "an idle project must not alarm"


def test_alarms_notify_the_configured_address_and_nothing_without_one(synthesis: Any) -> None:
    shop, quickstart = synthesis.projects["shop"], synthesis.projects["quickstart"]
    (topic_id,) = shop.resources("AWS::SNS::Topic")
    (subscription,) = shop.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "data-team@example.com"
    assert subscription["Properties"]["TopicArn"] == {"Ref": topic_id}
    for alarm in _alarms(shop).values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    # TLS-only topic (cdk-nag SNS3): its policy denies plain HTTP.
    (policy,) = shop.resources("AWS::SNS::TopicPolicy").values()
    assert any(
        s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )
    assert quickstart.resources("AWS::SNS::Topic") == {}
    assert all("AlarmActions" not in a for a in _alarms(quickstart).values())


def test_alarms_can_notify_an_existing_topic(synthesis: Any) -> None:
    from dataclasses import replace

    from aws_cdk import App
    from aws_cdk.assertions import Template

    from aloft_cdk.stack import AloftStack, feature_flags

    quickstart = synthesis.projects["quickstart"]
    topic_arn = "arn:aws:sns:eu-west-1:123456789012:ops-alarms"
    settings = replace(quickstart.settings, alarm_topic_arn=topic_arn)
    app = App(context={**feature_flags(), "aws:cdk:bundling-stacks": []})
    stack = AloftStack(
        app, settings=settings, definitions=quickstart.definitions, sources=quickstart.sources
    )
    template = Template.from_stack(stack).to_json()
    alarms = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms and all(a["Properties"]["AlarmActions"] == [topic_arn] for a in alarms)
    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Topic"]


# -- asynchronous deliveries end in a dead-letter queue ----------------------------------------------


def test_every_asynchronous_path_ends_in_a_dead_letter_queue(project: Project) -> None:
    queues = set(project.resources("AWS::SQS::Queue"))
    for rule_id, rule in project.resources("AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            arn = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"]
            assert arn[0] in queues and arn[1] == "Arn", rule_id
            assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0, rule_id
    for schedule_id, schedule in project.resources("AWS::Scheduler::Schedule").items():
        dead_letter = schedule["Properties"]["Target"]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"]
        assert dead_letter[0] in queues, schedule_id
    for mapping in project.resources("AWS::Lambda::EventSourceMapping").values():
        destination = mapping["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
        assert destination["Fn::GetAtt"][0] in queues
    for queue_id, queue in project.resources("AWS::SQS::Queue").items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, queue_id


# -- run artefacts and access logs --------------------------------------------------------------------


def _buckets(project: Project) -> tuple[dict[str, Any], str, dict[str, Any]]:
    buckets = project.resources("AWS::S3::Bucket")
    (data_id,) = [k for k, b in buckets.items() if "LoggingConfiguration" in b["Properties"]]
    (logs_id,) = [k for k in buckets if k != data_id]
    return buckets[data_id]["Properties"], logs_id, buckets[logs_id]["Properties"]


def test_temporary_run_artifacts_expire_and_nothing_else_does(project: Project) -> None:
    from aloft_cdk.storage import TEMP_PREFIX

    data, _, _ = _buckets(project)
    rules = {rule["Id"]: rule for rule in data["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-run-artifacts"] == {
        "Id": "expire-run-artifacts",
        "Prefix": TEMP_PREFIX,
        "ExpirationInDays": project.settings.run_artifact_days,
        "Status": "Enabled",
    }
    # Asset values are the project's data: only tmp/ expires.
    expiring = [r for r in rules.values() if "ExpirationInDays" in r]
    assert [r["Id"] for r in expiring] == ["expire-run-artifacts"]
    env = project.resources("AWS::Lambda::Function")
    assert {
        f["Properties"]["Environment"]["Variables"]["ALOFT_TEMP_PREFIX"] for f in env.values()
    } == {TEMP_PREFIX}


def test_the_data_bucket_logs_access_to_its_own_log_bucket(project: Project) -> None:
    data, logs_id, logs = _buckets(project)
    assert data["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": logs_id},
        "LogFilePrefix": "data/",
    }
    assert logs["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert [r["ExpirationInDays"] for r in logs["LifecycleConfiguration"]["Rules"]] == [365]
    policy = next(
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in project.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logs_id}
    )
    writes = [s for s in policy if s["Effect"] == "Allow" and s["Action"] == "s3:PutObject"]
    assert writes and all(
        s["Principal"] == {"Service": "logging.s3.amazonaws.com"} for s in writes
    ), "S3 server access logging delivers through the bucket policy"


def test_every_log_group_keeps_logs_as_long_as_configured(project: Project) -> None:
    from aloft_cdk.functions import _RETENTION_DAYS

    allowed = {days for days, _ in _RETENTION_DAYS}
    groups = project.resources("AWS::Logs::LogGroup")
    assert len(groups) == len(project.resources("AWS::Lambda::Function")) + 1  # + executions
    for logical_id, group in groups.items():
        days = group["Properties"]["RetentionInDays"]
        assert days in allowed and days >= project.settings.log_retention_days, logical_id
