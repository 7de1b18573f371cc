"""``AssetKey``: the hierarchical name of an asset."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

__all__ = ["AssetKey", "CoercibleToAssetKey", "CoercibleToAssetKeyPrefix"]

_VALID_PART = re.compile(r"^[A-Za-z0-9_\-\.]+$")


@dataclass(frozen=True, order=True)
class AssetKey:
    """The name of an asset: a path of one or more parts.

    Example:
        >>> AssetKey(["warehouse", "orders"]).to_user_string()
        'warehouse/orders'
        >>> AssetKey.from_user_string("warehouse/orders") == AssetKey(["warehouse", "orders"])
        True
        >>> AssetKey("orders").path
        ('orders',)
    """

    path: tuple[str, ...]

    def __init__(self, path: str | Sequence[str]) -> None:
        parts = (path,) if isinstance(path, str) else tuple(path)
        if not parts:
            raise ValueError("an AssetKey needs at least one part")
        for part in parts:
            if not isinstance(part, str) or not _VALID_PART.match(part):
                raise ValueError(
                    f"invalid AssetKey part {part!r}: use letters, digits, '_', '-' or '.'"
                )
        object.__setattr__(self, "path", parts)
        # Keys are hashed on every graph lookup and step: compute the hash once.
        object.__setattr__(self, "_hash", hash(parts))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined, no-any-return]

    def __reduce__(self) -> tuple[type[AssetKey], tuple[tuple[str, ...]]]:
        # Pickle the path only: string hashes differ between processes.
        return (AssetKey, (self.path,))

    @classmethod
    def from_user_string(cls, value: str) -> AssetKey:
        """Parse ``"a/b/c"`` into ``AssetKey(["a", "b", "c"])``."""
        return cls(value.split("/"))

    @classmethod
    def from_coercible(cls, value: CoercibleToAssetKey) -> AssetKey:
        """Accept an AssetKey, a ``"a/b"`` string or a sequence of parts."""
        if isinstance(value, AssetKey):
            return value
        if isinstance(value, str):
            return cls.from_user_string(value)
        if hasattr(value, "key") and isinstance(value.key, AssetKey):
            return value.key
        return cls(list(value))

    def to_user_string(self) -> str:
        """The ``a/b/c`` form used by the CLI and the UI."""
        return "/".join(self.path)

    def to_python_identifier(self) -> str:
        """A name safe for Python and Step Functions, e.g. ``warehouse__orders``."""
        return "__".join(self.path).replace("-", "_").replace(".", "_")

    def with_prefix(self, prefix: CoercibleToAssetKeyPrefix) -> AssetKey:
        """This key below ``prefix``."""
        parts = [prefix] if isinstance(prefix, str) else list(prefix)
        return AssetKey([*parts, *self.path])

    def __str__(self) -> str:
        return self.to_user_string()

    def __repr__(self) -> str:
        return f"AssetKey({list(self.path)!r})"


CoercibleToAssetKey: TypeAlias = "AssetKey | str | Sequence[str]"
CoercibleToAssetKeyPrefix: TypeAlias = "str | Sequence[str]"
