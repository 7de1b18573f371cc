"""cdk-nag (AwsSolutions) for aloft stacks, and the findings aloft accepts, each with its reason.

cdk-nag 3.x runs as a CDK policy-validation plugin: any finding that is not
acknowledged makes ``synth`` fail. Acknowledgements are made one by one on the
construct they concern, never for a whole stack, and each says why the finding
is acceptable. The reasons live here so a reviewer reads them in one place.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from constructs import IConstruct

__all__ = ["REASONS", "acknowledge", "add_aws_solutions_checks"]

# Rule id (with the finding's own id for rules that report several) -> why aloft accepts it.
REASONS: dict[str, str] = {
    "AwsSolutions-IAM5[Resource::*]:xray": (
        "X-Ray's PutTraceSegments/PutTelemetryRecords (and GetSampling* for Step Functions) have no "
        "resource-level permissions: AWS requires Resource '*'"
    ),
    "AwsSolutions-IAM5[Resource::*]:log-delivery": (
        "Step Functions' CloudWatch Logs delivery (Create/Get/Update/Delete/ListLogDeliveries, "
        "PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing "
        "(PutTraceSegments, PutTelemetryRecords, GetSamplingRules/Targets) have no resource-level "
        "permissions: AWS requires Resource '*'"
    ),
    "AwsSolutions-IAM5[Resource::*]:xray+list-streams": (
        "X-Ray's PutTraceSegments/PutTelemetryRecords and dynamodb:ListStreams (used by the stream "
        "event source mapping) have no resource-level permissions: AWS requires Resource '*'; reading "
        "records is limited to this table's stream"
    ),
    "AwsSolutions-IAM5[Resource::<bucket>/*]:data-objects": (
        "Objects of the project's own data bucket: asset values and run artefacts live under keys "
        "derived from asset keys, partitions and run ids, which are not known at deploy time; "
        "actions are limited to Get/Put/Delete/AbortMultipartUpload"
    ),
    "AwsSolutions-IAM5[Resource::<sensor-prefix>*]:sensor-objects": (
        "Read-only (s3:GetObject) access to the objects under one S3 sensor's own bucket and prefix: "
        "the keys are whatever is dropped there, unknown at deploy time"
    ),
    "AwsSolutions-L1": (
        "The runtime is the one in [tool.aloft] python_version (default 3.12): the bundle's binary "
        "wheels are resolved for exactly that version, so it is raised deliberately, with the bundle"
    ),
    "AwsSolutions-S1": (
        "This is the server-access-log bucket itself; logging it into another bucket would only "
        "move the problem (and into itself would loop)"
    ),
    "AwsSolutions-SQS3": (
        "This queue is a dead-letter queue: messages that land here are inspected by an operator "
        "(an alarm fires on its depth); a DLQ of a DLQ adds nothing"
    ),
}


def acknowledge(
    construct: IConstruct,
    finding: str,
    *,
    reason_key: str | None = None,
    reason_finding: str | None = None,
) -> None:
    """Acknowledge one finding on one construct, with aloft's written reason for it.

    ``finding`` is what cdk-nag reports (``AwsSolutions-IAM5[Resource::*]``);
    ``reason_finding`` is its generic form in :data:`REASONS` when the finding
    names a logical id; ``reason_key`` picks among several reasons for one finding.
    """
    generic = reason_finding or finding
    key = f"{generic}:{reason_key}" if reason_key else generic
    Validations.of(construct).acknowledge(Acknowledgment(id=finding, reason=REASONS[key]))


def add_aws_solutions_checks(app: App) -> None:
    """Run the AwsSolutions pack on every stack of ``app`` when it synthesizes."""
    from cdk_nag import AwsSolutionsChecks

    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
