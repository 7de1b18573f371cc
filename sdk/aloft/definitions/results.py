"""What a compute function may return: ``Output`` and ``MaterializeResult``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aloft.definitions.asset_key import AssetKey, CoercibleToAssetKey

__all__ = ["MaterializeResult", "Output"]

T = TypeVar("T")


@dataclass(frozen=True)
class Output(Generic[T]):
    """A value plus metadata, returned (or yielded) by an asset or op.

    Example:
        >>> from aloft import asset
        >>> @asset
        ... def orders() -> Output[list[int]]:
        ...     rows = [1, 2, 3]
        ...     return Output(rows, metadata={"row_count": len(rows)})
    """

    value: T
    output_name: str = "result"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    data_version: str | None = None


@dataclass(frozen=True)
class MaterializeResult:
    """Report a materialization without an I/O-managed value (the asset wrote its own data).

    Example:
        >>> from aloft import asset
        >>> @asset
        ... def exported_file() -> MaterializeResult:
        ...     return MaterializeResult(metadata={"path": "/tmp/out.csv"})
    """

    asset_key: AssetKey | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    data_version: str | None = None

    def __init__(
        self,
        *,
        asset_key: CoercibleToAssetKey | None = None,
        metadata: Mapping[str, Any] | None = None,
        data_version: str | None = None,
    ) -> None:
        object.__setattr__(
            self, "asset_key", AssetKey.from_coercible(asset_key) if asset_key is not None else None
        )
        object.__setattr__(self, "metadata", dict(metadata or {}))
        object.__setattr__(self, "data_version", data_version)
