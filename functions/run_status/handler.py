"""Lambda ``run_status``: close run records from Step Functions' execution status changes.

Triggered by EventBridge (source ``aws.states``, detail-type "Step Functions
Execution Status Change"), so runs are closed even when a step's Lambda
crashed or the execution was aborted or timed out. A malformed event is
logged and dropped: raising would only make EventBridge retry it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from aloft.cloud.events import ExecutionStatusChange, parse_event
from aloft.cloud.exceptions import AloftMalformedEvent
from aloft.cloud.runtime import current_runtime
from aloft.cloud.status import record_execution_status
from aloft.cloud.tracing import lambda_tracer

logger = Logger(service="aloft-run-status")
# The X-Ray SDK loads only inside Lambda (it costs ~0.2 s of every import elsewhere).
tracer = lambda_tracer("aloft-run-status")
# Ephemeral: this invocation's metrics only (Metrics() shares one set process-wide).
metrics = EphemeralMetrics(namespace="aloft", service="aloft-run-status")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Move the run of the execution to its new status."""
    logger.thread_safe_clear_keys()
    metrics.clear_metrics()  # with POWERTOOLS_METRICS_DISABLED nothing flushes them
    try:
        change = parse_event(event, ExecutionStatusChange)
    except AloftMalformedEvent as err:
        logger.error("dropping malformed execution status event", extra={"reason": str(err)})
        metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
        return {"status": "ignored", "reason": str(err)}
    logger.thread_safe_append_keys(
        execution=change.detail.executionArn, execution_status=change.detail.status
    )
    report = record_execution_status(change.detail, current_runtime())
    logger.thread_safe_append_keys(run_id=report.run_id)
    logger.info("run status %s", report.status, extra={"report": report.to_json()})
    metrics.add_metric(
        name="RunsClosed" if report.changed else "StatusEventsIgnored",
        unit=MetricUnit.Count,
        value=1,
    )
    return report.to_json()
