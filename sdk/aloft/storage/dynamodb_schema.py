"""The DynamoDB table of the state store, as plain data.

This module is the single source of truth for the table's shape: the
pynamodb models in :mod:`aloft.storage.dynamodb` and the CDK construct in
``infra/`` both read it, so the deployed table and the code cannot disagree.
It imports nothing from boto3, pynamodb or aws_cdk on purpose (the CDK app
must be able to read it without the runtime dependencies, and the Lambda
runtime without the CDK).

Single-table design: every item has a partition key ``pk`` and a sort key
``sk``; three sparse, overloaded global secondary indexes serve the run and
backfill listings. Item kinds (``pk`` / ``sk``):

=====================================  =====================================
``RUN#<run_id>`` / ``RUN``             a run (gsi1: job, gsi2: status, gsi3: recent)
``RUN#<run_id>`` / ``EVENT#<ts>#...``  a step event with bounded logs (TTL)
``RUN#<run_id>`` / ``TOKEN#<step>``    a pending Step Functions task token
``RUNKEY#<run_key>`` / ``RUNKEY``      a run-key reservation (conditional put)
``ASSET#<key>`` / ``LATEST``           the latest materialization of the asset
``ASSET#<key>`` / ``MAT#<ts>#...``     materialization history (newest first)
``ASSET#<key>`` / ``MATID#...``        idempotency marker (run, attempt, partition)
``ASSET#<key>`` / ``PLATEST#<part>``   the latest materialization of a partition
``ASSET#<key>`` / ``PART#<part>``      a partition's status (small item)
``ASSET#<key>`` / ``CHECK#<name>#..``  asset check result history
``ASSET#<key>`` / ``CHECKLATEST#<n>``  the latest result of a check
``SENSOR#<name>`` / ``CURSOR``         a sensor's cursor
``SENSOR#<name>`` / ``TICK#<ts>#<id>`` a sensor or schedule tick (TTL)
``DYNPART#<name>`` / ``KEY#<key>``     a key of a dynamic partitions definition
``BACKFILL#<id>`` / ``BACKFILL``       a backfill (gsi2: status, gsi3: recent)
``BACKFILL#<id>`` / ``PART#<part>``    a backfill's partition and its status
``META`` / ``SCHEMA``                  the schema version of the table
=====================================  =====================================

Example:
    >>> request = create_table_request("aloft-state")
    >>> request["KeySchema"][0]
    {'AttributeName': 'pk', 'KeyType': 'HASH'}
    >>> [index.name for index in GLOBAL_SECONDARY_INDEXES]
    ['gsi1', 'gsi2', 'gsi3']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ATTRIBUTE_TYPES",
    "BILLING_MODE",
    "GLOBAL_SECONDARY_INDEXES",
    "PARTITION_KEY",
    "POINT_IN_TIME_RECOVERY",
    "SCHEMA_VERSION",
    "SORT_KEY",
    "STREAM_VIEW_TYPE",
    "TTL_ATTRIBUTE",
    "IndexSpec",
    "create_table_request",
]

# Bump when the meaning of an existing key changes; stores refuse a table of another version.
SCHEMA_VERSION = 1

PARTITION_KEY = "pk"
SORT_KEY = "sk"
# Epoch seconds; DynamoDB deletes expired step events and ticks (within ~48 h, so reads filter too).
TTL_ATTRIBUTE = "expires_at"
# Automation (a later issue) reacts to new materializations and run status changes.
STREAM_VIEW_TYPE = "NEW_AND_OLD_IMAGES"
# Zero idle cost: nothing is paid while no pipeline runs.
BILLING_MODE = "PAY_PER_REQUEST"
POINT_IN_TIME_RECOVERY = True


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index: its name, key attributes and projection.

    Example:
        >>> IndexSpec("gsi1", "gsi1pk", "gsi1sk").projection
        'ALL'
    """

    name: str
    partition_key: str
    sort_key: str
    projection: str = "ALL"
    purpose: str = ""


GLOBAL_SECONDARY_INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec("gsi1", "gsi1pk", "gsi1sk", purpose="runs of a job: JOB#<job> / <created_at>#<run_id>"),
    IndexSpec(
        "gsi2",
        "gsi2pk",
        "gsi2sk",
        purpose="runs and backfills by status: RUNSTATUS#<s> or BACKFILLSTATUS#<s> / <created_at>#<id>",
    ),
    IndexSpec("gsi3", "gsi3pk", "gsi3sk", purpose="recent runs and backfills: RUNS or BACKFILLS / <created_at>#<id>"),
)

# Only key attributes are declared to DynamoDB; every other attribute is schemaless.
ATTRIBUTE_TYPES: dict[str, str] = {
    PARTITION_KEY: "S",
    SORT_KEY: "S",
    **{attr: "S" for index in GLOBAL_SECONDARY_INDEXES for attr in (index.partition_key, index.sort_key)},
}


def create_table_request(table_name: str) -> dict[str, Any]:
    """The ``CreateTable`` request of the state table (boto3/botocore keyword arguments).

    The TTL attribute and point-in-time recovery are separate API calls
    (``UpdateTimeToLive``, ``UpdateContinuousBackups``); see the constants.

    Example:
        >>> create_table_request("t")["StreamSpecification"]
        {'StreamEnabled': True, 'StreamViewType': 'NEW_AND_OLD_IMAGES'}
    """
    return {
        "TableName": table_name,
        "BillingMode": BILLING_MODE,
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": kind} for name, kind in sorted(ATTRIBUTE_TYPES.items())
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": index.projection},
            }
            for index in GLOBAL_SECONDARY_INDEXES
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE},
    }
