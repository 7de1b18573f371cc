"""Stable, legal state names derived from step keys.

Names are readable (``Run_orders``), at most 80 characters, and stay the
same from one compile to the next. A name that would be too long keeps a
readable prefix and ends with a hash of the full name, so two long keys
never collide.

Example:
    >>> state_name("Run", "orders")
    'Run_orders'
    >>> long = state_name("Run", "x" * 100)
    >>> len(long), long[:8], long[-9:-8]
    (80, 'Run_xxxx', '-')
"""

from __future__ import annotations

import hashlib

from aloft.compiler.asl import MAX_NAME_LENGTH, is_legal_name
from aloft.compiler.exceptions import CompileError

__all__ = ["machine_name", "state_name"]

_HASH_LENGTH = 8


def _shorten(name: str) -> str:
    if len(name) <= MAX_NAME_LENGTH:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:_HASH_LENGTH]
    return f"{name[: MAX_NAME_LENGTH - _HASH_LENGTH - 1]}-{digest}"


def state_name(prefix: str, key: str, *suffix: int) -> str:
    """``<prefix>_<key>[_<n>...]``, shortened with a hash when longer than 80 characters."""
    parts = [prefix, key, *(str(n) for n in suffix)]
    name = _shorten("_".join(parts))
    if not is_legal_name(name):
        raise CompileError(f"cannot derive a legal state name from step '{key}'")
    return name


def machine_name(prefix: str, job_name: str, part: int | None = None) -> str:
    """The state machine name of a job (``aloft-daily``) or of one of its parts (``aloft-daily-part2``).

    Example:
        >>> machine_name("aloft", "daily", 2)
        'aloft-daily-part2'
    """
    name = f"{prefix}-{job_name}" if prefix else job_name
    if part is not None:
        name = f"{name}-part{part}"
    name = _shorten(name)
    if not is_legal_name(name):
        raise CompileError(f"job name {job_name!r} cannot name a state machine")
    return name
