"""Lambda ``gate``: task tokens of the compiled state machines.

``wait`` holds a step until its upstreams in other branches are done,
``start_part`` starts a part of a split job, ``report`` tells the entry
execution how a part ended. Never imports the user's code.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from aloft.cloud.events import GateEvent, parse_event
from aloft.cloud.exceptions import AloftMalformedEvent
from aloft.cloud.gates import handle_gate_event
from aloft.cloud.runtime import current_runtime
from aloft.cloud.tracing import lambda_tracer

logger = Logger(service="aloft-gate")
# The X-Ray SDK loads only inside Lambda (it costs ~0.2 s of every import elsewhere).
tracer = lambda_tracer("aloft-gate")
# Ephemeral: this invocation's metrics only (Metrics() shares one set process-wide).
metrics = EphemeralMetrics(namespace="aloft", service="aloft-gate")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Register or release a gate, start a part, or report a part's outcome."""
    logger.thread_safe_clear_keys()
    metrics.clear_metrics()  # with POWERTOOLS_METRICS_DISABLED nothing flushes them
    try:
        request = parse_event(event, GateEvent)
    except AloftMalformedEvent:
        logger.exception("malformed gate event; not retried", extra={"event_keys": sorted(event)})
        metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
        raise
    run_id = request.run_id if request.kind == "report" else request.run.run_id
    logger.thread_safe_append_keys(
        run_id=run_id, job=request.job, step=getattr(request, "step", None), kind=request.kind
    )
    report = handle_gate_event(request, current_runtime())
    metrics.add_dimension(name="kind", value=report.kind)
    metrics.add_metric(
        name=f"Gate{report.status.title().replace('_', '')}", unit=MetricUnit.Count, value=1
    )
    logger.info("gate %s", report.status, extra={"report": report.to_json()})
    return report.to_json()
