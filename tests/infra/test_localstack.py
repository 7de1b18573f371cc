"""LocalStack (needs Docker): marked ``localstack``, skipped unless it answers.

``localstack/README.md`` says how to start it and deploy; these tests only look at what is there.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.localstack

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://localhost:4566")
STACK = "aloft-shop-local"
REPO = Path(__file__).resolve().parents[2]


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


def test_localstack_runs_the_services_an_aloft_stack_uses() -> None:
    services = dict(_health().get("services", {}))  # type: ignore[call-overload]
    needed = ["cloudformation", "s3", "dynamodb", "lambda", "stepfunctions", "events", "sqs", "iam"]
    missing = [name for name in needed if services.get(name) not in ("available", "running")]
    assert missing == [], (
        f"LocalStack lacks {missing}: check SERVICES in localstack/docker-compose.yml"
    )


def test_a_dropped_file_starts_a_run() -> None:
    _health()
    cloudformation = _client("cloudformation")
    try:
        outputs = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0].get("Outputs", [])
    except Exception as err:  # botocore's ClientError: the stack is not deployed
        pytest.skip(f"{STACK} is not deployed ({err}): bash localstack/scripts/deploy.sh")
    state = next(o["OutputValue"] for o in outputs if o["OutputKey"] == "StateUrl")
    done = subprocess.run(
        ["bash", str(REPO / "localstack" / "scripts" / "drop_file.sh")],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "AWS_ENDPOINT_URL": ENDPOINT},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert state.startswith("dynamodb://")
