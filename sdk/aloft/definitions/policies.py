"""Retry policies for assets and ops."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

__all__ = ["Backoff", "Jitter", "RetryPolicy"]


class Backoff(Enum):
    """How the delay grows between attempts."""

    LINEAR = "LINEAR"
    EXPONENTIAL = "EXPONENTIAL"


class Jitter(Enum):
    """Randomization of the delay (FULL matches Step Functions' ``JitterStrategy``)."""

    FULL = "FULL"
    PLUS_MINUS = "PLUS_MINUS"


@dataclass(frozen=True)
class RetryPolicy:
    """Retry a failed step up to ``max_retries`` times.

    Example:
        >>> policy = RetryPolicy(max_retries=3, delay=0.5, backoff=Backoff.EXPONENTIAL)
        >>> [policy.delay_for(attempt) for attempt in (1, 2, 3)]
        [0.5, 1.0, 2.0]
    """

    max_retries: int = 1
    delay: float | None = None
    backoff: Backoff | None = None
    jitter: Jitter | None = None

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("RetryPolicy.max_retries must be >= 0")
        if self.delay is not None and self.delay < 0:
            raise ValueError("RetryPolicy.delay must be >= 0 seconds")

    def delay_for(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        base = self.delay or 0.0
        if self.backoff is Backoff.EXPONENTIAL:
            wait = base * 2 ** (attempt - 1)
        elif self.backoff is Backoff.LINEAR:
            wait = base * attempt
        else:
            wait = base
        if self.jitter is Jitter.FULL:
            wait = (rng or random).uniform(0, wait)
        elif self.jitter is Jitter.PLUS_MINUS:
            wait = max(0.0, wait + (rng or random).uniform(-base, base))
        return float(wait)
