"""Starting a Step Functions execution at most once: the name is the idempotency key.

A launch retried after a timeout, a gate task delivered twice, a backfill started
again: each asks for an execution under a deterministic name, and the second ask
finds the first execution instead of failing or starting another.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["execution_arn", "start_execution_once"]


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN of the execution ``name`` of a state machine.

    Example:
        >>> execution_arn("arn:aws:states:us-east-1:1:stateMachine:aloft-daily", "r1")
        'arn:aws:states:us-east-1:1:execution:aloft-daily:r1'
    """
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


def start_execution_once(
    sfn: Any, state_machine_arn: str, name: str, document: Mapping[str, Any]
) -> tuple[str, bool]:
    """Start execution ``name`` with input ``document``; return its ARN and whether this call started it.

    Example:
        >>> class Sfn:
        ...     def start_execution(self, **kwargs):
        ...         error = Exception("exists")
        ...         error.response = {"Error": {"Code": "ExecutionAlreadyExists"}}
        ...         raise error
        >>> start_execution_once(Sfn(), "arn:aws:states:us-east-1:1:stateMachine:m", "r1", {})
        ('arn:aws:states:us-east-1:1:execution:m:r1', False)
    """
    try:
        response = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(document, sort_keys=True)
        )
    except Exception as err:
        if getattr(err, "response", {}).get("Error", {}).get("Code") != "ExecutionAlreadyExists":
            raise
        return execution_arn(state_machine_arn, name), False
    return str(response["executionArn"]), True
