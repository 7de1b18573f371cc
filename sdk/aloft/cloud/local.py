"""``LocalCloud``: aloft on emulated AWS (moto), in this process, with the real ASL and handlers.

It provisions what ``cdk deploy`` would: the state table (DynamoDB), the
data bucket (S3), the three Lambda functions and, per job, the COMPILED
state machines with their placeholders filled. Step Functions executes them
with moto's ASL interpreter; each Lambda invocation runs the handler in
``functions/`` in this process (moto's one patch point,
``LambdaFunction._invoke_lambda``), exactly as AWS would call it. moto
emits no EventBridge events for executions, so :meth:`LocalCloud.wait`
sends the ``run_status`` function the "Execution Status Change" events
AWS would.

Example (not run as a doctest: it takes a couple of seconds):

    with LocalCloud(defs) as cloud:
        run = cloud.run("daily_revenue")
        print(run.status, run.steps)
"""

from __future__ import annotations

import importlib.util
import io
import json
import threading
import time
import traceback
import types
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aloft.cloud.exceptions import CloudError, CloudSetupError
from aloft.cloud.launcher import CloudLauncher, JobDeployment
from aloft.cloud.progress import RunProgress
from aloft.cloud.runtime import ENV_DATA_BUCKET, ENV_STATE, CloudRuntime, use_runtime
from aloft.compiler import contract
from aloft.storage.base import StateStore
from aloft.storage.records import BackfillRecord, RunRecord, StepEvent

if TYPE_CHECKING:
    from aloft.cloud.backfill import BackfillDeployment, BackfillLauncher
    from aloft.compiler.backfill import BackfillOptions, CompiledBackfill
    from aloft.compiler.compile import CompiledJob, CompileOptions
    from aloft.definitions.definitions import Definitions

__all__ = [
    "FUNCTION_ROLES",
    "LocalBackfill",
    "LocalCloud",
    "LocalLambdaContext",
    "LocalRun",
    "find_functions_dir",
    "load_handler",
]

FUNCTION_ROLES = ("run_step", "gate", "run_status")
_PLACEHOLDERS = {contract.RUN_STEP_FUNCTION: "run_step", contract.GATE_FUNCTION: "gate"}
ACCOUNT_ID = "123456789012"
_RUNNING = "RUNNING"

Invoker = Callable[[Any], tuple[str, bool, str]]
# function ARN -> in-process invoker, for every LocalCloud alive in this process
_INVOKERS: dict[str, Invoker] = {}
_patch_lock = threading.Lock()
_original_invoke: Any = None


def find_functions_dir(start: Path | None = None) -> Path:
    """The Lambda handlers: ``functions/`` of a checkout, or the copy the wheel ships in ``aloft_cdk``."""
    import aloft

    candidates = [start] if start else []
    candidates.append(Path(aloft.__file__).resolve().parents[2] / "functions")
    cdk = importlib.util.find_spec("aloft_cdk")  # found, not imported: it needs aws-cdk-lib
    if cdk is not None and cdk.origin is not None:
        candidates.append(Path(cdk.origin).parent / "cdk-app" / "functions")
    for candidate in candidates:
        if candidate is not None and (candidate / "run_step" / "handler.py").is_file():
            return candidate
    raise CloudSetupError(
        "cannot find aloft's functions/ directory (the Lambda handlers); pass functions_dir= to LocalCloud"
    )


def load_handler(functions_dir: Path, role: str) -> Callable[[dict[str, Any], Any], Any]:
    """Import ``functions/<role>/handler.py`` and return its ``handler``."""
    path = functions_dir / role / "handler.py"
    name = f"aloft_local_functions.{role}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CloudSetupError(f"cannot load the {role} handler from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: Callable[[dict[str, Any], Any], Any] = module.handler
    return handler


def _install_invoke_patch() -> None:
    global _original_invoke
    from moto.awslambda.models import LambdaFunction

    with _patch_lock:
        if _original_invoke is not None:
            return
        _original_invoke = LambdaFunction._invoke_lambda

        def invoke(self: Any, event: Any = None) -> tuple[str, bool, str]:
            invoker = _INVOKERS.get(self.function_arn)
            if invoker is None:
                result: tuple[str, bool, str] = _original_invoke(self, event)
                return result
            return invoker(event)

        LambdaFunction._invoke_lambda = invoke  # type: ignore[method-assign]


