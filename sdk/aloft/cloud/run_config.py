"""Per-run config of cloud runs: checked at launch, kept in the run record, applied by ``run_step``.

A cloud run's config never travels in the execution input: the input is
visible to anyone who may describe executions, is kept in the execution
history, and is capped at 256 KiB. The launcher checks the config against
the job (:func:`check_cloud_run_config`: node schemas, resource names and
fields, size) before it writes anything, stores it in the run record, and
only marks the input with ``run.has_config``. A step of such a run reads the
record once per container (``CloudRuntime.job_for_run``); a run without
config reads nothing more than before.

As in process, a run's config replaces its job's config
(``define_asset_job(config=...)``); it is not merged into it. ``EnvVar``
values are stored by name (``{"env": NAME}``) and read in the Lambda
function when the step runs (:func:`with_env_vars`).

Example:
    >>> from aloft import Config, Definitions, asset, define_asset_job
    >>> class Limit(Config):
    ...     n: int = 1
    >>> @asset
    ... def rows(config: Limit) -> int: return config.n
    >>> defs = Definitions(assets=[rows], jobs=[define_asset_job("daily", selection="*")])
    >>> check_cloud_run_config(defs, "daily", {"ops": {"rows": {"config": {"n": 3}}}})
    {'ops': {'rows': {'config': {'n': 3}}}}
    >>> check_cloud_run_config(defs, "daily", {"ops": {"rows": {"config": {"n": "many"}}}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    aloft.errors.RunConfigError: invalid run config at ops.rows.config.n: ...
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aloft.errors import RunConfigError, did_you_mean

if TYPE_CHECKING:
    from aloft.definitions.definitions import Definitions
    from aloft.execution.plan import ExecutionPlan

__all__ = ["check_cloud_run_config", "config_fingerprint", "job_plan", "with_env_vars"]

# The cloud provides this resource when the project does not (``CloudRuntime.default_resources``).
_CLOUD_RESOURCES = ("io_manager",)


def job_plan(definitions: Definitions, job_name: str) -> ExecutionPlan:
    """The execution plan of asset job ``job_name`` (what its state machine runs)."""
    from aloft.definitions.jobs import AssetJobDefinition
    from aloft.errors import DefinitionError
    from aloft.execution.plan import build_asset_plan

    job = definitions.get_job_def(job_name)
    if not isinstance(job, AssetJobDefinition):
        raise DefinitionError(f"job '{job_name}' is an op job; only asset jobs run in the cloud")
    return build_asset_plan(definitions.get_asset_graph(), definitions.resolve_job_keys(job_name), job_name)


def check_cloud_run_config(
    definitions: Definitions, job_name: str, run_config: Mapping[str, Any]
) -> dict[str, Any]:
    """``run_config`` as the run record keeps it, after checking it fits job ``job_name``.

    Raises :class:`~aloft.errors.RunConfigError` (with its ``path``) for a
    config that does not match a node's schema, names an unknown node,
    resource or resource field, holds a value JSON cannot, or is too large.
    Environment variables are not read here: the launcher may not have them.
    """
    from aloft.execution.run import validate_run_config
    from aloft.storage.limits import check_run_config_size

    stored = check_run_config_size(run_config)
    validate_run_config(job_plan(definitions, job_name), stored)
    _check_resource_config(definitions.resources, stored.get("resources") or {})
    return stored


def _check_resource_config(resources: Mapping[str, Any], config: Any) -> None:
    from aloft.definitions.resources import ConfigurableResource

    if not isinstance(config, Mapping):
        raise RunConfigError("run config 'resources' must be a mapping of resource keys", path="resources")
    known = [*resources, *(key for key in _CLOUD_RESOURCES if key not in resources)]
    for key, entry in config.items():
        if key not in known:
            raise RunConfigError(
                f"run config names resources.{key}, which is not a resource." + did_you_mean(key, known),
                path=f"resources.{key}",
            )
        if not isinstance(entry, Mapping):
            raise RunConfigError(
                f"run config resources.{key} must be a mapping like {{'config': {{...}}}}", path=f"resources.{key}"
            )
        fields = entry.get("config") or {}
        resource = resources.get(key)
        if not isinstance(resource, ConfigurableResource):
            continue
        allowed = type(resource).model_fields
        for name in fields:
            if name not in allowed:
                raise RunConfigError(
                    f"run config names resources.{key}.config.{name}, which is not a field of "
                    f"{type(resource).__name__}." + did_you_mean(name, allowed),
                    path=f"resources.{key}.config.{name}",
                )


def with_env_vars(run_config: Mapping[str, Any]) -> dict[str, Any]:
    """``run_config`` whose ``{"env": NAME}`` resource fields are ``EnvVar``\\ s again (read at run time).

    Example:
        >>> with_env_vars({"resources": {"api": {"config": {"token": {"env": "API_TOKEN"}}}}})
        {'resources': {'api': {'config': {'token': EnvVar('API_TOKEN')}}}}
    """
    from aloft.definitions.config import EnvVar

    resources = run_config.get("resources")
    if not isinstance(resources, Mapping):
        return dict(run_config)
    decoded: dict[str, Any] = {}
    for key, entry in resources.items():
        fields = entry.get("config") if isinstance(entry, Mapping) else None
        if isinstance(fields, Mapping):
            entry = {
                **entry,
                "config": {
                    name: EnvVar(value["env"]) if _is_env(value) else value for name, value in fields.items()
                },
            }
        decoded[key] = entry
    return {**run_config, "resources": decoded}


def _is_env(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"env"} and isinstance(value["env"], str)


def config_fingerprint(run_config: Mapping[str, Any]) -> str:
    """A short digest of ``run_config`` (stored form): the key of a container's per-config cache.

    Example:
        >>> config_fingerprint({"b": 1, "a": 2}) == config_fingerprint({"a": 2, "b": 1})
        True
    """
    text = json.dumps(run_config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
