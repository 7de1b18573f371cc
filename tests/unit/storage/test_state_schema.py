"""The table definition module is plain data, readable without boto3, pynamodb or the CDK."""

from __future__ import annotations

import subprocess
import sys

from aloft.storage import dynamodb_schema as schema


def test_reading_the_schema_imports_no_aws_library() -> None:
    code = (
        "import sys, aloft.storage.dynamodb_schema as s; s.create_table_request('t');"
        "bad = [m for m in ('boto3', 'botocore', 'pynamodb', 'aws_cdk') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_create_table_request_declares_every_key_attribute_once() -> None:
    request = schema.create_table_request("aloft-state")
    declared = [a["AttributeName"] for a in request["AttributeDefinitions"]]
    used = {k["AttributeName"] for k in request["KeySchema"]} | {
        k["AttributeName"] for index in request["GlobalSecondaryIndexes"] for k in index["KeySchema"]
    }
    assert sorted(declared) == sorted(used)
    assert request["BillingMode"] == "PAY_PER_REQUEST"
    assert request["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert schema.TTL_ATTRIBUTE not in declared  # TTL is set with UpdateTimeToLive, never a key


def test_index_names_are_unique_and_documented() -> None:
    names = [index.name for index in schema.GLOBAL_SECONDARY_INDEXES]
    assert len(names) == len(set(names))
    assert all(index.purpose for index in schema.GLOBAL_SECONDARY_INDEXES)
