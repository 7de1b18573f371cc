"""Secure by default and free when idle: IAM, cdk-nag, and no always-on compute."""

from __future__ import annotations

from typing import Any

from _infra_synth import Project

# Actions that have no resource-level permissions: AWS requires Resource "*" for them.
ACTIONS_WITHOUT_RESOURCES = frozenset(
    {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
        "dynamodb:ListStreams",
    }
)

# Everything a project may contain: each bills per use (or per alarm), none runs while idle.
PAY_PER_USE_TYPES = frozenset(
    {
        "AWS::CloudWatch::Alarm",
        "AWS::DynamoDB::Table",
        "AWS::Events::Rule",
        "AWS::IAM::Policy",
        "AWS::IAM::Role",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::Permission",
        "AWS::Logs::LogGroup",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::SNS::Subscription",
        "AWS::SNS::Topic",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::Scheduler::Schedule",
        "AWS::StepFunctions::StateMachine",
    }
)


# What a backfill machine's Distributed Map does besides invoking functions (CDK's DistributedMap grants).
DISTRIBUTED_MAP_ACTIONS = frozenset(
    {
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListMultipartUploadParts",
        "s3:AbortMultipartUpload",
        "states:StartExecution",
        "states:DescribeExecution",
        "states:StopExecution",
        "states:RedriveExecution",
    }
)


def _statements(project: Project) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, resource in project.template["Resources"].items():
        documents = []
        if resource["Type"] == "AWS::IAM::Policy":
            documents.append(resource["Properties"]["PolicyDocument"])
        if resource["Type"] == "AWS::IAM::Role":
            documents += [p["PolicyDocument"] for p in resource["Properties"].get("Policies", [])]
        for document in documents:
            found += [(logical_id, statement) for statement in document["Statement"]]
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_iam_statement_has_a_wildcard_action(project: Project) -> None:
    offending = [
        (logical_id, action)
        for logical_id, statement in _statements(project)
        for action in _list(statement["Action"])
        if "*" in action
    ]
    assert offending == []


def test_star_resources_only_where_aws_requires_them(project: Project) -> None:
    offending = [
        (logical_id, sorted(set(_list(statement["Action"])) - ACTIONS_WITHOUT_RESOURCES))
        for logical_id, statement in _statements(project)
        if "*" in _list(statement["Resource"])
        and not set(_list(statement["Action"])) <= ACTIONS_WITHOUT_RESOURCES
    ]
    assert offending == []


def test_only_allow_statements_and_no_managed_policies(project: Project) -> None:
    assert all(statement["Effect"] == "Allow" for _, statement in _statements(project))
    for logical_id, role in project.resources("AWS::IAM::Role").items():
        assert not role["Properties"].get("ManagedPolicyArns"), (
            f"{logical_id} uses an AWS managed policy"
        )


