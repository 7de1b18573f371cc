"""aloft's CDK constructs: deploy a project's Definitions to AWS.

``AloftProject`` is the reusable construct; ``AloftStack`` holds one project
at one stage; ``build_app`` is what ``infra/app.py`` runs. Names load on first
use so that ``aloft_cdk.settings`` can be read without starting Node (jsii).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aloft_cdk.project import AloftProject as AloftProject
    from aloft_cdk.settings import DeploySettings as DeploySettings
    from aloft_cdk.settings import FunctionSize as FunctionSize
    from aloft_cdk.stack import AloftStack as AloftStack
    from aloft_cdk.stack import build_app as build_app

_EXPORTS = {
    "AloftProject": "aloft_cdk.project",
    "AloftStack": "aloft_cdk.stack",
    "DeploySettings": "aloft_cdk.settings",
    "FunctionSize": "aloft_cdk.settings",
    "build_app": "aloft_cdk.stack",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'aloft_cdk' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
