"""The jobs: one Step Functions state machine per compiled job (and per child machine).

Each machine's definition is the compiler's ASL, unchanged, with its
``${Placeholder}`` ARNs filled by CloudFormation (``DefinitionSubstitutions``).
Standard workflows (``.waitForTaskToken`` gates and execution-name idempotency
need them), execution logging at level ALL to one log group, X-Ray tracing on.

State machines get the compiler's names (``<name>-<stage>-<job>[-partN]``) so
that functions can be granted a machine's ARN computed from its name: a
reference to the machine itself would make a dependency cycle
(machine -> function -> role policy -> machine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from aloft_cdk.sources import FunctionRef, MachineRef, MachineSpec

__all__ = ["Pipelines"]


class Pipelines(Construct):
    """The state machines of every job, their roles and their execution log group.

    ``function_arns`` fills each function placeholder: it maps a
    :class:`FunctionRef` to the ARN of the function it stands for. Placeholders
    naming another machine of the project (the parts of a split job) are filled
    here, with the ARN computed from the part's name.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        machines: Sequence[MachineSpec],
        log_group_name: str,
        function_arns: Mapping[FunctionRef, str],
        retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        # /aws/vendedlogs/ keeps CloudWatch's resource policy small however many machines log here.
        self.log_group = logs.LogGroup(
            self,
            "ExecutionLogs",
            log_group_name=f"/aws/vendedlogs/states/{log_group_name}",
            retention=retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.specs: dict[str, MachineSpec] = {spec.name: spec for spec in machines}
        self.state_machines: dict[str, sfn.StateMachine] = {}
        self.roles: dict[str, iam.Role] = {}
        for spec in sorted(machines, key=lambda s: s.name):
            role = iam.Role(
                self,
                f"{spec.name}-Role",
                assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                description=f"aloft {spec.role} state machine of job {spec.job}",
            )
            substitutions: dict[str, str] = {}
            for placeholder, ref in sorted(spec.placeholders.items()):
                if isinstance(ref, MachineRef):
                    substitutions[placeholder] = self.machine_arn(ref.name)
                else:
                    substitutions[placeholder] = function_arns[ref]
            self.roles[spec.name] = role
            self.state_machines[spec.name] = sfn.StateMachine(
                self,
                spec.name,
                state_machine_name=spec.name,
                state_machine_type=sfn.StateMachineType.STANDARD,
                definition_body=sfn.DefinitionBody.from_string(spec.definition),
                definition_substitutions=substitutions,
                role=role,
                logs=sfn.LogOptions(
                    destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
                ),
                tracing_enabled=True,
            )

    def machine_arn(self, name: str) -> str:
        """The ARN of a machine, computed from its name (no reference, so no dependency cycle)."""
        return Stack.of(self).format_arn(
            service="states",
            resource="stateMachine",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    @property
    def arns(self) -> list[str]:
        """Every machine's ARN (computed), sorted by name."""
        return [self.machine_arn(name) for name in sorted(self.specs)]

    @property
    def part_arns(self) -> list[str]:
        """The ARNs of the parts of split jobs (the gate function starts them), sorted by name."""
        return [
            self.machine_arn(name)
            for name, spec in sorted(self.specs.items())
            if spec.role == "part"
        ]
