"""``AloftProject``: a user's Definitions, deployed. The parent that wires its parts and grants.

Children are built by logical unit (storage, functions, pipelines, triggers,
alarms); none of them grants another access. Every permission is given here,
where the two things it connects meet, as explicit actions on explicit ARNs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from aloft.storage import dynamodb_schema as schema
from aloft_cdk import nag
from aloft_cdk.alarms import Alarms
from aloft_cdk.bundling import BundlePlan, functions_dir, local_bundling
from aloft_cdk.functions import RuntimeFunctions, log_retention
from aloft_cdk.pipelines import Pipelines
from aloft_cdk.settings import DeploySettings
from aloft_cdk.sources import BACKFILL_MAP_LABEL, BACKFILL_PREFIX, FunctionRef, ProjectSources
from aloft_cdk.storage import TEMP_PREFIX, DataBuckets, StateTable
from aloft_cdk.triggers import Triggers

__all__ = ["ENVIRONMENT_VARIABLES", "AloftProject", "load_project_definitions"]

# What every function finds in its environment (the handlers' contract with the deployment).
ENVIRONMENT_VARIABLES = {
    "ALOFT_PROJECT": "the project's name ([tool.aloft] name)",
    "ALOFT_STAGE": "the stage (dev, prod, ...)",
    "ALOFT_DEFINITIONS": "module[:attribute] of the user's Definitions, importable from the bundle",
    "ALOFT_STATE": "state store URL: dynamodb://<table>",
    "ALOFT_DATA_BUCKET": "the data bucket's name (I/O managers, run artefacts)",
    "ALOFT_TEMP_PREFIX": "key prefix for temporary run artefacts (expired by a lifecycle rule)",
    "ALOFT_NAME_PREFIX": "<name>-<stage>: the compiler's name_prefix (machine_name(prefix, job))",
    "ALOFT_STATE_MACHINE_ARN_PREFIX": "arn:<partition>:states:<region>:<account>:stateMachine: (+ machine name)",
    "ALOFT_FUNCTION_ROLE": "which of the six functions this is",
}

# DynamoDB actions the runtime uses. No Scan: every access pattern is a GetItem or a Query.
_TABLE_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
]
# Who reads and writes objects in the data bucket: steps (I/O managers), sensors (the dropped
# object) and the launchers that write backfill manifests under tmp/.
_BUCKET_ROLES = ("run_step", "sensor", "schedule_tick", "automation")
# Who starts executions, and who answers task tokens (run_step releases gates; gate re-checks).
_LAUNCHER_ROLES = ("sensor", "schedule_tick", "automation")
_TASK_TOKEN_ROLES = ("run_step", "gate")
_BUNDLING_IMAGE = "public.ecr.aws/sam/build-python{version}"


def load_project_definitions(definitions: str, root: Path) -> Any:
    """Import ``module[:attribute]`` from the project root (errors point at the user's file and line)."""
    from aloft.cli.loading import load_definitions

    return load_definitions(module=definitions, root=root)


class AloftProject(Construct):
    """Everything one aloft project needs on AWS, from its ``Definitions``.

    Example (in a CDK app)::

        settings = DeploySettings(definitions="my_project.definitions:defs", root=Path("."),
                                  project_name="shop", stage="prod")
        AloftProject(stack, "Shop", settings=settings)

    ``definitions`` may be passed when already loaded; ``sources`` when already
    compiled (tests synthesize several views of one project without recompiling).
    ``automation_interval_minutes`` overrides the automation tick's rate (by default the
    most frequent polled sensor's interval, else 5 minutes).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        definitions: Any = None,
        sources: ProjectSources | None = None,
        automation_interval_minutes: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        definitions = definitions or load_project_definitions(settings.definitions, settings.root)
        self.sources = sources or ProjectSources.from_definitions(definitions, settings)
        prefix = settings.resource_prefix
        retention = log_retention(settings.log_retention_days)

        self.state = StateTable(
            self, "State", table_name=f"{prefix}-state", retain=settings.retain_data
        )
        self.buckets = DataBuckets(
            self,
            "Buckets",
            retain=settings.retain_data,
            temp_artifact_days=settings.run_artifact_days,
        )

        code, layers = self._code()
        function_refs = {
            ref
            for spec in self.sources.machines
            for ref in spec.placeholders.values()
            if isinstance(ref, FunctionRef)
        }
        stack = Stack.of(self)
        machine_arn_prefix = (
            f"arn:{stack.partition}:states:{stack.region}:{stack.account}:stateMachine:"
        )
        self.functions = RuntimeFunctions(
            self,
            "Functions",
            code=code,
            layers=layers,
            sizes=settings.function_sizes,
            step_sizes=sorted(
                {ref.size for ref in function_refs if ref.role == "run_step" and ref.size},
                key=lambda size: (size.memory_mb, size.timeout_seconds),
            ),
            python_version=settings.python_version,
            environment={
                "ALOFT_PROJECT": settings.project_name,
                "ALOFT_STAGE": settings.stage,
                "ALOFT_DEFINITIONS": settings.definitions,
                "ALOFT_STATE": f"dynamodb://{self.state.table.table_name}",
                "ALOFT_DATA_BUCKET": self.buckets.data.bucket_name,
                "ALOFT_TEMP_PREFIX": TEMP_PREFIX,
                "ALOFT_NAME_PREFIX": prefix,
                "ALOFT_STATE_MACHINE_ARN_PREFIX": machine_arn_prefix,
            },
            log_retention_days=settings.log_retention_days,
            functions_dir=functions_dir(),
        )
        for fn in self.functions.all:
            fn.function.add_environment("ALOFT_FUNCTION_ROLE", fn.role_name)

        self.pipelines = Pipelines(
            self,
            "Jobs",
            machines=self.sources.machines,
            log_group_name=f"aloft/{prefix}",
            function_arns={
                ref: self.functions.for_role(ref.role, ref.size).function.function_arn
                for ref in function_refs
            },
            retention=retention,
        )
        self.triggers = Triggers(
            self,
            "Triggers",
            name_prefix=prefix,
            schedules=self.sources.schedules,
            s3_sensors=self.sources.s3_sensors,
            state_machine_arns=self.pipelines.arns,
            functions=self.functions.by_role,
            table=self.state.table if self.sources.automation else None,
            automation_interval_minutes=(
                automation_interval_minutes or self.sources.automation_interval_minutes
            )
            if self.sources.automation
            else None,
        )
        self.alarms = Alarms(
            self,
            "Alarms",
            state_machines=self.pipelines.state_machines,
            functions=self.functions.all,
            alarm_email=settings.alarm_email,
            alarm_topic_arn=settings.alarm_topic_arn,
        )
        self._grant()
        self._acknowledge()

    # -- code ------------------------------------------------------------------------------------
    def _code(self) -> tuple[lambda_.Code, list[lambda_.ILayerVersion]]:
        """The shared code bundle and, when the project has requirements, its dependencies layer."""
        settings = self.settings
        image = DockerImage.from_registry(_BUNDLING_IMAGE.format(version=settings.python_version))
        runtime_plan = BundlePlan.runtime(
            project_root=settings.root,
            definitions_module=settings.definitions_module,
            python_version=settings.python_version,
        )
        code = lambda_.Code.from_asset(
            str(functions_dir()),
            asset_hash_type=AssetHashType.OUTPUT,
            bundling=BundlingOptions(
                image=image,
                local=local_bundling(runtime_plan),
                environment=_fingerprint(runtime_plan),
            ),
        )
        layers: list[lambda_.ILayerVersion] = []
        if settings.requirements or settings.requirements_file:
            requirements_file = (
                (settings.root / settings.requirements_file) if settings.requirements_file else None
            )
            layer_plan = BundlePlan.dependencies_layer(
                requirements=settings.requirements,
                requirements_file=requirements_file,
                python_version=settings.python_version,
            )
            layers.append(
                lambda_.LayerVersion(
                    self,
                    "Dependencies",
                    code=lambda_.Code.from_asset(
                        str(settings.root),
                        asset_hash_type=AssetHashType.OUTPUT,
                        bundling=BundlingOptions(
                            image=image,
                            local=local_bundling(layer_plan),
                            environment=_fingerprint(layer_plan),
                        ),
                    ),
                    compatible_architectures=[lambda_.Architecture.X86_64],
                    description=f"aloft {settings.resource_prefix}: the project's requirements",
                )
            )
        return code, layers

    # -- grants ------------------------------------------------------------------------------------
    def _grant(self) -> None:
        table = self.state.table
        table_resources = [table.table_arn] + [
            f"{table.table_arn}/index/{index.name}" for index in schema.GLOBAL_SECONDARY_INDEXES
        ]
        bucket = self.buckets.data
        machine_arns = self.pipelines.arns
        for fn in self.functions.all:
            role = fn.role
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=_TABLE_ACTIONS, resources=table_resources)
            )
            if fn.role_name in _BUCKET_ROLES:
                role.add_to_principal_policy(
                    iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
                )
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=[
                            "s3:GetObject",
                            "s3:PutObject",
                            "s3:DeleteObject",
                            "s3:AbortMultipartUpload",
                        ],
                        resources=[bucket.arn_for_objects("*")],
                    )
                )
            if machine_arns and fn.role_name in _LAUNCHER_ROLES:
                role.add_to_principal_policy(
                    iam.PolicyStatement(actions=["states:StartExecution"], resources=machine_arns)
                )
            if self.pipelines.part_arns and fn.role_name == "gate":
                # The gate starts the parts of a split job, handing each its parent's task token.
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["states:StartExecution"], resources=self.pipelines.part_arns
                    )
                )
            if machine_arns and fn.role_name in _TASK_TOKEN_ROLES:
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=[
                            "states:SendTaskSuccess",
                            "states:SendTaskFailure",
                            "states:SendTaskHeartbeat",
                        ],
                        resources=machine_arns,
                    )
                )
        # S3 sensors watch buckets aloft does not own: the sensor may read what was dropped, and so
        # may the steps that ingest it; nothing else, nowhere else.
        for arn in self._sensor_object_arns().values():
            for role_name in ("sensor", "run_step"):
                for fn in self.functions.all:
                    if fn.role_name == role_name:
                        fn.role.add_to_principal_policy(
                            iam.PolicyStatement(actions=["s3:GetObject"], resources=[arn])
                        )
                        nag.acknowledge(
                            fn.role,
                            f"AwsSolutions-IAM5[Resource::{self._as_nag_reports(arn)}]",
                            reason_finding="AwsSolutions-IAM5[Resource::<sensor-prefix>*]",
                            reason_key="sensor-objects",
                        )
        self._grant_backfills()
        # Each job's machine invokes exactly the functions its definition names.
        for key, spec in self.pipelines.specs.items():
            arns = sorted(
                {
                    self.functions.for_role(ref.role, ref.size).function.function_arn
                    for ref in spec.placeholders.values()
                    if isinstance(ref, FunctionRef)
                },
                key=str,
            )
            if arns:
                self.pipelines.roles[key].add_to_principal_policy(
                    iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=arns)
                )

    def _grant_backfills(self) -> None:
        """What a backfill machine's Distributed Map needs (the grants CDK's ``DistributedMap`` makes).

        It reads the partition manifest and writes its results under ``tmp/backfills/`` of the
        data bucket, starts its own child executions, describes, stops and redrives them.
        """
        objects = self.buckets.data.arn_for_objects(f"{BACKFILL_PREFIX}*")
        bucket_id = Stack.of(self).resolve(self.buckets.data.node.default_child.logical_id)  # type: ignore[union-attr]
        for name, spec in sorted(self.pipelines.specs.items()):
            if spec.role != "backfill":
                continue
            role = self.pipelines.roles[name]
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=[
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:ListMultipartUploadParts",
                        "s3:AbortMultipartUpload",
                    ],
                    resources=[objects],
                )
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["states:StartExecution"], resources=[self.pipelines.machine_arn(name)]
                )
            )
            executions = self._execution_arn(f"{name}:*")
            redrives = self._execution_arn(f"{name}/{BACKFILL_MAP_LABEL}:*")
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["states:DescribeExecution", "states:StopExecution"],
                    resources=[executions],
                )
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["states:RedriveExecution"], resources=[redrives])
            )
            nag.acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{BACKFILL_PREFIX}*]",
                reason_finding="AwsSolutions-IAM5[Resource::<bucket>/tmp/backfills/*]",
                reason_key="backfill-objects",
            )
            for arn in (executions, redrives):
                nag.acknowledge(
                    role,
                    f"AwsSolutions-IAM5[Resource::{self._as_nag_reports(arn)}]",
                    reason_finding="AwsSolutions-IAM5[Resource::<backfill-executions>]",
                    reason_key="backfill-executions",
                )

    def _execution_arn(self, resource_name: str) -> str:
        stack = Stack.of(self)
        return (
            f"arn:{stack.partition}:states:{stack.region}:{stack.account}:execution:{resource_name}"
        )

    def _as_nag_reports(self, arn: str) -> str:
        """How cdk-nag writes ``arn`` in a finding: ``<AWS::Partition>`` (region, account) for tokens.

        With a concrete environment (``[tool.aloft] region``, ``account``) they are literals.
        """
        stack = Stack.of(self)
        for value, name in (
            (stack.partition, "<AWS::Partition>"),
            (stack.region, "<AWS::Region>"),
            (stack.account, "<AWS::AccountId>"),
        ):
            if Token.is_unresolved(value):
                arn = arn.replace(value, name)
        return arn

    def _sensor_object_arns(self) -> dict[str, str]:
        """``bucket/prefix`` -> the ARN of the objects under it, for every S3 sensor."""
        partition = Stack.of(self).partition
        keys = sorted({f"{spec.bucket}/{spec.prefix}" for spec in self.sources.s3_sensors})
        return {key: f"arn:{partition}:s3:::{key}*" for key in keys}

    # -- cdk-nag ------------------------------------------------------------------------------------
    def _acknowledge(self) -> None:
        streams = self.sources.automation
        for fn in self.functions.all:
            # The automation function's role also lists the table's streams (same finding, both reasons).
            reading_stream = streams and fn.role_name == "automation"
            nag.acknowledge(
                fn.role,
                "AwsSolutions-IAM5[Resource::*]",
                reason_key="xray+list-streams" if reading_stream else "xray",
            )
            nag.acknowledge(fn.function, "AwsSolutions-L1")
            if fn.dead_letter_queue is not None:
                nag.acknowledge(fn.dead_letter_queue, "AwsSolutions-SQS3")
        for role in self.pipelines.roles.values():
            nag.acknowledge(role, "AwsSolutions-IAM5[Resource::*]", reason_key="log-delivery")
        nag.acknowledge(self.buckets.access_logs, "AwsSolutions-S1")
        bucket_id = Stack.of(self).resolve(self.buckets.data.node.default_child.logical_id)  # type: ignore[union-attr]
        for fn in self.functions.all:
            if fn.role_name in _BUCKET_ROLES:
                nag.acknowledge(
                    fn.role,
                    f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]",
                    reason_finding="AwsSolutions-IAM5[Resource::<bucket>/*]",
                    reason_key="data-objects",
                )


def _fingerprint(plan: BundlePlan) -> dict[str, str]:
    """Distinguishes bundles in CDK's in-process asset cache (which cannot see into ``local``)."""
    return {"ALOFT_BUNDLE": hashlib.sha256(repr(plan).encode()).hexdigest()[:16]}
