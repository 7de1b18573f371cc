"""The synthesized templates deploy exactly what the code defines: jobs, schedules, sensors, table."""

from __future__ import annotations

import json
from typing import Any

from _infra_synth import Project

from aloft.storage import dynamodb_schema as schema


def _cfn_text(value: Any) -> str:
    """A CloudFormation value as text: the same stand-in for a substitution on both sides."""
    return json.dumps(value, sort_keys=True)


def _machine_arn_of(value: Any) -> str:
    """The state machine name at the end of an ARN built with Fn::Join."""
    parts = value["Fn::Join"][1]
    assert parts[0] == "arn:" and parts[-1].startswith(":stateMachine:"), value
    return str(parts[-1].removeprefix(":stateMachine:"))


# -- jobs -------------------------------------------------------------------------------------------


def test_every_job_has_its_compiled_state_machines(project: Project) -> None:
    from aloft_cdk.sources import job_names

    deployed = {
        r["Properties"]["StateMachineName"]
        for r in project.resources("AWS::StepFunctions::StateMachine").values()
    }
    expected = {spec.name for spec in project.sources.machines}
    assert deployed == expected
    jobs = {spec.job for spec in project.sources.machines if spec.role == "entry"}
    assert jobs == set(job_names(project.definitions, project.settings))
    assert jobs >= {job.name for job in project.definitions.jobs}


def test_state_machine_definitions_equal_the_compiled_asl_after_substitution(
    project: Project,
) -> None:
    from aloft.compiler import compile_job
    from aloft_cdk.sources import compile_options

    machines = {
        r["Properties"]["StateMachineName"]: r
        for r in project.resources("AWS::StepFunctions::StateMachine").values()
    }
    options = compile_options(project.definitions, project.settings)
    assert options.name_prefix == project.settings.resource_prefix
    jobs = {spec.job for spec in project.sources.machines}
    backfills = {spec.job for spec in project.sources.machines if spec.role == "backfill"}
    compared = 0
    for job in sorted(jobs):
        state_machines = list(compile_job(project.definitions, job, options).state_machines)
        if job in backfills:
            from dataclasses import replace

            from aloft.compiler.backfill import compile_backfill

            whole = replace(options, max_steps_per_part=None)
            state_machines += compile_backfill(project.definitions, job, whole).state_machines
        for compiled in state_machines:
            props = machines[compiled.name]["Properties"]
            substitutions = props.get("DefinitionSubstitutions", {})
            deployed = props["DefinitionString"]
            for name, value in substitutions.items():
                deployed = deployed.replace("${" + name + "}", _cfn_text(value))
            assert deployed == compiled.render(
                {name: _cfn_text(v) for name, v in substitutions.items()}
            )
            compared += 1
    assert compared == len(machines)


def test_placeholders_point_at_the_right_resources(project: Project) -> None:
    from aloft_cdk.sources import FunctionRef, MachineRef

    machines = {
        r["Properties"]["StateMachineName"]: r
        for r in project.resources("AWS::StepFunctions::StateMachine").values()
    }
    for spec in project.sources.machines:
        substitutions = machines[spec.name]["Properties"].get("DefinitionSubstitutions", {})
        assert set(substitutions) == set(spec.placeholders), spec.name
        for name, ref in spec.placeholders.items():
            if isinstance(ref, FunctionRef):
                assert substitutions[name] == {
                    "Fn::GetAtt": [project.function_id(ref.role, ref.size), "Arn"]
                }
            else:
                assert isinstance(ref, MachineRef)
                assert _machine_arn_of(substitutions[name]) == ref.name
                assert ref.name in machines, (
                    f"{spec.name} names a part that is not deployed: {ref.name}"
                )


def test_state_machines_are_standard_log_everything_and_trace(project: Project) -> None:
    machines = project.resources("AWS::StepFunctions::StateMachine")
    assert machines
    for logical_id, machine in machines.items():
        props = machine["Properties"]
        assert props["StateMachineType"] == "STANDARD", logical_id
        assert props["LoggingConfiguration"]["Level"] == "ALL", logical_id
        assert props["LoggingConfiguration"]["IncludeExecutionData"] is True, logical_id
        assert props["TracingConfiguration"] == {"Enabled": True}, logical_id