@dataclass(frozen=True)
class LocalLambdaContext:
    """The context object a Lambda handler receives (what powertools reads from it)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 1024
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@dataclass(frozen=True)
class LocalRun:
    """A finished run on the local cloud: its record, execution and what each step did."""

    run: RunRecord
    execution: Mapping[str, Any]
    steps: Mapping[str, str]

    @property
    def status(self) -> str:
        """The run's status (``SUCCESS``, ``FAILURE``...)."""
        return self.run.status.value

    @property
    def execution_status(self) -> str:
        """Step Functions' status of the execution."""
        return str(self.execution["status"])


@dataclass(frozen=True)
class LocalBackfill:
    """A finished backfill on the local cloud: its record, its one execution, each partition's run."""

    backfill: BackfillRecord
    execution: Mapping[str, Any]
    runs: Mapping[str, RunRecord]

    @property
    def status(self) -> str:
        """The backfill's status (``COMPLETED``, ``FAILED``...)."""
        return self.backfill.status.value

    @property
    def execution_status(self) -> str:
        """Step Functions' status of the backfill execution."""
        return str(self.execution["status"])

    @property
    def partitions(self) -> dict[str, str]:
        """Each requested partition's status (``MATERIALIZED``, ``FAILED``, ``MISSING``...)."""
        return {key: self.backfill.status_of(key).value for key in self.backfill.partition_keys}


