#!/usr/bin/env bash
# Drop a file where an S3 sensor of the fixture project watches, then show the run it started.
#   bash localstack/scripts/drop_file.sh [bucket] [key]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BUCKET="${1:-shop-landing}"
KEY="${2:-orders/$(date +%Y%m%d-%H%M%S).csv}"
wait_for_localstack
"$PYTHON" - "$BUCKET" "$KEY" <<'PY'
import sys, boto3
bucket, key = sys.argv[1:]
s3 = boto3.client("s3")
if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
    s3.create_bucket(Bucket=bucket)
# S3 sensors listen on EventBridge: the watched bucket must send its events there.
s3.put_bucket_notification_configuration(
    Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
)
s3.put_object(Bucket=bucket, Key=key, Body=b"order_id,amount\n1,9.5\n")
print(f"dropped s3://{bucket}/{key}")
PY
STATE="$(stack_output StateUrl)?endpoint=$AWS_ENDPOINT_URL&region=$AWS_DEFAULT_REGION"
echo "waiting for the sensor's run to finish (state store $STATE) ..."
# `runs list` prints "No runs recorded" when there is none: look at the JSON, and wait for an end.
for _ in $(seq 1 45); do
  sleep 4
  RUNS="$("$PYTHON" -m aloft.cli.main --state "$STATE" runs list --json --limit 5 2>/dev/null || echo '[]')"
  if "$PYTHON" -c '
import json, sys
runs = json.loads(sys.argv[1] or "[]")
sys.exit(0 if any(r.get("status") in ("SUCCESS", "FAILURE", "CANCELED") for r in runs) else 1)
' "$RUNS"; then
    "$PYTHON" -m aloft.cli.main --state "$STATE" runs list --limit 5
    exit 0
  fi
done
echo "no run finished: check the sensor function's logs (awslocal logs tail ...), its DLQ, and" >&2
echo "  $PYTHON -m aloft.cli.main --state '$STATE' runs list" >&2
exit 1