def _run_task_functions(definition: Any) -> dict[str, str]:
    """Step -> the FunctionName of the Task that materializes it, in a deployed definition."""
    found: dict[str, str] = {}
    if isinstance(definition, dict):
        payload = definition.get("Parameters", {}).get("Payload", {})
        if definition.get("Type") == "Task" and payload.get("kind") == "run":
            found[payload["step"]] = definition["Parameters"]["FunctionName"]
        for value in definition.values():
            found.update(_run_task_functions(value))
    elif isinstance(definition, list):
        for value in definition:
            found.update(_run_task_functions(value))
    return found


def test_every_step_runs_on_a_function_of_its_own_size(project: Project) -> None:
    from aloft_cdk.sources import step_sizes

    sizes = step_sizes(project.definitions, project.settings)
    functions = project.resources("AWS::Lambda::Function")
    checked = set()
    for machine in project.resources("AWS::StepFunctions::StateMachine").values():
        props = machine["Properties"]
        substitutions = props.get("DefinitionSubstitutions", {})
        for step, placeholder in _run_task_functions(json.loads(props["DefinitionString"])).items():
            target = substitutions[placeholder.removeprefix("${").removesuffix("}")]
            fn = functions[target["Fn::GetAtt"][0]]["Properties"]
            size = sizes.get(step, project.settings.size_of("run_step"))
            assert fn["Environment"]["Variables"]["ALOFT_FUNCTION_ROLE"] == "run_step", step
            assert (fn["MemorySize"], fn["Timeout"]) == (size.memory_mb, size.timeout_seconds), step
            checked.add(step)
    assert checked >= set(sizes), f"sized steps not deployed: {sorted(set(sizes) - checked)}"


def test_fixture_sizes_steps_by_op_tag_asset_tag_and_pyproject(synthesis: Any) -> None:
    from aloft_cdk.settings import FunctionSize

    shop, quickstart = synthesis.projects["shop"], synthesis.projects["quickstart"]
    run_steps = sorted(
        (r["Properties"]["MemorySize"], r["Properties"]["Timeout"])
        for r in shop.resources("AWS::Lambda::Function").values()
        if r["Properties"]["Environment"]["Variables"]["ALOFT_FUNCTION_ROLE"] == "run_step"
    )
    # enriched (op tag) and report (asset tag) share 4096 MB; audit has [tool.aloft.assets].
    assert run_steps == [(512, 60), (1024, 900), (4096, 900)]
    placeholders = {
        name
        for spec in shop.sources.machines
        for name in spec.placeholders
        if name.startswith("RunStepFunctionArn")
    }
    assert placeholders == {
        "RunStepFunctionArn",
        "RunStepFunctionArn_4096_900",
        "RunStepFunctionArn_512_60",
    }
    assert shop.settings.asset_sizes == {"audit": FunctionSize(memory_mb=512, timeout_seconds=60)}
    # A project that sizes nothing deploys the six functions and nothing else.
    assert len(quickstart.resources("AWS::Lambda::Function")) == 6


def test_split_jobs_deploy_their_parts(synthesis: Any) -> None:
    shop = synthesis.projects["shop"]
    parts = [spec for spec in shop.sources.machines if spec.role == "part"]
    assert parts, "the fixture project should compile at least one job into parts"
    gate_policy = _policy_statements(shop, shop.function_id("gate"))
    started = {
        _machine_arn_of(resource)
        for statement in gate_policy
        if statement["Action"] == "states:StartExecution"
        for resource in _as_list(statement["Resource"])
    }
    assert started == {spec.name for spec in parts}


# -- schedules and sensors ----------------------------------------------------------------------------


def test_every_schedule_cron_is_a_scheduler_schedule_with_its_zone_and_state(
    project: Project,
) -> None:
    schedules = {
        r["Properties"]["Name"]: r["Properties"]
        for r in project.resources("AWS::Scheduler::Schedule").values()
    }
    tick = project.function_id("schedule_tick")
    expected = 0
    for definition in project.definitions.schedules:
        for index, expression in enumerate(definition.eventbridge_expressions):
            suffix = definition.name if index == 0 else f"{definition.name}-{index}"
            props = schedules[f"{project.settings.resource_prefix}-{suffix}"]
            assert props["ScheduleExpression"] == expression
            assert props["ScheduleExpressionTimezone"] == definition.execution_timezone
            assert props["State"] == ("ENABLED" if definition.is_running_by_default else "DISABLED")
            assert props["Target"]["Arn"] == {"Fn::GetAtt": [tick, "Arn"]}
            assert json.loads(props["Target"]["Input"])["schedule_name"] == definition.name
            assert "DeadLetterConfig" in props["Target"]
            expected += 1
    automation_ticks = [name for name in schedules if name.endswith("-automation-tick")]
    assert len(schedules) == expected + len(automation_ticks)


