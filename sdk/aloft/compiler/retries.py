"""Retry policies as ASL ``Retry`` entries.

A step's ``RetryPolicy`` becomes one retrier on :data:`ERROR_STEP_RETRY`
(the error ``run_step`` raises when the policy allows another attempt);
every Lambda task also retries Lambda's own transient errors. What ASL
cannot express exactly is approximated and reported as a warning.

Example:
    >>> from aloft.definitions.policies import Backoff, RetryPolicy
    >>> retrier, warnings = user_retrier(RetryPolicy(max_retries=3, delay=2, backoff=Backoff.EXPONENTIAL))
    >>> retrier.to_json()
    {'ErrorEquals': ['AloftStepRetry'], 'IntervalSeconds': 2, 'MaxAttempts': 3, 'BackoffRate': 2.0}
    >>> warnings
    []
"""

from __future__ import annotations

import math
from typing import Literal

from aloft.compiler.asl import Retrier
from aloft.compiler.contract import ERROR_STEP_RETRY, LAMBDA_TRANSIENT_ERRORS
from aloft.definitions.policies import Backoff, Jitter, RetryPolicy

__all__ = ["TRANSIENT_LAMBDA_RETRIER", "user_retrier"]

# Lambda throttling and service hiccups: retried on every Lambda task, whatever the step's policy.
TRANSIENT_LAMBDA_RETRIER = Retrier(
    error_equals=LAMBDA_TRANSIENT_ERRORS,
    interval_seconds=1,
    max_attempts=6,
    backoff_rate=2.0,
    jitter_strategy="FULL",
)

# ASL's cap on IntervalSeconds and MaxAttempts.
_MAX_ASL_INTEGER = 99_999_999


def user_retrier(policy: RetryPolicy | None) -> tuple[Retrier | None, list[str]]:
    """The retrier of a step's policy (None without retries) and the approximations made."""
    if policy is None or policy.max_retries == 0:
        return None, []
    warnings: list[str] = []
    delay = policy.delay or 0.0
    interval = max(1, math.ceil(delay))
    if interval != delay:
        warnings.append(
            f"delay {delay:g}s becomes IntervalSeconds={interval} (Step Functions waits whole seconds, at least 1)"
        )
    attempts = min(policy.max_retries, _MAX_ASL_INTEGER)
    if policy.backoff is Backoff.EXPONENTIAL:
        rate = 2.0
    elif policy.backoff is Backoff.LINEAR and attempts > 1:
        # ASL only grows delays geometrically: match the first and the last linear delay.
        rate = round(attempts ** (1.0 / (attempts - 1)), 3)
        warnings.append(
            f"LINEAR backoff is approximated by BackoffRate={rate} (same first and last delay)"
        )
    else:
        rate = 1.0
    jitter: Literal["FULL"] | None = None
    if policy.jitter is Jitter.FULL:
        jitter = "FULL"
    elif policy.jitter is Jitter.PLUS_MINUS:
        jitter = "FULL"
        warnings.append(
            "PLUS_MINUS jitter becomes JitterStrategy=FULL (the only jitter ASL offers)"
        )
    retrier = Retrier(
        error_equals=(ERROR_STEP_RETRY,),
        interval_seconds=min(interval, _MAX_ASL_INTEGER),
        max_attempts=attempts,
        backoff_rate=rate,
        jitter_strategy=jitter,
    )
    return retrier, warnings