class LocalCloud:
    """aloft's AWS deployment, emulated by moto in this process (see the module docstring).

    ``store`` is the state store the functions use: by default a DynamoDB
    table in moto (what AWS runs); pass a store to keep runs elsewhere (the
    CLI passes the project's). ``instant_retries`` skips the waits of ASL
    ``Retry`` and ``Wait`` states (tests).
    """

    def __init__(
        self,
        definitions: Definitions,
        *,
        store: StateStore | None = None,
        region: str = "us-east-1",
        bucket: str = "aloft-local-data",
        table: str = "aloft-local-state",
        name_prefix: str = "aloft",
        functions_dir: Path | None = None,
        compile_options: CompileOptions | None = None,
        instant_retries: bool = False,
    ) -> None:
        self.definitions = definitions
        self.region = region
        self.bucket = bucket
        self.table = table
        self.name_prefix = name_prefix
        self.functions_dir = find_functions_dir(functions_dir)
        self.compile_options = compile_options
        self.instant_retries = instant_retries
        self._given_store = store
        self._mock: Any = None
        self._restore: list[Callable[[], None]] = []
        self._deployments: dict[str, JobDeployment] = {}
        self._backfills: dict[str, BackfillDeployment] = {}
        self._compiled_backfills: dict[str, CompiledBackfill] = {}
        self._compiled: dict[str, CompiledJob] = {}
        self._function_arns: dict[str, str] = {}
        self._deploy_lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()
        self.store: StateStore
        self.runtime: CloudRuntime
        self.launcher: CloudLauncher

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalCloud:
        """Start moto and provision the table, bucket, functions and IAM role."""
        from moto import mock_aws

        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        try:
            self._provision()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Forget the functions and stop moto (everything provisioned is gone)."""
        for arn in self._function_arns.values():
            _INVOKERS.pop(arn, None)
        for restore in reversed(self._restore):
            restore()
        self._restore.clear()
        self._clients.clear()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def client(self, service: str) -> Any:
        """A boto3 client of the emulated AWS (one per service)."""
        import boto3

        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(service, region_name=self.region)  # type: ignore[call-overload]
            return self._clients[service]

    def _provision(self) -> None:
        self._serialize_dynamodb()
        self._direct_lambda_tasks()
        self._result_writer_reads_state_input()
        if self.instant_retries:
            self._skip_waits()
        iam = self.client("iam")
        role = iam.create_role(
            RoleName=f"{self.name_prefix}-local",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        self._role = role
        self.client("s3").create_bucket(Bucket=self.bucket)
        if self._given_store is not None:
            self.store = self._given_store
            state_url = "injected"
        else:
            from aloft.storage.dynamodb import DynamoDBStateStore

            dynamo = DynamoDBStateStore(self.table, region=self.region)
            dynamo.create_table(wait=True)
            self.store = dynamo
            state_url = f"dynamodb://{self.table}?region={self.region}"
        self.runtime = CloudRuntime(
            store=self.store,
            definitions=self.definitions,
            data_bucket=self.bucket,
            clients=self.client,
            region=self.region,
        )
        self.launcher = CloudLauncher(
            self.store, self.client("stepfunctions"), self._deployments, definitions=self.definitions
        )
        from aloft.cloud.backfill import BackfillLauncher

        self.backfill_launcher: BackfillLauncher = BackfillLauncher(
            self.store,
            self.client("stepfunctions"),
            self.client("s3"),
            self._backfills,
            bucket=self.bucket,
        )
        _install_invoke_patch()
        lam = self.client("lambda")
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("README.txt", "aloft's local cloud runs the handlers in-process")
        for role_name in FUNCTION_ROLES:
            load_handler(self.functions_dir, role_name)  # fail early if a handler does not import
            created = lam.create_function(
                FunctionName=f"{self.name_prefix}-{role_name}",
                Runtime="python3.12",
                Role=role,
                Handler=f"{role_name}/handler.handler",
                Code={"ZipFile": code.getvalue()},
                Timeout=900,
                MemorySize=1024,
                Environment={"Variables": {ENV_STATE: state_url, ENV_DATA_BUCKET: self.bucket}},
            )
            arn = created["FunctionArn"]
            self._function_arns[role_name] = arn
            _INVOKERS[arn] = self._invoker(role_name, created["FunctionName"], arn)

    def _serialize_dynamodb(self) -> None:
        """One DynamoDB request at a time: moto's TransactWriteItems deep-copies tables without a
        lock, so concurrent writers in one process race ("dictionary changed size during
        iteration"). DynamoDB itself has no such problem; requests here take about a millisecond."""
        from moto.dynamodb.responses import DynamoHandler

        original = DynamoHandler.call_action
        lock = threading.RLock()

        def call_action(handler: Any) -> Any:
            with lock:
                return original(handler)

        DynamoHandler.call_action = call_action  # type: ignore[method-assign]

        def restore() -> None:
            DynamoHandler.call_action = original  # type: ignore[method-assign]

        self._restore.append(restore)

    def _direct_lambda_tasks(self) -> None:
        """Let the interpreter's Lambda tasks call aloft's handlers directly.

        moto's interpreter invokes a Lambda task through a new boto3 client and moto's HTTP
        routing (several milliseconds of CPU each, all under one GIL, while every branch of a
        wide Parallel starts at once). For aloft's own functions the task calls the same
        in-process invoker ``Invoke`` would, and gets the response Lambda would give; any other
        function still goes through moto.
        """
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

        original = lambda_eval_utils._invoke_lambda_function

        def invoke_lambda_function(
            parameters: dict[str, Any], region: str, state_credentials: Any
        ) -> Any:
            invoker = _INVOKERS.get(str(parameters.get("FunctionName")))
            if invoker is None:
                return original(parameters, region, state_credentials)
            payload = parameters.get("Payload") or b"{}"
            text = payload.decode() if isinstance(payload, bytes | bytearray) else str(payload)
            body, errored, _logs = invoker(json.loads(text))
            response: dict[str, Any] = {
                "StatusCode": 200,
                "ExecutedVersion": "$LATEST",
                "Payload": json.loads(body),
            }
            if errored:
                response["FunctionError"] = "Unhandled"
            return response

        lambda_eval_utils._invoke_lambda_function = invoke_lambda_function

        def restore() -> None:
            lambda_eval_utils._invoke_lambda_function = original

        self._restore.append(restore)

    def _result_writer_reads_state_input(self) -> None:
        """Evaluate a Distributed Map's ``ResultWriter`` paths against the state input, as AWS does.

        moto evaluates them against the map's results (the top of its stack), so
        ``"Bucket.$": "$.backfill.results.Bucket"`` finds nothing and the map fails.
        """
        from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer import (
            result_writer_decl,
        )

        writer = result_writer_decl.ResultWriter
        original = writer._eval_body

        def eval_body(self: Any, env: Any) -> None:
            results = env.stack.pop()
            env.stack.append(env.states.get_input())
            self.parargs.eval(env=env)
            parameters = env.stack.pop()
            env.stack.pop()
            env.stack.extend([results, parameters])
            self.resource_eval.eval_resource(env=env)

        writer._eval_body = eval_body  # type: ignore[method-assign]

        def restore() -> None:
            writer._eval_body = original  # type: ignore[method-assign]

        self._restore.append(restore)

    def _skip_waits(self) -> None:
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

        original_time = retrier_decl.time  # type: ignore[attr-defined]
        # only the retrier's own module sees the fake clock; everything else keeps time.sleep
        retrier_decl.time = types.SimpleNamespace(sleep=lambda seconds: None)  # type: ignore[attr-defined,assignment]
        original_wait = wait_function.WaitFunction._wait_interval
        wait_function.WaitFunction._wait_interval = lambda self, env, wait_seconds: None  # type: ignore[method-assign]

        def restore() -> None:
            retrier_decl.time = original_time  # type: ignore[attr-defined]
            wait_function.WaitFunction._wait_interval = original_wait  # type: ignore[method-assign]

        self._restore.append(restore)

    def _invoker(self, role: str, name: str, arn: str) -> Invoker:
        runtime = self.runtime
        functions_dir = self.functions_dir
        # Warm "containers": each is one copy of the handler module and serves one invocation at
        # a time, as on Lambda, so module-level state (logger keys, metrics) is never shared;
        # concurrent invocations get more containers.
        idle: list[Callable[[dict[str, Any], Any], Any]] = []
        idle_lock = threading.Lock()

        def invoke(event: Any) -> tuple[str, bool, str]:
            with idle_lock:
                handler = idle.pop() if idle else None
            if handler is None:
                handler = load_handler(functions_dir, role)
            try:
                return call(handler, event)
            finally:
                with idle_lock:
                    idle.append(handler)

        def call(
            handler: Callable[[dict[str, Any], Any], Any], event: Any
        ) -> tuple[str, bool, str]:
            payload = event if isinstance(event, dict) else json.loads(event or "{}")
            context = LocalLambdaContext(function_name=name, invoked_function_arn=arn)
            with use_runtime(runtime):
                try:
                    result = handler(payload, context)
                except Exception as err:
                    # what the Lambda runtime returns for an unhandled exception
                    body = {
                        "errorType": type(err).__name__,
                        "errorMessage": str(err),
                        "stackTrace": traceback.format_exception(err)[-10:],
                    }
                    return json.dumps(body), True, ""
            return json.dumps(result), False, ""

        return invoke

    @property
    def function_arns(self) -> Mapping[str, str]:
        """The ARN of each Lambda function, by role (``run_step``, ``gate``, ``run_status``)."""
        return dict(self._function_arns)

    @property
    def role_arn(self) -> str:
        """The IAM role the state machines and functions run as."""
        return str(self._role)

    # -- deploying jobs ------------------------------------------------------------------------
    def deploy(self, job_name: str, *, options: CompileOptions | None = None) -> JobDeployment:
        """Compile ``job_name`` (with ``options``, else the cloud's) and create its state machines (once)."""
        from aloft.compiler import compile_job

        with self._deploy_lock:
            if job_name in self._deployments:
                return self._deployments[job_name]
            compiled = compile_job(self.definitions, job_name, options or self.compile_options)
            sfn = self.client("stepfunctions")
            substitutions = {
                name: self._function_arns[role] for name, role in _PLACEHOLDERS.items()
            }
            entry_arn = ""
            for machine in (*compiled.parts, compiled.entry):  # parts first: the entry names them
                definition = machine.render(substitutions)
                arn = sfn.create_state_machine(
                    name=machine.name, definition=definition, roleArn=self._role
                )["stateMachineArn"]
                if machine.placeholder is not None:
                    substitutions[machine.placeholder] = arn
                entry_arn = arn
            deployment = JobDeployment.from_compiled(compiled, entry_arn)
            self._compiled[job_name] = compiled
            self._deployments[job_name] = deployment
            return deployment

    def compiled(self, job_name: str) -> CompiledJob:
        """The compiled job as deployed."""
        self.deploy(job_name)
        return self._compiled[job_name]

    # -- running ---------------------------------------------------------------------------------
    def launch(
        self,
        job_name: str,
        *,
        selection: Sequence[str] | None = None,
        partition_key: str | None = None,
        run_key: str | None = None,
        tags: Mapping[str, str] | None = None,
        run_config: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """Record and start a run (returns at once; see :meth:`wait`).

        ``run_config`` replaces the job's config for this run (checked first).
        """
        self.deploy(job_name)
        self._check_partition(job_name, partition_key)
        run = self.launcher.launch(
            job_name,
            selection=selection,
            partition_key=partition_key,
            run_key=run_key,
            tags=tags,
            run_config=run_config,
        )
        self._emit_status(run, _RUNNING)
        return run

    def _check_partition(self, job_name: str, partition_key: str | None) -> None:
        from aloft.execution.materialize import validate_partition_key

        plan = self.runtime.plan(job_name)
        partitioned = any(step.partitions_def is not None for step in plan.steps.values())
        if partitioned and partition_key is None:
            raise CloudError(f"job '{job_name}' is partitioned: pass a partition key")
        validate_partition_key(plan, partition_key)

    def reexecute_from_failure(self, run_id: str) -> RunRecord:
        """Start a run of what ``run_id`` left undone (failed, skipped, never reached)."""
        parent = self.store.get_run(run_id)
        if parent is not None:
            self.deploy(parent.job_name)
        run = self.launcher.reexecute_from_failure(run_id)
        self._emit_status(run, _RUNNING)
        return run

    def wait(
        self,
        run_id: str,
        *,
        timeout: float = 120.0,
        poll: float = 0.02,
        on_event: Callable[[StepEvent], None] | None = None,
    ) -> LocalRun:
        """Wait for a run's execution to end, deliver its status change, return the run.

        ``on_event`` sees each step event as it is recorded (the CLI prints them).
        """
        run = self.store.get_run(run_id)
        if run is None or run.execution_arn is None:
            raise CloudError(f"run '{run_id}' has no execution to wait for")
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        seen: set[tuple[str, str, int, float]] = set()

        def report_new_events() -> None:
            if on_event is None:
                return
            for event in self.store.get_step_events(run_id):
                identity = (event.step_key, event.event_type.value, event.attempt, event.timestamp)
                if identity not in seen:
                    seen.add(identity)
                    on_event(event)

        while True:
            description = sfn.describe_execution(executionArn=run.execution_arn)
            report_new_events()
            if description["status"] != _RUNNING:
                break
            if time.monotonic() > deadline:
                raise CloudError(f"run '{run_id}' still running after {timeout:.0f}s")
            time.sleep(poll)
        self._emit_status(run, str(description["status"]), description)
        report_new_events()
        final = self.store.get_run(run_id) or run
        progress = RunProgress.read(self.store, run_id)
        steps = {key: status.value for key, status in progress.terminal.items()}
        return LocalRun(final, description, steps)

    def run(self, job_name: str, *, timeout: float = 120.0, **launch: Any) -> LocalRun:
        """Launch a run and wait for it."""
        return self.wait(self.launch(job_name, **launch).run_id, timeout=timeout)

    def _emit_status(
        self, run: RunRecord, status: str, description: Mapping[str, Any] | None = None
    ) -> None:
        """Deliver what EventBridge would: an execution status change, to ``run_status``."""
        if run.execution_arn is None:
            return
        description = description or {}
        deployment = self._deployments[run.job_name]
        input_document = description.get("input") or json.dumps(
            deployment.run_input(
                run.run_id,
                partition_key=run.partition_key,
                selection=run.selection,
                has_config=bool(run.run_config),
            )
        )
        self._emit_execution_status(
            run.execution_arn,
            deployment.state_machine_arn,
            run.run_id,
            status,
            input_document,
            description,
        )

    def _emit_execution_status(
        self,
        execution_arn: str,
        state_machine_arn: str,
        name: str,
        status: str,
        input_document: str,
        description: Mapping[str, Any],
    ) -> None:
        def millis(value: Any) -> int | None:
            return int(value.timestamp() * 1000) if hasattr(value, "timestamp") else None

        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states",
            "account": ACCOUNT_ID,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": self.region,
            "resources": [execution_arn],
            "detail": {
                "executionArn": execution_arn,
                "stateMachineArn": state_machine_arn,
                "name": name,
                "status": status,
                "startDate": millis(description.get("startDate")),
                "stopDate": millis(description.get("stopDate")),
                "input": input_document,
                "output": description.get("output"),
                "error": description.get("error"),
                "cause": description.get("cause"),
            },
        }
        response = self.client("lambda").invoke(
            FunctionName=self._function_arns["run_status"], Payload=json.dumps(event).encode()
        )
        if response.get("FunctionError"):
            raise CloudError(f"run_status failed: {response['Payload'].read().decode()[:2000]}")

    # -- backfills -------------------------------------------------------------------------------
    def deploy_backfill(
        self, job_name: str, *, options: BackfillOptions | None = None
    ) -> BackfillDeployment:
        """Compile ``job_name``'s backfill state machine and create it (once)."""
        from aloft.cloud.backfill import BackfillDeployment
        from aloft.compiler.backfill import compile_backfill

        with self._deploy_lock:
            if job_name in self._backfills:
                return self._backfills[job_name]
            compiled = compile_backfill(self.definitions, job_name, self.compile_options, options)
            substitutions = {
                name: self._function_arns[role] for name, role in _PLACEHOLDERS.items()
            }
            machine = compiled.state_machine
            arn = self.client("stepfunctions").create_state_machine(
                name=machine.name, definition=machine.render(substitutions), roleArn=self._role
            )["stateMachineArn"]
            deployment = BackfillDeployment.from_compiled(compiled, arn)
            self._compiled_backfills[job_name] = compiled
            self._backfills[job_name] = deployment
            return deployment

    def compiled_backfill(self, job_name: str) -> CompiledBackfill:
        """The compiled backfill of a job, as deployed."""
        self.deploy_backfill(job_name)
        return self._compiled_backfills[job_name]

    def launch_backfill(
        self,
        job_name: str,
        partition_keys: Sequence[str],
        *,
        selection: Sequence[str] | None = None,
        backfill_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> BackfillRecord:
        """Validate and order the keys, write the manifest, start ONE execution (returns at once)."""
        from aloft.cloud.backfill import order_partition_keys

        deployment = self.deploy_backfill(job_name)
        steps = self.runtime.job(job_name).plan.steps.values()
        partitions_def = next(step.partitions_def for step in steps)
        keys = order_partition_keys(
            partitions_def, partition_keys, asset_name=job_name, dynamic_partitions_store=self.store
        )
        backfill = self.backfill_launcher.launch(
            job_name, keys, selection=selection, backfill_id=backfill_id, tags=tags
        )
        self._emit_backfill_status(deployment, backfill.backfill_id, _RUNNING)
        return self.store.get_backfill(backfill.backfill_id) or backfill

    def wait_backfill(
        self, backfill_id: str, *, timeout: float = 120.0, poll: float = 0.02
    ) -> LocalBackfill:
        """Wait for a backfill's execution to end, deliver its status change, return the backfill."""
        backfill = self.store.get_backfill(backfill_id)
        if backfill is None:
            raise CloudError(f"no backfill '{backfill_id}'")
        deployment = self.deploy_backfill(backfill.job_name)
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            description = sfn.describe_execution(
                executionArn=deployment.execution_arn(backfill_id)
            )
            if description["status"] != _RUNNING:
                break
            if time.monotonic() > deadline:
                raise CloudError(f"backfill '{backfill_id}' still running after {timeout:.0f}s")
            time.sleep(poll)
        self._emit_backfill_status(
            deployment, backfill_id, str(description["status"]), description
        )
        final = self.store.get_backfill(backfill_id) or backfill
        runs = {
            key: run
            for key, run_id in final.partition_run_ids.items()
            if (run := self.store.get_run(run_id)) is not None
        }
        return LocalBackfill(final, description, runs)

    def backfill(
        self, job_name: str, partition_keys: Sequence[str], *, timeout: float = 120.0, **launch: Any
    ) -> LocalBackfill:
        """Launch a backfill and wait for it."""
        backfill = self.launch_backfill(job_name, partition_keys, **launch)
        return self.wait_backfill(backfill.backfill_id, timeout=timeout)

    def _emit_backfill_status(
        self,
        deployment: BackfillDeployment,
        backfill_id: str,
        status: str,
        description: Mapping[str, Any] | None = None,
    ) -> None:
        description = description or {}
        input_document = description.get("input") or json.dumps(
            {"backfill": {"backfill_id": backfill_id}}
        )
        self._emit_execution_status(
            deployment.execution_arn(backfill_id),
            deployment.state_machine_arn,
            backfill_id,
            status,
            input_document,
            description,
        )

    # -- inspecting ------------------------------------------------------------------------------
    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every history event of an execution."""
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
            if token:
                kwargs["nextToken"] = token
            page = sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            token = page.get("nextToken")
            if not token:
                return events

    def objects(self, prefix: str = "") -> Iterator[str]:
        """Keys of the objects in the data bucket."""
        s3 = self.client("s3")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield str(item["Key"])