def test_fixture_schedules_cover_zones_states_and_several_crons(synthesis: Any) -> None:
    schedules = {
        r["Properties"]["Name"]: r["Properties"]
        for r in synthesis.projects["shop"].resources("AWS::Scheduler::Schedule").values()
    }
    assert schedules["shop-dev-nightly"]["ScheduleExpression"] == "cron(30 2 * * ? *)"
    assert schedules["shop-dev-nightly"]["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert schedules["shop-dev-nightly"]["State"] == "ENABLED"
    assert schedules["shop-dev-weekdays"]["ScheduleExpression"] == "cron(0 9 ? * MON-FRI *)"
    assert schedules["shop-dev-weekdays"]["State"] == "DISABLED"
    assert {
        schedules["shop-dev-twice"]["ScheduleExpression"],
        schedules["shop-dev-twice-1"]["ScheduleExpression"],
    } == {
        "cron(0 6 * * ? *)",
        "cron(0 18 * * ? *)",
    }


def test_every_s3_sensor_has_a_rule_with_its_pattern_and_state(project: Project) -> None:
    rules = {
        r["Properties"]["Description"]: r["Properties"]
        for r in project.resources("AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"].get("source") == ["aws.s3"]
    }
    sensors = [s for s in project.definitions.sensors if getattr(s, "sensor_type", None) == "s3"]
    assert len(rules) == len(sensors)
    sensor_fn = project.function_id("sensor")
    for sensor in sensors:
        props = rules[f"aloft S3 sensor {sensor.name} (s3://{sensor.bucket}/{sensor.prefix})"]
        assert props["EventPattern"] == sensor.event_pattern()
        assert props["State"] == ("ENABLED" if sensor.is_running_by_default else "DISABLED")
        (target,) = props["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": [sensor_fn, "Arn"]}
        assert "Input" not in target and "InputTransformer" not in target, (
            "the sensor gets the event as S3 sent it"
        )
        assert "DeadLetterConfig" in target


def test_fixture_sensor_patterns_cover_prefix_suffix_and_both(synthesis: Any) -> None:
    keys = sorted(
        json.dumps(r["Properties"]["EventPattern"]["detail"]["object"]["key"])
        for r in synthesis.projects["shop"].resources("AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"].get("source") == ["aws.s3"]
    )
    assert keys == [
        '[{"prefix": "customers/"}]',
        '[{"suffix": ".json"}]',
        '[{"wildcard": "orders/*.csv"}]',
    ]


def test_execution_status_changes_of_every_machine_reach_run_status(project: Project) -> None:
    (rule,) = [
        r["Properties"]
        for r in project.resources("AWS::Events::Rule").values()
        if r["Properties"]["EventPattern"].get("source") == ["aws.states"]
    ]
    pattern = rule["EventPattern"]
    assert pattern["detail-type"] == ["Step Functions Execution Status Change"]
    assert set(pattern["detail"]["status"]) == {"ABORTED", "FAILED", "SUCCEEDED", "TIMED_OUT"}
    assert {_machine_arn_of(arn) for arn in pattern["detail"]["stateMachineArn"]} == {
        spec.name for spec in project.sources.machines
    }
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [project.function_id("run_status"), "Arn"]}


def test_the_automation_tick_follows_the_most_frequent_polled_sensor(synthesis: Any) -> None:
    shop = synthesis.projects["shop"]
    (tick,) = [
        r["Properties"]
        for r in shop.resources("AWS::Scheduler::Schedule").values()
        if r["Properties"]["Name"].endswith("-automation-tick")
    ]
    # The fixture's poller asks for 300 s.
    assert tick["ScheduleExpression"] == "rate(5 minutes)"
    assert json.loads(tick["Target"]["Input"])["source"] == "tick"
    assert tick["Target"]["Arn"] == {"Fn::GetAtt": [shop.function_id("automation"), "Arn"]}
    assert not synthesis.projects["quickstart"].sources.automation


