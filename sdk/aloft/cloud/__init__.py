"""``aloft.cloud``: running compiled jobs on AWS Step Functions and Lambda (or on moto, locally).

- :mod:`aloft.cloud.launcher`: record a run and start its execution;
- :mod:`aloft.cloud.backfill`: write a backfill's partition manifest and start its ONE
  execution; :mod:`aloft.cloud.backfill_status`: each partition's run record;
- :mod:`aloft.cloud.steps`, :mod:`aloft.cloud.gates`, :mod:`aloft.cloud.status`:
  what the ``run_step``, ``gate`` and ``run_status`` Lambda functions do;
- :mod:`aloft.cloud.local`: the whole deployment emulated in this process.

Nothing here creates an AWS client at import time; boto3 and moto load on use.

Example:
    >>> from aloft.cloud import CloudLauncher, JobDeployment
    >>> JobDeployment("daily", "arn:aws:states:us-east-1:1:stateMachine:aloft-daily", ("a",)).run_input("r1")["run"]
    {'run_id': 'r1', 'partition_key': None, 'skip': {}}
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aloft.cloud.backfill import BackfillDeployment as BackfillDeployment
    from aloft.cloud.backfill import BackfillLauncher as BackfillLauncher
    from aloft.cloud.launcher import CloudLauncher as CloudLauncher
    from aloft.cloud.launcher import JobDeployment as JobDeployment
    from aloft.cloud.launcher import StepFunctionsStarter as StepFunctionsStarter
    from aloft.cloud.local import LocalBackfill as LocalBackfill
    from aloft.cloud.local import LocalCloud as LocalCloud
    from aloft.cloud.local import LocalRun as LocalRun
    from aloft.cloud.runtime import CloudRuntime as CloudRuntime

_EXPORTS = {
    "BackfillDeployment": "aloft.cloud.backfill",
    "BackfillLauncher": "aloft.cloud.backfill",
    "LocalBackfill": "aloft.cloud.local",
    "CloudLauncher": "aloft.cloud.launcher",
    "JobDeployment": "aloft.cloud.launcher",
    "StepFunctionsStarter": "aloft.cloud.launcher",
    "LocalCloud": "aloft.cloud.local",
    "LocalRun": "aloft.cloud.local",
    "CloudRuntime": "aloft.cloud.runtime",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'aloft.cloud' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
