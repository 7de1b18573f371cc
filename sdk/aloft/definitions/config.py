"""Run configuration: ``Config`` schemas, ``RunConfig`` and ``EnvVar``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from aloft.errors import RunConfigError

__all__ = ["Config", "EnvVar", "RunConfig", "validate_node_config"]


class Config(BaseModel):
    """The config schema of an asset or op (a pydantic v2 model).

    Declare it as a parameter named ``config``; its values come from the run
    config (``{"ops": {"<asset>": {"config": {...}}}}``) or the defaults.

    Example:
        >>> from aloft import asset
        >>> class FilterConfig(Config):
        ...     min_score: float = 0.5
        >>> @asset
        ... def filtered_sales(config: FilterConfig) -> float:
        ...     return config.min_score
        >>> filtered_sales(FilterConfig(min_score=0.9))
        0.9
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class EnvVar(str):
    """The name of an environment variable, read when a run starts, never at definition time.

    Example:
        >>> from aloft import ConfigurableResource
        >>> class Api(ConfigurableResource):
        ...     token: str
        >>> api = Api(token=EnvVar("API_TOKEN"))   # nothing is read yet
        >>> EnvVar("HOME").get_value() is not None
        True
    """

    @property
    def env_var_name(self) -> str:
        """The variable's name."""
        return str(self)

    def get_value(self, default: str | None = None) -> str | None:
        """The variable's current value, or ``default``."""
        return os.environ.get(str(self), default)

    def __repr__(self) -> str:
        return f"EnvVar({str(self)!r})"


@dataclass(frozen=True)
class RunConfig:
    """Typed run configuration: config per node and resources.

    Example:
        >>> class FilterConfig(Config):
        ...     min_score: float = 0.5
        >>> RunConfig(ops={"filtered_sales": FilterConfig(min_score=0.9)}).to_config_dict()
        {'ops': {'filtered_sales': {'config': {'min_score': 0.9}}}}
    """

    ops: Mapping[str, Config | Mapping[str, Any]] = field(default_factory=dict)
    resources: Mapping[str, Any] = field(default_factory=dict)

    def to_config_dict(self) -> dict[str, Any]:
        """The plain-dict form, as read from a YAML or JSON config file."""
        ops: dict[str, Any] = {}
        for name, value in self.ops.items():
            data = value.model_dump() if isinstance(value, BaseModel) else dict(value)
            ops[name] = {"config": data}
        result: dict[str, Any] = {"ops": ops}
        if self.resources:
            result["resources"] = dict(self.resources)
        return result


def validate_node_config(
    config_type: type[Config], node_name: str, run_config: Mapping[str, Any]
) -> Config:
    """Build ``config_type`` for ``node_name`` from a run-config dict.

    Raises :class:`RunConfigError` whose message carries the dotted path of
    the first problem, e.g. ``ops.filtered_sales.config.min_score``.
    """
    ops = run_config.get("ops", {}) or {}
    node_entry = ops.get(node_name, {}) or {}
    if isinstance(node_entry, Config):
        return node_entry
    if not isinstance(node_entry, Mapping):
        raise RunConfigError(
            f"run config ops.{node_name} must be a mapping like {{'config': {{...}}}}",
            path=f"ops.{node_name}",
        )
    values = node_entry.get("config", {}) or {}
    if isinstance(values, Config):
        return values
    try:
        return config_type.model_validate(values)
    except ValidationError as err:
        first = err.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        path = f"ops.{node_name}.config" + (f".{location}" if location else "")
        raise RunConfigError(
            f"invalid run config at {path}: {first['msg']} (got {first.get('input')!r}); "
            f"expected the fields of {config_type.__name__}: {sorted(config_type.model_fields)}",
            path=path,
        ) from err


def check_run_config_nodes(run_config: Mapping[str, Any], node_names: set[str]) -> None:
    """Reject run config for nodes that are not in the run (a typo, usually)."""
    from aloft.errors import did_you_mean

    unknown_top = set(run_config) - {"ops", "resources", "execution", "loggers"}
    if unknown_top:
        name = sorted(unknown_top)[0]
        raise RunConfigError(
            f"unknown run config section {name!r}: expected 'ops' or 'resources'."
            + did_you_mean(name, ["ops", "resources"]),
            path=name,
        )
    for name in run_config.get("ops", {}) or {}:
        if name not in node_names:
            raise RunConfigError(
                f"run config names ops.{name}, which is not an asset or op of this run."
                + did_you_mean(name, node_names),
                path=f"ops.{name}",
            )
