"""What assets and ops share: a compute function and the roles of its parameters.

A *node* is one unit the step runner executes. ``AssetsDefinition`` (one or
more assets computed by one function) and ``OpDefinition`` both build a
``NodeDefinition``; the step runner only ever sees the latter.
"""

from __future__ import annotations

import inspect
import sys
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aloft.definitions.asset_key import AssetKey
from aloft.definitions.config import Config
from aloft.definitions.policies import RetryPolicy
from aloft.definitions.resources import ConfigurableResource
from aloft.errors import DefinitionError

__all__ = ["NodeDefinition", "NodeInput", "NodeOutput", "ParameterRoles", "ResourceParam", "inspect_parameters"]

T = typing.TypeVar("T")

# ``def f(db: ResourceParam[MyClient])`` marks a plain object as a resource, as in Dagster.
ResourceParam = typing.Annotated[T, "aloft.resource_param"]


@dataclass(frozen=True)
class NodeInput:
    """A data input of a node: a parameter fed by an upstream asset or op output."""

    name: str
    asset_key: AssetKey | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    input_manager_key: str | None = None
    partition_mapping: Any = None


@dataclass(frozen=True)
class NodeOutput:
    """An output of a node; an asset when ``asset_key`` is set."""

    name: str
    asset_key: AssetKey | None = None
    io_manager_key: str = "io_manager"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    description: str | None = None
    group_name: str = "default"
    code_version: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    is_required: bool = True


@dataclass(frozen=True)
class ParameterRoles:
    """How each parameter of a compute function is fed."""

    context: str | None
    config: str | None
    config_type: type[Config] | None
    resources: Mapping[str, str]  # parameter name -> resource key
    data: tuple[str, ...]  # parameters fed by upstream values, in signature order


@dataclass(frozen=True)
class NodeDefinition:
    """The executable part of an asset or op, as the step runner sees it."""

    name: str
    compute_fn: Callable[..., Any] | None
    inputs: tuple[NodeInput, ...]
    outputs: tuple[NodeOutput, ...]
    roles: ParameterRoles
    required_resource_keys: frozenset[str] = frozenset()
    retry_policy: RetryPolicy | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None

    @property
    def resource_keys(self) -> frozenset[str]:
        """Every resource key this node needs (parameters and ``required_resource_keys``)."""
        return frozenset(self.roles.resources.values()) | self.required_resource_keys


def _user_frame_locals() -> dict[str, Any]:
    """Locals of the frame that applied the decorator (the first frame outside aloft)."""
    frame = sys._getframe(1)
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("aloft."):
        frame = frame.f_back  # type: ignore[assignment]
    return dict(frame.f_locals) if frame is not None else {}


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:
        pass
    # Classes defined in a function body (tests, notebooks) are only in the caller's locals.
    try:
        return typing.get_type_hints(fn, localns=_user_frame_locals(), include_extras=True)
    except Exception:  # still unresolvable: classify by the raw annotation strings
        return dict(getattr(fn, "__annotations__", {}))


def _is_resource_annotation(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        return "aloft.resource_param" in typing.get_args(annotation)[1:]
    return inspect.isclass(annotation) and issubclass(annotation, ConfigurableResource)


def _is_context_annotation(annotation: Any) -> bool:
    name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return isinstance(name, str) and name.endswith("Context")


def inspect_parameters(fn: Callable[..., Any], *, node_kind: str, node_name: str) -> ParameterRoles:
    """Classify the parameters of a compute function (context, config, resources, data).

    Raises :class:`DefinitionError` for ``*args``/``**kwargs`` and a ``config``
    parameter that is not annotated with a ``Config`` subclass.
    """
    hints = _type_hints(fn)
    context: str | None = None
    config: str | None = None
    config_type: type[Config] | None = None
    resources: dict[str, str] = {}
    data: list[str] = []
    params = list(inspect.signature(fn).parameters.values())
    for index, param in enumerate(params):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise DefinitionError(
                f"{node_kind} '{node_name}' has a *{param.name} parameter; name each input "
                "explicitly so aloft can match it to an upstream asset, a resource, config or context"
            )
        annotation = hints.get(param.name, param.annotation)
        if index == 0 and (param.name == "context" or _is_context_annotation(annotation)):
            context = param.name
        elif param.name == "config":
            if not (inspect.isclass(annotation) and issubclass(annotation, Config)):
                raise DefinitionError(
                    f"parameter 'config' of {node_kind} '{node_name}' must be annotated with a "
                    "subclass of aloft.Config, e.g. `config: MyConfig`"
                )
            config, config_type = param.name, annotation
        elif _is_resource_annotation(annotation):
            resources[param.name] = param.name
        else:
            data.append(param.name)
    return ParameterRoles(context, config, config_type, resources, tuple(data))
