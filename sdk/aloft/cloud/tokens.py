"""Sending task tokens back to Step Functions, where sending twice is harmless.

Two upstreams finishing together may both release the same gate, and a
gate may release itself while an upstream does too: the second
``SendTaskSuccess`` finds the token used and is ignored here.

Example:
    >>> class Sfn:
    ...     def send_task_success(self, **kwargs): self.sent = kwargs
    >>> sfn = Sfn()
    >>> send_success(sfn, "token-1", {"released": True}), sfn.sent["output"]
    (True, '{"released": true}')
"""

from __future__ import annotations

import json
import logging
from typing import Any

__all__ = ["send_failure", "send_success"]

_log = logging.getLogger("aloft.cloud.tokens")

# What Step Functions answers for a token that was already used, expired, or belongs to a
# finished execution: nothing is waiting on it any more.
_STALE = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist", "ExecutionDoesNotExist"}


def _error_code(err: Exception) -> str | None:
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def send_success(sfn: Any, token: str, output: Any) -> bool:
    """Complete the task of ``token`` with ``output``; False when nobody waits on it any more."""
    try:
        sfn.send_task_success(taskToken=token, output=json.dumps(output))
    except Exception as err:
        if _error_code(err) in _STALE:
            _log.debug("task token already used: %s", err)
            return False
        raise
    return True


def send_failure(sfn: Any, token: str, error: str, cause: str) -> bool:
    """Fail the task of ``token`` with ``error``; False when nobody waits on it any more."""
    try:
        sfn.send_task_failure(taskToken=token, error=error[:256], cause=cause[:32768])
    except Exception as err:
        if _error_code(err) in _STALE:
            _log.debug("task token already used: %s", err)
            return False
        raise
    return True
