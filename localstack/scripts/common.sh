#!/usr/bin/env bash
# Shared by the LocalStack scripts: where things are, and the endpoint every client uses.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
# cdklocal 3.x refuses AWS_ENDPOINT_URL without an S3 endpoint containing ".s3." (its README);
# it also drops AWS_* variables it is not told to keep.
export AWS_ENDPOINT_URL_S3="${AWS_ENDPOINT_URL_S3:-http://s3.localhost.localstack.cloud:4566}"
export AWS_ENVAR_ALLOWLIST="${AWS_ENVAR_ALLOWLIST:-AWS_REGION,AWS_DEFAULT_REGION}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_REGION="$AWS_DEFAULT_REGION"
export CDK_DISABLE_CLI_TELEMETRY=true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
CDKLOCAL="$REPO/infra/node_modules/.bin/cdklocal"
# The project deployed by default: the infra tests' fixture (it has S3 sensors to drop files for);
# its pyproject.toml holds its [tool.aloft] settings. Any project root with one works.
PROJECT_ROOT="${PROJECT_ROOT:-$REPO/tests/infra/projects}"
DEFINITIONS="${DEFINITIONS:-aloft_infra_fixture.definitions}"
PROJECT_NAME="${PROJECT_NAME:-shop}"
STAGE="${STAGE:-local}"
STACK="aloft-$PROJECT_NAME-$STAGE"

wait_for_localstack() {
  for _ in $(seq 1 60); do
    if curl -fsS "$AWS_ENDPOINT_URL/_localstack/health" >/dev/null 2>&1; then return 0; fi
    sleep 2
  done
  echo "LocalStack is not answering on $AWS_ENDPOINT_URL (docker compose -f localstack/docker-compose.yml up -d)" >&2
  return 1
}

stack_output() {  # stack_output OutputKey
  "$PYTHON" - "$STACK" "$1" <<'PY'
import sys, boto3
stack, key = sys.argv[1:]
outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
print(next(o["OutputValue"] for o in outputs if o["OutputKey"] == key))
PY
}
