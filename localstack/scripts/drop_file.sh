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
echo "waiting for the sensor's run (state store $STATE) ..."
for _ in $(seq 1 30); do
  sleep 4
  if "$PYTHON" -m aloft.cli.main --state "$STATE" runs list 2>/dev/null | grep -q .; then
    "$PYTHON" -m aloft.cli.main --state "$STATE" runs list
    exit 0
  fi
done
echo "no run appeared: check the sensor function's logs (awslocal logs tail ...) and its DLQ" >&2
exit 1