def _role_statements(project: Project, role_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in project.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_state_machines_invoke_only_the_functions_their_definition_names(project: Project) -> None:
    from aloft_cdk.sources import FunctionRef

    machines = {
        r["Properties"]["StateMachineName"]: r
        for r in project.resources("AWS::StepFunctions::StateMachine").values()
    }
    for spec in project.sources.machines:
        role_id = machines[spec.name]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        statements = _role_statements(project, role_id)
        invoked = {
            resource["Fn::GetAtt"][0]
            for statement in statements
            if statement["Action"] == "lambda:InvokeFunction"
            for resource in _list(statement["Resource"])
        }
        expected = {
            project.function_id(ref.role, ref.size)
            for ref in spec.placeholders.values()
            if isinstance(ref, FunctionRef)
        }
        assert invoked == expected, spec.name
        other = {a for s in statements for a in _list(s["Action"])} - ACTIONS_WITHOUT_RESOURCES
        allowed = {"lambda:InvokeFunction"} | (
            DISTRIBUTED_MAP_ACTIONS if spec.role == "backfill" else set()
        )
        assert other == allowed, f"{spec.name} may also {sorted(other - allowed)}"


def test_the_table_is_never_scanned(project: Project) -> None:
    actions = {a for _, statement in _statements(project) for a in _list(statement["Action"])}
    assert "dynamodb:Scan" not in actions
    assert "dynamodb:Query" in actions


def test_cdk_nag_aws_solutions_has_no_unacknowledged_findings(synthesis: Any) -> None:
    assert synthesis.violations == [], "\n".join(
        f"{v['rule']} at {v['path']}" for v in synthesis.violations
    )


def test_every_acknowledgement_carries_a_reason() -> None:
    from aloft_cdk.nag import REASONS

    assert REASONS
    for finding, reason in REASONS.items():
        assert finding.startswith("AwsSolutions-"), finding
        assert len(reason) > 40, f"{finding}: say why, not just that"


def test_no_always_on_compute(project: Project) -> None:
    types = {resource["Type"] for resource in project.template["Resources"].values()}
    assert types <= PAY_PER_USE_TYPES, f"not pay-per-use: {sorted(types - PAY_PER_USE_TYPES)}"
    for logical_id, fn in project.resources("AWS::Lambda::Function").items():
        assert "ReservedConcurrentExecutions" not in fn["Properties"], logical_id
    for mapping in project.resources("AWS::Lambda::EventSourceMapping").values():
        assert "ProvisionedPollerConfig" not in mapping["Properties"]
    (table,) = project.resources("AWS::DynamoDB::Table").values()
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"


def test_synthesis_stays_fast(synthesis: Any) -> None:
    # Two projects, cdk-nag included, bundling skipped; the benchmark measures a full synth.
    assert synthesis.seconds < 45, f"synthesis took {synthesis.seconds:.1f}s"


def test_cdk_nag_reports_what_is_not_acknowledged(tmp_path: Any) -> None:
    """The negative control: the checks the session runs do find a finding, and honour a reason."""
    from _infra_synth import _violations, require_cdk

    require_cdk()
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs

    from aloft_cdk import nag

    app = App(outdir=str(tmp_path))
    stack = Stack(app, "NagControl")
    # Neither queue enforces TLS (AwsSolutions-SQS4) nor has a DLQ (AwsSolutions-SQS3).
    sqs.Queue(stack, "Flagged", encryption=sqs.QueueEncryption.SQS_MANAGED)
    accepted = sqs.Queue(stack, "Accepted", encryption=sqs.QueueEncryption.SQS_MANAGED)
    nag.acknowledge(accepted, "AwsSolutions-SQS3")
    nag.add_aws_solutions_checks(app)
    try:
        app.synth()
    except RuntimeError as err:
        assert "ValidationFailed" in str(err)
    found = {(v["rule"], v["path"].rsplit("/", 2)[-2]) for v in _violations(tmp_path)}
    assert ("AwsSolutions-SQS3", "Flagged") in found
    assert ("AwsSolutions-SQS4", "Flagged") in found
    assert ("AwsSolutions-SQS4", "Accepted") in found
    assert ("AwsSolutions-SQS3", "Accepted") not in found, "an acknowledged finding is reported"


def test_cdk_nag_is_clean_in_a_concrete_region_too(synthesis: Any, tmp_path: Any) -> None:
    """With [tool.aloft] region/account, ARNs carry a literal partition and findings read differently."""
    from dataclasses import replace

    from _infra_synth import _violations
    from aws_cdk import App

    from aloft_cdk import nag
    from aloft_cdk.stack import AloftStack, feature_flags

    shop = synthesis.projects["shop"]
    assert shop.sources.s3_sensors, "the sensor grants are what differs"
    settings = replace(shop.settings, region="eu-west-1", account="123456789012")
    app = App(context={**feature_flags(), "aws:cdk:bundling-stacks": []}, outdir=str(tmp_path))
    AloftStack(app, settings=settings, definitions=shop.definitions, sources=shop.sources)
    nag.add_aws_solutions_checks(app)
    try:
        app.synth()
    except RuntimeError as err:
        assert "ValidationFailed" in str(err)
    violations = _violations(tmp_path)
    assert violations == [], "\n".join(f"{v['rule']} at {v['path']}" for v in violations)
