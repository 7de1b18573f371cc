"""The Lambda functions: one per role, plus one ``run_step`` per distinct step size.

Every function runs the same code bundle (aloft, the handlers in
``functions/`` and the user's package) with its own handler, role, log group
and X-Ray tracing. Functions that AWS invokes asynchronously (EventBridge
rules, Scheduler, the DynamoDB stream) get a dead-letter queue; ``run_step``
and ``gate`` are invoked synchronously by Step Functions, whose Retry/Catch
handle their failures. This construct grants nothing beyond what each function
needs to exist (its logs, traces and own DLQ); the parent wires access to the
table, buckets and state machines.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from aloft_cdk.settings import FUNCTION_ROLES, FunctionSize

__all__ = ["ASYNC_ROLES", "AloftFunction", "RuntimeFunctions", "handler_for", "log_retention"]

# Invoked asynchronously (or from a stream): failures must land somewhere visible.
ASYNC_ROLES = frozenset({"run_status", "sensor", "schedule_tick", "automation"})

_RUNTIMES = {
    "3.12": lambda_.Runtime.PYTHON_3_12,
    "3.13": lambda_.Runtime.PYTHON_3_13,
}
# CloudWatch accepts only these retentions (days).
_RETENTION_DAYS = (
    (1, logs.RetentionDays.ONE_DAY),
    (3, logs.RetentionDays.THREE_DAYS),
    (5, logs.RetentionDays.FIVE_DAYS),
    (7, logs.RetentionDays.ONE_WEEK),
    (14, logs.RetentionDays.TWO_WEEKS),
    (30, logs.RetentionDays.ONE_MONTH),
    (60, logs.RetentionDays.TWO_MONTHS),
    (90, logs.RetentionDays.THREE_MONTHS),
    (180, logs.RetentionDays.SIX_MONTHS),
    (365, logs.RetentionDays.ONE_YEAR),
    (731, logs.RetentionDays.TWO_YEARS),
    (1827, logs.RetentionDays.FIVE_YEARS),
    (3653, logs.RetentionDays.TEN_YEARS),
)


def handler_for(role: str, functions_dir: Path | None = None) -> str:
    """The Lambda handler of a role: ``handler`` in ``functions/<role>.py`` or ``functions/<role>/handler.py``.

    Example:
        >>> handler_for("gate", Path("/nonexistent"))
        'gate.handler'
    """
    if functions_dir is not None and (functions_dir / role / "handler.py").is_file():
        return f"{role}/handler.handler"
    return f"{role}.handler"


def log_retention(days: int) -> logs.RetentionDays:
    """The shortest CloudWatch retention that keeps logs at least ``days`` days."""
    for value, retention in _RETENTION_DAYS:
        if value >= days:
            return retention
    return _RETENTION_DAYS[-1][1]


class AloftFunction(Construct):
    """A Lambda function with its own least-privilege role, log group and, if asked, a DLQ."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        role_name: str,
        code: lambda_.Code,
        layers: Sequence[lambda_.ILayerVersion],
        size: FunctionSize,
        python_version: str,
        environment: Mapping[str, str],
        retention: logs.RetentionDays,
        dead_letter: bool,
        handler: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role_name = role_name
        self.log_group = logs.LogGroup(
            self, "Logs", retention=retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"aloft {role_name} function: logs, traces, then what its parent grants",
        )
        self.log_group.grant_write(self.role)
        self.dead_letter_queue: sqs.Queue | None = None
        if dead_letter:
            self.dead_letter_queue = sqs.Queue(
                self,
                "DeadLetters",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=Duration.days(14),
            )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=_RUNTIMES[python_version],
            architecture=lambda_.Architecture.X86_64,
            handler=handler,
            code=code,
            layers=list(layers),
            memory_size=size.memory_mb,
            timeout=Duration.seconds(size.timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={**environment, "POWERTOOLS_SERVICE_NAME": f"aloft-{role_name}"},
            dead_letter_queue=self.dead_letter_queue,
            description=f"aloft {role_name}",
        )


class RuntimeFunctions(Construct):
    """The six functions of a project, and one extra ``run_step`` per non-default step size.

    ``step_sizes`` are the sizes the compiled jobs ask for beyond ``sizes["run_step"]``
    (their ``${RunStepFunctionArn_<MB>_<s>}`` placeholders); each gets a ``run_step``
    function of its own, ``RunStep-m<MB>t<s>``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        layers: Sequence[lambda_.ILayerVersion],
        sizes: Mapping[str, FunctionSize],
        step_sizes: Collection[FunctionSize],
        python_version: str,
        environment: Mapping[str, str],
        log_retention_days: int,
        functions_dir: Path,
    ) -> None:
        super().__init__(scope, construct_id)
        retention = log_retention(log_retention_days)

        def make(construct_name: str, role: str, size: FunctionSize) -> AloftFunction:
            return AloftFunction(
                self,
                construct_name,
                role_name=role,
                code=code,
                layers=layers,
                size=size,
                python_version=python_version,
                environment=environment,
                retention=retention,
                dead_letter=role in ASYNC_ROLES,
                handler=handler_for(role, functions_dir),
            )

        self.by_role: dict[str, AloftFunction] = {
            role: make(_pascal(role), role, sizes[role]) for role in FUNCTION_ROLES
        }
        default_step = sizes["run_step"]
        self.by_step_size: dict[FunctionSize, AloftFunction] = {
            default_step: self.by_role["run_step"]
        }
        for size in sorted(set(step_sizes), key=lambda s: (s.memory_mb, s.timeout_seconds)):
            if size not in self.by_step_size:
                self.by_step_size[size] = make(f"RunStep-{size.label}", "run_step", size)

    def for_role(self, role: str, size: FunctionSize | None = None) -> AloftFunction:
        """The function of a role; for ``run_step`` the one of that size (default size if None)."""
        if role == "run_step" and size is not None:
            if size not in self.by_step_size:
                raise ValueError(
                    f"no run_step function of size {size.label}: the compiled jobs ask for a step size "
                    "that [tool.aloft] and the op tags do not declare"
                )
            return self.by_step_size[size]
        return self.by_role[role]

    @property
    def all(self) -> list[AloftFunction]:
        """Every function, each once."""
        extra = [f for f in self.by_step_size.values() if f is not self.by_role["run_step"]]
        return [*self.by_role.values(), *extra]


def _pascal(role: str) -> str:
    return "".join(part.capitalize() for part in role.split("_"))
