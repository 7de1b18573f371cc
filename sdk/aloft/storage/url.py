"""Open a state store from a URL: ``memory:``, ``sqlite:PATH``, ``dynamodb://TABLE?...``.

=========================================================  ==========================================
``memory:``                                                in-process dicts (tests)
``sqlite:.aloft/state.db``, ``sqlite:/abs/state.db``       a SQLite file (parent directories created)
``sqlite::memory:``                                        an in-memory SQLite database
``dynamodb://TABLE``                                       DynamoDB, region from the AWS environment
``dynamodb://TABLE?region=eu-west-1&endpoint=http://...``  a region, or a local endpoint (moto, LocalStack)
=========================================================  ==========================================

``dynamodb://`` also takes ``event_ttl_days=N`` (0: keep forever); so does ``sqlite:`` as
``sqlite:PATH?event_ttl_days=N``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from aloft.errors import DefinitionError
from aloft.storage.base import DEFAULT_EVENT_TTL, StateStore

__all__ = ["open_store"]

_USAGE = "use memory:, sqlite:PATH or dynamodb://TABLE?region=...&endpoint=..."


def open_store(url: str) -> StateStore:
    """The state store a URL names.

    Example:
        >>> type(open_store("memory:")).__name__
        'InMemoryStateStore'
        >>> type(open_store("sqlite::memory:")).__name__
        'SqliteStateStore'
        >>> open_store("dynamodb://aloft-state?region=eu-west-1").table_name
        'aloft-state'
    """
    if url in ("memory:", "memory://"):
        from aloft.storage.memory import InMemoryStateStore

        return InMemoryStateStore()
    if url.startswith("sqlite:"):
        from aloft.storage.sqlite import SqliteStateStore

        location, _, query = url[len("sqlite:") :].partition("?")
        options = _options(url, query, {"event_ttl_days"})
        if location.startswith("//"):  # sqlite:///abs/path, the SQLAlchemy spelling
            location = location[2:]
        if not location:
            raise DefinitionError(f"state URL {url!r} names no file: {_USAGE}")
        if location != ":memory:":
            Path(location).expanduser().parent.mkdir(parents=True, exist_ok=True)
            location = str(Path(location).expanduser())
        return SqliteStateStore(location, event_ttl=_ttl(url, options))
    if url.startswith("dynamodb://"):
        try:
            from aloft.storage.dynamodb import DynamoDBStateStore
        except ImportError as err:
            raise DefinitionError(
                f"state URL {url!r} needs pynamodb and boto3: pip install 'aloft[aws]' ({err})"
            ) from err

        parts = urlsplit(url)
        table = parts.netloc
        if not table or parts.path not in ("", "/"):
            raise DefinitionError(f"state URL {url!r} names no table: {_USAGE}")
        options = _options(url, parts.query, {"region", "endpoint", "event_ttl_days"})
        return DynamoDBStateStore(
            table,
            region=options.get("region"),
            endpoint=options.get("endpoint"),
            event_ttl=_ttl(url, options),
        )
    raise DefinitionError(f"unsupported state URL {url!r}: {_USAGE}")


def _options(url: str, query: str, known: set[str]) -> dict[str, str]:
    options = {name: values[-1] for name, values in parse_qs(query, keep_blank_values=True).items()}
    unknown = sorted(set(options) - known)
    if unknown:
        raise DefinitionError(
            f"state URL {url!r}: unknown option(s) {unknown}; known: {sorted(known)}"
        )
    return options


def _ttl(url: str, options: dict[str, str]) -> float | None:
    raw = options.get("event_ttl_days")
    if raw is None:
        return DEFAULT_EVENT_TTL
    try:
        days = float(raw)
    except ValueError:
        raise DefinitionError(f"state URL {url!r}: event_ttl_days must be a number, not {raw!r}") from None
    return None if days <= 0 else days * 24 * 3600
