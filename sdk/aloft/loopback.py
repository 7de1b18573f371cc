"""Which hosts can only mean this machine: the rule behind every local server's Host check.

The local UI and the emulated AWS endpoint of ``aloft dev`` answer only requests
whose ``Host`` names this machine, so a web page cannot reach them through a
name it controls that resolves to 127.0.0.1 (DNS rebinding).
"""

from __future__ import annotations

import ipaddress

__all__ = ["host_of_header", "is_loopback_host"]

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or address, brackets allowed) can only mean this machine.

    Example:
        >>> [is_loopback_host(h) for h in ("127.0.0.1", "[::1]", "ui.localhost", "0.0.0.0", "10.0.0.5")]
        [True, True, True, False, False]
    """
    name = host.strip("[]").lower().rstrip(".")
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_of_header(header: str) -> str:
    """The host part of a ``Host`` header.

    Example:
        >>> host_of_header("[::1]:5050"), host_of_header("localhost:3000"), host_of_header("example.org")
        ('::1', 'localhost', 'example.org')
    """
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header