def test_automation_reads_the_table_stream_only_when_something_needs_it(project: Project) -> None:
    mappings = project.resources("AWS::Lambda::EventSourceMapping")
    if not project.sources.automation:
        assert mappings == {}
        return
    (mapping,) = mappings.values()
    props = mapping["Properties"]
    assert props["FunctionName"] == {"Ref": project.function_id("automation")}
    assert props["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn"
    assert "DestinationConfig" in props, "records that keep failing must land in the DLQ"
    assert "ProvisionedPollerConfig" not in props


# -- storage ------------------------------------------------------------------------------------------


def test_table_matches_the_code_definition(project: Project) -> None:
    (table,) = project.resources("AWS::DynamoDB::Table").values()
    props = table["Properties"]
    expected = schema.create_table_request(props["TableName"])
    assert props["KeySchema"] == expected["KeySchema"]
    assert (
        sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"])
        == expected["AttributeDefinitions"]
    )
    deployed_indexes = sorted(props["GlobalSecondaryIndexes"], key=lambda i: i["IndexName"])
    assert deployed_indexes == sorted(
        expected["GlobalSecondaryIndexes"], key=lambda i: i["IndexName"]
    )
    assert props["StreamSpecification"] == {"StreamViewType": schema.STREAM_VIEW_TYPE}
    assert props["TimeToLiveSpecification"] == {
        "AttributeName": schema.TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert props["BillingMode"] == schema.BILLING_MODE
    assert props["TableName"] == f"{project.settings.resource_prefix}-state"


def test_table_has_point_in_time_recovery_and_encryption(project: Project) -> None:
    (table,) = project.resources("AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == "Retain" and props["DeletionProtectionEnabled"] is True


def test_buckets_block_public_access_encrypt_and_require_tls(project: Project) -> None:
    buckets = project.resources("AWS::S3::Bucket")
    assert len(buckets) == 2
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms"), (
            logical_id
        )
    for policy in project.resources("AWS::S3::BucketPolicy").values():
        denies = [
            s
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert denies, "every bucket refuses plain HTTP"
    assert len(project.resources("AWS::S3::BucketPolicy")) == 2


def test_data_bucket_notifies_eventbridge_logs_access_and_expires_run_artifacts(
    project: Project,
) -> None:
    from aloft_cdk.storage import TEMP_PREFIX

    (data,) = [
        b
        for b in project.resources("AWS::S3::Bucket").values()
        if "LoggingConfiguration" in b["Properties"]
    ]
    props = data["Properties"]
    assert props["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    rules = {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-run-artifacts"]["Prefix"] == TEMP_PREFIX
    assert rules["expire-run-artifacts"]["ExpirationInDays"] == project.settings.run_artifact_days
    assert props["LoggingConfiguration"]["DestinationBucketName"]["Ref"] in project.resources(
        "AWS::S3::Bucket"
    )


# -- functions ----------------------------------------------------------------------------------------


def test_functions_trace_are_sized_and_async_ones_have_dead_letter_queues(project: Project) -> None:
    from aloft_cdk.functions import ASYNC_ROLES
    from aloft_cdk.settings import FUNCTION_ROLES
    from aloft_cdk.sources import step_sizes

    functions = project.resources("AWS::Lambda::Function")
    extra_sizes = set(step_sizes(project.definitions, project.settings).values())
    roles = sorted(
        f["Properties"]["Environment"]["Variables"]["ALOFT_FUNCTION_ROLE"]
        for f in functions.values()
    )
    assert roles == sorted([*FUNCTION_ROLES, *["run_step"] * len(extra_sizes)])
    for function in functions.values():
        props = function["Properties"]
        role = props["Environment"]["Variables"]["ALOFT_FUNCTION_ROLE"]
        allowed = {project.settings.size_of(role)} | (extra_sizes if role == "run_step" else set())
        assert props["Runtime"] == f"python{project.settings.python_version}"
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert (props["MemorySize"], props["Timeout"]) in {
            (size.memory_mb, size.timeout_seconds) for size in allowed
        }
        assert ("DeadLetterConfig" in props) == (role in ASYNC_ROLES), role
        env = props["Environment"]["Variables"]
        assert env["ALOFT_DEFINITIONS"] == project.settings.definitions
        assert env["ALOFT_STATE"]["Fn::Join"][1][0] == "dynamodb://"


def test_every_handler_exists_in_functions() -> None:
    import pytest

    from aloft_cdk.bundling import functions_dir as packaged_functions
    from aloft_cdk.functions import handler_for
    from aloft_cdk.settings import FUNCTION_ROLES

    functions_dir = packaged_functions()
    missing = []
    for role in FUNCTION_ROLES:
        module, _, attribute = handler_for(role, functions_dir).rpartition(".")
        path = functions_dir / (module.replace(".", "/") + ".py")
        if not path.is_file() or f"def {attribute}(" not in path.read_text():
            missing.append(f"{path.relative_to(functions_dir.parent)}:{attribute}")
    if len(missing) == len(FUNCTION_ROLES):
        pytest.skip(
            "functions/ has no handlers yet (owned by the functions' authors); nothing to check"
        )
    assert not missing, f"handlers the deployment points at do not exist: {missing}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _policy_statements(project: Project, function_id: str) -> list[dict[str, Any]]:
    role_id = project.template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = []
    for policy in project.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


# -- backfills ------------------------------------------------------------------------------------------


def test_partitioned_jobs_get_a_backfill_machine_unless_the_compiler_refuses(
    synthesis: Any,
) -> None:
    from aloft_cdk.sources import backfill_refusals

    shop = synthesis.projects["shop"]
    backfills = {s.job: s for s in shop.sources.machines if s.role == "backfill"}
    assert set(backfills) == {"daily"}
    assert backfills["daily"].name == "shop-dev-daily-backfill"
    # The implicit job mixes unpartitioned assets in: the compiler says why it has none.
    assert "not partitioned" in backfill_refusals(shop.definitions, shop.settings)["__ASSET_JOB"]
    assert not [
        s for s in synthesis.projects["quickstart"].sources.machines if s.role == "backfill"
    ]
    outputs = shop.template["Outputs"]
    assert outputs["BackfillStateMachineNames"]["Value"] == "shop-dev-daily-backfill"


def test_the_backfill_machine_may_do_what_its_distributed_map_needs_and_no_more(
    synthesis: Any,
) -> None:
    from aloft_cdk.sources import BACKFILL_MAP_LABEL, BACKFILL_PREFIX

    shop = synthesis.projects["shop"]
    (machine,) = [
        r
        for r in shop.resources("AWS::StepFunctions::StateMachine").values()
        if r["Properties"]["StateMachineName"] == "shop-dev-daily-backfill"
    ]
    statements = _policy_statements_of_role(shop, machine["Properties"]["RoleArn"]["Fn::GetAtt"][0])
    by_action = {}
    for statement in statements:
        for action in _as_list(statement["Action"]):
            by_action[action] = _as_list(statement["Resource"])
    (objects,) = by_action["s3:GetObject"]
    assert objects["Fn::Join"][1][-1] == f"/{BACKFILL_PREFIX}*"
    for action in ("s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"):
        assert by_action[action] == [objects], action
    assert [_machine_arn_of(a) for a in by_action["states:StartExecution"]] == [
        "shop-dev-daily-backfill"
    ]
    (executions,) = by_action["states:DescribeExecution"]
    assert by_action["states:StopExecution"] == [executions]
    assert json.dumps(executions).endswith(':execution:shop-dev-daily-backfill:*"]]}')
    (redrive,) = by_action["states:RedriveExecution"]
    assert json.dumps(redrive).endswith(
        f':execution:shop-dev-daily-backfill/{BACKFILL_MAP_LABEL}:*"]]}}'
    )


def test_backfill_constants_agree_with_the_sdk() -> None:
    from aloft.cloud.backfill import MANIFEST_PREFIX
    from aloft.compiler.backfill import compile_backfill
    from aloft_cdk.sources import BACKFILL_MAP_LABEL, BACKFILL_PREFIX
    from aloft_cdk.storage import TEMP_PREFIX

    assert f"{MANIFEST_PREFIX.rstrip('/')}/" == BACKFILL_PREFIX
    assert BACKFILL_PREFIX.startswith(TEMP_PREFIX), "manifests and results must expire"
    from aloft import Definitions, asset, define_asset_job
    from aloft.partitions import DailyPartitionsDefinition

    @asset(partitions_def=DailyPartitionsDefinition(start_date="2026-01-01"))
    def day() -> int:
        return 1

    defs = Definitions(assets=[day], jobs=[define_asset_job("d", selection="*")])
    mapped = compile_backfill(defs, "d").state_machine.definition["States"]["Partitions"]
    assert mapped["Label"] == BACKFILL_MAP_LABEL


def _policy_statements_of_role(project: Project, role_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in project.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
