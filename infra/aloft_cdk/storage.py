"""Where state and data live: the DynamoDB state table and the S3 buckets.

The table is built from :mod:`aloft.storage.dynamodb_schema`, the module the
runtime's DynamoDB store reads too, so the deployed keys, indexes, TTL and
stream can never drift from what the code queries.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from aloft.storage import dynamodb_schema as schema

__all__ = ["DataBuckets", "StateTable", "TEMP_PREFIX"]

# Run artefacts under this prefix (backfill manifests, large intermediate payloads) expire.
TEMP_PREFIX = "tmp/"

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
}
_BILLING = {
    "PAY_PER_REQUEST": dynamodb.BillingMode.PAY_PER_REQUEST,
    "PROVISIONED": dynamodb.BillingMode.PROVISIONED,
}


def _attribute(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[schema.ATTRIBUTE_TYPES[name]])


class StateTable(Construct):
    """The state store's single table: runs, events, materializations, cursors, task tokens.

    On-demand billing (nothing is paid while idle), point-in-time recovery,
    encryption with the AWS-managed KMS key (no customer key and its monthly
    fee), the TTL attribute that expires step events and ticks, and the stream
    the automation function reads.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, table_name: str, retain: bool
    ) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=table_name,
            partition_key=_attribute(schema.PARTITION_KEY),
            sort_key=_attribute(schema.SORT_KEY),
            billing_mode=_BILLING[schema.BILLING_MODE],
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=schema.POINT_IN_TIME_RECOVERY
            ),
            time_to_live_attribute=schema.TTL_ATTRIBUTE,
            stream=dynamodb.StreamViewType[schema.STREAM_VIEW_TYPE],
            deletion_protection=retain,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        for index in schema.GLOBAL_SECONDARY_INDEXES:
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_attribute(index.sort_key),
                projection_type=_PROJECTIONS[index.projection],
            )


class DataBuckets(Construct):
    """The data bucket (asset values, run artefacts) and the bucket its access logs go to.

    Both block public access, refuse plain HTTP and encrypt with S3-managed keys.
    The data bucket sends its events to EventBridge (S3 sensors listen there)
    and expires temporary run artefacts under ``tmp/``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retain: bool,
        temp_artifact_days: int,
        log_days: int = 365,
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(log_days))
            ],
            removal_policy=removal,
        )
        self.data = s3.Bucket(
            self,
            "Data",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="data/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-run-artifacts",
                    prefix=TEMP_PREFIX,
                    expiration=Duration.days(temp_artifact_days),
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
            ],
            removal_policy=removal,
        )
        # EventBridge notifications set on the bucket resource itself: the L2 `event_bridge_enabled`
        # would add a custom-resource Lambda (and its managed-policy role) just to flip this switch.
        cfn_data = self.data.node.default_child
        assert isinstance(cfn_data, s3.CfnBucket)
        cfn_data.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                event_bridge_enabled=True
            )
        )
