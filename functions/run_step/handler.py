"""Lambda ``run_step``: materialize ONE step of a run through aloft's step runner.

Invoked by the compiled state machines (``Run_<step>`` and
``RecordCrash_...`` tasks). Parses the event, calls
:func:`aloft.cloud.steps.handle_step_event`, returns a small dict. Errors
it raises are the state machine's contract: ``AloftStepRetry`` (retried per
the step's RetryPolicy), ``AloftStepFailed`` (branch stops),
``AloftMalformedEvent`` (never retried).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from aloft.cloud.events import StepFunctionEvent, parse_event
from aloft.cloud.exceptions import AloftMalformedEvent, AloftStepFailed, AloftStepRetry
from aloft.cloud.runtime import current_runtime
from aloft.cloud.steps import StepReport, handle_step_event
from aloft.cloud.tracing import lambda_tracer

logger = Logger(service="aloft-run-step")
# The X-Ray SDK loads only inside Lambda (it costs ~0.2 s of every import elsewhere).
tracer = lambda_tracer("aloft-run-step")
# Ephemeral: this invocation's metrics only (Metrics() shares one set process-wide).
metrics = EphemeralMetrics(namespace="aloft", service="aloft-run-step")


def _record(report: StepReport) -> None:
    logger.info(
        "step %s",
        report.status.lower(),
        extra={"report": report.to_json(), "assets": list(report.assets)},
    )
    metrics.add_metadata(key="job", value=report.job)
    metrics.add_metric(name=f"Step{report.status.title()}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="Materializations", unit=MetricUnit.Count, value=len(report.assets))
    if report.duration:
        metrics.add_metric(name="StepDuration", unit=MetricUnit.Seconds, value=report.duration)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Run (or record the crash of) one step."""
    logger.thread_safe_clear_keys()
    metrics.clear_metrics()  # with POWERTOOLS_METRICS_DISABLED nothing flushes them
    try:
        request = parse_event(event, StepFunctionEvent)
        logger.thread_safe_append_keys(
            run_id=request.run.run_id,
            job=request.job,
            step=request.step,
            partition_key=request.run.partition_key,
        )
        return handle_step_event(request, current_runtime(), on_report=_record).to_json()
    except AloftMalformedEvent:
        logger.exception(
            "malformed run_step event; not retried", extra={"event_keys": sorted(event)}
        )
        metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
        raise
    except (AloftStepRetry, AloftStepFailed):
        raise  # already reported by _record
    except Exception:
        # the state machine records this as a crash (RecordCrash_...)
        logger.exception("run_step failed before the step could report")
        metrics.add_metric(name="StepErrors", unit=MetricUnit.Count, value=1)
        raise
