"""Asset jobs: ``define_asset_job``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aloft.definitions.config import RunConfig
from aloft.definitions.selection import AssetSelection, CoercibleToAssetSelection

__all__ = ["AssetJobDefinition", "define_asset_job"]


@dataclass(frozen=True)
class AssetJobDefinition:
    """A named selection of assets, with default run config and tags.

    Resolve it through ``Definitions.get_job_def(name)``; deploy it as one state machine.
    """

    name: str
    selection: AssetSelection
    config: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None
    partitions_def: Any = None


def define_asset_job(
    name: str,
    selection: CoercibleToAssetSelection = None,
    config: Mapping[str, Any] | RunConfig | None = None,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
    partitions_def: Any = None,
) -> AssetJobDefinition:
    """Define a job that materializes a selection of assets.

    Example:
        >>> job = define_asset_job("daily_refresh", selection="raw_orders+", tags={"team": "finance"})
        >>> job.name
        'daily_refresh'
    """
    from aloft.errors import DefinitionError

    if not name.replace("_", "").isalnum():
        raise DefinitionError(
            f"job name {name!r} must contain only letters, digits and '_' (it names a state machine)"
        )
    config_dict = config.to_config_dict() if isinstance(config, RunConfig) else dict(config or {})
    return AssetJobDefinition(
        name=name,
        selection=AssetSelection.coerce(selection),
        config=config_dict,
        tags=dict(tags or {}),
        description=description,
        partitions_def=partitions_def,
    )
