"""Per-run config on the local cloud: the compiled state machine runs each run with its own config.

The config is checked at launch (nothing written when it is wrong), kept in
the run record, flagged (never carried) in the execution input, and read by
``run_step`` once per container; EnvVars are read in the Lambda function.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from typing import Any

import pytest

from aloft import Config, ConfigurableResource, Definitions, EnvVar, asset, define_asset_job
from aloft.automation.daemon import AutomationDaemon
from aloft.automation.local_cloud import LocalCloudRunLauncher, wire_s3_sensors
from aloft.automation.run_request import DefaultSensorStatus, RunRequest
from aloft.automation.s3 import S3ObjectEvent, s3_sensor
from aloft.cloud.local import LocalCloud
from aloft.errors import RunConfigError
from aloft.storage.records import RunStatus, RunTrigger

PREFIX = "aloft-cfgtest"
DATA = f"{PREFIX}-data"
LANDING = f"{PREFIX}-landing"
SECRET_ENV = "ALOFT_CFGTEST_SIGNING_KEY"


class Greeting(Config):
    name: str = "world"
    times: int = 1


class Signer(ConfigurableResource):
    prefix: str = ">"
    key: str = "unsigned"


@asset
def greeting(config: Greeting) -> str:
    return " ".join([f"hello {config.name}"] * config.times)


@asset
def shout(greeting: str) -> str:
    return greeting.upper()


@asset
def signed(shout: str, signer: Signer) -> str:
    return f"{signer.prefix} {shout} [{signer.key}]"


greetings = define_asset_job(
    "greetings", selection="*", config={"ops": {"greeting": {"config": {"name": "job"}}}}
)


@s3_sensor(bucket=LANDING, prefix="names/", job=greetings, default_status=DefaultSensorStatus.RUNNING)
def name_dropped(context: Any, s3_event: S3ObjectEvent) -> RunRequest:
    name = s3_event.key.removeprefix("names/").removesuffix(".txt")
    return RunRequest(run_key=s3_event.key, run_config={"ops": {"greeting": {"config": {"name": name, "times": 2}}}})


DEFS = Definitions(
    assets=[greeting, shout, signed],
    jobs=[greetings],
    sensors=[name_dropped],
    resources={"signer": Signer(key=EnvVar(SECRET_ENV))},
)


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    # Own names: the session's LocalCloud (tests/e2e/conftest.py) lives in the same moto.
    with LocalCloud(DEFS, name_prefix=PREFIX, bucket=DATA, table=f"{PREFIX}-state", instant_retries=True) as local:
        yield local


@pytest.fixture(autouse=True)
def signing_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(SECRET_ENV, "s3cr3t-in-lambda")
    return "s3cr3t-in-lambda"


def output(cloud: LocalCloud, asset_name: str) -> Any:
    body = cloud.client("s3").get_object(Bucket=DATA, Key=f"aloft/{asset_name}")["Body"].read()
    return pickle.loads(body)


def execution_input(cloud: LocalCloud, arn: str | None) -> dict[str, Any]:
    assert arn is not None
    return dict(json.loads(cloud.client("stepfunctions").describe_execution(executionArn=arn)["input"]))


def test_two_configs_give_two_outputs_and_no_config_uses_the_jobs(cloud: LocalCloud) -> None:
    reads = cloud.runtime.run_config_reads
    plain = cloud.run("greetings")
    assert plain.status == "SUCCESS", plain.steps
    assert output(cloud, "shout") == "HELLO JOB"  # the job's own config
    assert plain.run.run_config == {}
    assert "has_config" not in execution_input(cloud, plain.run.execution_arn)["run"]
    assert cloud.runtime.run_config_reads == reads  # a run without config reads nothing more

    alice = {
        "ops": {"greeting": {"config": {"name": "alice", "times": 2}}},
        "resources": {"signer": {"config": {"prefix": "#"}}},
    }
    first = cloud.run("greetings", run_config=alice)
    assert first.status == "SUCCESS", first.steps
    assert output(cloud, "shout") == "HELLO ALICE HELLO ALICE"
    # the run's resource config applies, and the EnvVar field it left alone is read in the Lambda
    assert output(cloud, "signed") == "# HELLO ALICE HELLO ALICE [s3cr3t-in-lambda]"
    assert cloud.runtime.run_config_reads == reads + 1  # 3 steps, one read of the run record

    second = cloud.run("greetings", run_config={"ops": {"greeting": {"config": {"name": "bob"}}}})
    assert second.status == "SUCCESS", second.steps
    assert output(cloud, "shout") == "HELLO BOB"
    assert output(cloud, "signed") == "> HELLO BOB [s3cr3t-in-lambda]"  # replaces the job's config, as in process

    stored = cloud.store.get_run(first.run.run_id)
    assert stored is not None and stored.run_config == alice
    document = execution_input(cloud, first.run.execution_arn)
    assert document["run"]["has_config"] is True
    assert "alice" not in json.dumps(document)  # the input flags the config, it never carries it


def test_an_env_var_in_run_config_is_stored_by_name_and_read_in_the_lambda(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALOFT_CFGTEST_OTHER_KEY", "other-secret")
    config = {"resources": {"signer": {"config": {"key": EnvVar("ALOFT_CFGTEST_OTHER_KEY")}}}}
    result = cloud.run("greetings", run_config=config)
    assert result.status == "SUCCESS", result.steps
    assert output(cloud, "signed") == "> HELLO WORLD [other-secret]"
    stored = cloud.store.get_run(result.run.run_id)
    assert stored is not None
    assert stored.run_config == {"resources": {"signer": {"config": {"key": {"env": "ALOFT_CFGTEST_OTHER_KEY"}}}}}
    assert "other-secret" not in json.dumps(stored.run_config)


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"ops": {"greeting": {"config": {"times": "twice"}}}}, "ops.greeting.config.times"),
        ({"ops": {"greting": {"config": {}}}}, "ops.greting"),
        ({"resources": {"signer": {"config": {"prefx": "#"}}}}, "resources.signer.config.prefx"),
        ({"resources": {"singer": {"config": {}}}}, "resources.singer"),
    ],
)
def test_invalid_config_fails_the_launch_and_writes_nothing(
    cloud: LocalCloud, config: dict[str, Any], path: str
) -> None:
    sfn = cloud.client("stepfunctions")
    machine = cloud.deploy("greetings").state_machine_arn
    runs_before = len(cloud.store.list_runs(limit=1000))
    executions_before = len(sfn.list_executions(stateMachineArn=machine)["executions"])
    with pytest.raises(RunConfigError) as raised:
        cloud.launch("greetings", run_config=config, run_key=f"bad-{path}")
    assert raised.value.path == path
    assert len(cloud.store.list_runs(limit=1000)) == runs_before
    assert cloud.store.get_run_by_key(f"bad-{path}") is None
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == executions_before


def test_a_failed_run_re_executes_with_its_config(cloud: LocalCloud) -> None:
    # The signer's EnvVar is unset: signed fails; the re-execution runs with the parent's config.
    import os

    config = {"ops": {"greeting": {"config": {"name": "carol"}}}}
    saved = os.environ.pop(SECRET_ENV)
    try:
        failed = cloud.run("greetings", run_config=config)
    finally:
        os.environ[SECRET_ENV] = saved
    assert failed.status == "FAILURE"
    retry = cloud.reexecute_from_failure(failed.run.run_id)
    assert retry.run_config == config
    done = cloud.wait(retry.run_id)
    assert done.status == "SUCCESS", done.steps
    assert output(cloud, "signed") == "> HELLO CAROL [s3cr3t-in-lambda]"


def test_a_sensor_run_request_with_run_config_runs_with_it(cloud: LocalCloud) -> None:
    source = wire_s3_sensors(cloud, [name_dropped], queue_name=f"{PREFIX}-events", visibility_timeout=0)
    assert source is not None
    daemon = AutomationDaemon(DEFS, cloud.store, LocalCloudRunLauncher(cloud), event_sources=[source])
    cloud.client("s3").put_object(Bucket=LANDING, Key="names/dave.txt", Body=b"")
    iteration = daemon.run_once()
    (dispatch,) = iteration.s3_dispatches
    (run_id,) = dispatch.new_run_ids
    run = cloud.store.get_run(run_id)
    assert run is not None
    assert (run.status, run.trigger) == (RunStatus.SUCCESS, RunTrigger.SENSOR)
    assert run.run_config == {"ops": {"greeting": {"config": {"name": "dave", "times": 2}}}}
    assert output(cloud, "shout") == "HELLO DAVE HELLO DAVE"
