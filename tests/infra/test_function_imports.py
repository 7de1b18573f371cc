"""What importing a Lambda handler loads: X-Ray only inside Lambda, and there it traces AWS calls.

The import-time figure itself is a benchmark (``benchmarks/bench_infra.py``);
these tests pin the behaviour that keeps it low without losing tracing on AWS.
Each import runs in a fresh interpreter: X-Ray patches process-wide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from _infra_synth import REPO

from aloft_cdk.functions import handler_for
from aloft_cdk.settings import FUNCTION_ROLES

FUNCTIONS = REPO / "functions"
TRACED_ROLES = ("run_step", "gate", "run_status")
# What the Lambda service sets in every execution environment (values are stand-ins).
LAMBDA_ENVIRONMENT = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_LAMBDA_FUNCTION_NAME": "aloft-test",
    "AWS_REGION": "eu-west-1",
    "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.2:2000",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
}
_PROBE = """
import json, sys
sys.path.insert(0, {functions!r})
module = __import__({module!r}, fromlist=["handler"])
import botocore.client
tracer = getattr(module, "tracer", None)
print(json.dumps({{
    "xray": sorted(m for m in sys.modules if m == "aws_xray_sdk" or m.startswith("aws_xray_sdk.")),
    "tracer": None if tracer is None else type(tracer).__module__ + "." + type(tracer).__name__,
    "disabled": getattr(tracer, "disabled", None),
    "botocore_wrapped": type(botocore.client.BaseClient.__dict__["_make_api_call"]).__name__,
}}))
"""


def _probe(role: str, extra_env: dict[str, str]) -> dict[str, object]:
    module = handler_for(role, FUNCTIONS).rpartition(".")[0].replace("/", ".")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in LAMBDA_ENVIRONMENT and not k.startswith(("POWERTOOLS_", "AWS_SAM"))
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(functions=str(FUNCTIONS), module=module)],
        env={**env, "AWS_DEFAULT_REGION": "eu-west-1", **extra_env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("role", FUNCTION_ROLES)
def test_importing_a_handler_outside_lambda_loads_no_xray(role: str) -> None:
    # Tests, the local cloud and `aloft dev` import the handlers: ~0.2 s each if X-Ray loaded.
    found = _probe(role, {})
    assert found["xray"] == [], f"{role} imports the X-Ray SDK outside Lambda: {found['xray']}"
    if role in TRACED_ROLES:
        assert found["tracer"] == "aloft.cloud.tracing.UntracedTracer"


@pytest.mark.parametrize("role", TRACED_ROLES)
def test_inside_lambda_the_handler_traces_aws_calls_through_botocore(role: str) -> None:
    found = _probe(role, LAMBDA_ENVIRONMENT)
    assert found["tracer"] == "aws_lambda_powertools.tracing.tracer.Tracer"
    assert found["disabled"] is False
    assert found["botocore_wrapped"] == "FunctionWrapper", "AWS calls would not be traced"
    # Only botocore: patch_all would import and patch HTTP and database libraries aloft never uses.
    patched = [m for m in found["xray"] if str(m).startswith("aws_xray_sdk.ext.")]  # type: ignore[union-attr]
    assert {m.split(".")[2] for m in patched} <= {"botocore", "boto_utils", "util"}, patched


def test_tracing_can_be_turned_off_inside_lambda() -> None:
    found = _probe("run_step", {**LAMBDA_ENVIRONMENT, "POWERTOOLS_TRACE_DISABLED": "true"})
    assert found["xray"] == [] and found["disabled"] is True
