"""LocalStack (needs Docker): the live tests are marked ``localstack`` and skip unless it answers.

``localstack/README.md`` says how to start it and deploy. The tests without the marker check,
with no Docker, what can be checked here: the scripts parse, and the compose file starts every
service a synthesized aloft stack uses.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://localhost:4566")
STACK = "aloft-shop-local"
REPO = Path(__file__).resolve().parents[2]
LOCALSTACK = REPO / "localstack"
# CloudFormation resource namespace -> LocalStack service name.
_SERVICE_OF = {
    "CloudWatch": "cloudwatch",
    "DynamoDB": "dynamodb",
    "Events": "events",
    "IAM": "iam",
    "Lambda": "lambda",
    "Logs": "logs",
    "S3": "s3",
    "SNS": "sns",
    "SQS": "sqs",
    "Scheduler": "scheduler",
    "StepFunctions": "stepfunctions",
}
# `cdklocal bootstrap` and `deploy` need these beyond the stack's own resources.
_DEPLOYMENT_SERVICES = {"cloudformation", "ssm", "ecr", "iam", "sts"}


def _compose_services() -> set[str]:
    compose = yaml.safe_load((LOCALSTACK / "docker-compose.yml").read_text())
    services = compose["services"]["localstack"]["environment"]["SERVICES"]
    return {name.strip() for name in services.split(",")}


# -- no Docker needed ----------------------------------------------------------------------------------


@pytest.mark.parametrize("script", sorted(p.name for p in (LOCALSTACK / "scripts").glob("*.sh")))
def test_the_scripts_parse(script: str) -> None:
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    done = subprocess.run(
        ["bash", "-n", str(LOCALSTACK / "scripts" / script)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_localstack_starts_every_service_the_stack_uses(synthesis: Any) -> None:
    needed = set(_DEPLOYMENT_SERVICES)
    for project in synthesis.projects.values():
        for resource in project.template["Resources"].values():
            namespace = resource["Type"].split("::")[1]
            assert namespace in _SERVICE_OF, f"which LocalStack service runs {resource['Type']}?"
            needed.add(_SERVICE_OF[namespace])
        if project.resources("AWS::Lambda::EventSourceMapping"):
            needed.add("dynamodbstreams")
    missing = sorted(needed - _compose_services())
    assert missing == [], f"add {missing} to SERVICES in localstack/docker-compose.yml"


# -- a running LocalStack ------------------------------------------------------------------------------


def _health() -> dict[str, object]:
    try:
        with urllib.request.urlopen(f"{ENDPOINT}/_localstack/health", timeout=2) as response:
            return dict(json.loads(response.read()))
    except (OSError, ValueError) as err:
        pytest.skip(
            f"LocalStack is not reachable at {ENDPOINT} ({err}); see localstack/README.md (needs Docker)"
        )


def _client(service: str):  # type: ignore[no-untyped-def]
    boto3 = pytest.importorskip("boto3")
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.mark.localstack
def test_localstack_runs_the_services_an_aloft_stack_uses() -> None:
    services = dict(_health().get("services", {}))  # type: ignore[call-overload]
    missing = [
        name
        for name in sorted(_compose_services())
        if services.get(name) not in ("available", "running")
    ]
    assert missing == [], f"LocalStack lacks {missing}: check SERVICES and the image's edition"


@pytest.mark.localstack
def test_a_dropped_file_starts_a_run_that_finishes() -> None:
    _health()
    cloudformation = _client("cloudformation")
    try:
        outputs = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0].get("Outputs", [])
    except Exception as err:  # botocore's ClientError: the stack is not deployed
        pytest.skip(f"{STACK} is not deployed ({err}): bash localstack/scripts/deploy.sh")
    state = next(o["OutputValue"] for o in outputs if o["OutputKey"] == "StateUrl")
    assert state.startswith("dynamodb://")
    done = subprocess.run(
        ["bash", str(LOCALSTACK / "scripts" / "drop_file.sh")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "AWS_ENDPOINT_URL": ENDPOINT},
    )
    # drop_file.sh exits 0 only once a run has reached SUCCESS, FAILURE or CANCELED.
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SUCCESS" in done.stdout, done.stdout[-2000:]
