"""The local cloud's AWS API over HTTP, for this machine's tools and not for the web pages it visits.

``aloft dev --local-cloud`` serves moto's in-process state so that the AWS CLI
and boto3 can reach it (``aws --endpoint-url http://127.0.0.1:5050 s3 cp ...``).
moto accepts any credentials, so whoever can send it a request can read the
data bucket and the state table and start executions that run the user's
code. A browser is such a sender: moto's server grants CORS to every origin
by default, and a page could also reach it through DNS rebinding. So
``AwsEndpoint``:

- turns moto's global CORS off (``MOTO_DISABLE_GLOBAL_CORS``): no response
  lets a page of another origin read it, and no preflight lets it send
  ``x-amz-target`` or a ``PUT``/``DELETE``;
- puts ``LocalRequestGuard`` in front of moto: a request carrying an
  ``Origin`` that is not allowed (the local web UI's, the endpoint's own) is
  refused before moto sees it (a page can still send a "simple" cross-origin
  POST without CORS, and moto would act on it); bound to a loopback address,
  a request whose ``Host`` is not a loopback name is refused too (DNS
  rebinding). The AWS CLI and SDKs send no ``Origin``.

Example:
    >>> guard = LocalRequestGuard(lambda environ, start_response: [b"ok"], check_host=True)
    >>> guard.refusal({"HTTP_HOST": "127.0.0.1:5050"}) is None
    True
    >>> guard.refusal({"HTTP_HOST": "evil.example:5050"})
    'this endpoint only answers requests addressed to localhost or 127.0.0.1'
    >>> guard.refusal({"HTTP_HOST": "localhost:5050", "HTTP_ORIGIN": "https://evil.example"})
    'requests from web pages are refused (Origin https://evil.example)'
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from aloft.loopback import host_of_header, is_loopback_host

__all__ = ["AwsEndpoint", "LocalRequestGuard"]

_WILDCARDS = frozenset({"", "0.0.0.0", "::"})

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _origin_key(origin: str) -> tuple[str, str, int | None] | None:
    """``(scheme, host, port)`` of an origin, loopback names folded into one; None if malformed."""
    try:
        parts = urlsplit(origin.strip().rstrip("/"))
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    host = "localhost" if is_loopback_host(parts.hostname) else parts.hostname.lower()
    return parts.scheme.lower(), host, port


class LocalRequestGuard:
    """WSGI middleware: refuses (403) requests from web pages and, if asked, requests not addressed to loopback.

    ``allowed_origins`` are origins like ``http://127.0.0.1:3000`` (loopback
    names are interchangeable); a request with any other ``Origin`` header,
    including ``null``, is refused. ``check_host``: refuse a ``Host`` that is
    not ``localhost``, ``127.0.0.1``, ``[::1]`` or ``*.localhost`` (any port).
    """

    def __init__(self, app: WSGIApp, *, check_host: bool, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.check_host = check_host
        self._allowed: frozenset[tuple[str, str, int | None]] = frozenset()
        for origin in allowed_origins:
            self.allow_origin(origin)

    def allow_origin(self, origin: str) -> None:
        """Also accept requests from ``origin`` (e.g. the web UI's, once its port is known)."""
        key = _origin_key(origin)
        if key is None:
            raise ValueError(f"not an origin: {origin!r} (expected e.g. http://127.0.0.1:3000)")
        self._allowed = self._allowed | {key}  # one assignment: the server threads read it unlocked

    def refusal(self, environ: dict[str, Any]) -> str | None:
        """Why this request is refused; None when it may go on."""
        if self.check_host and not is_loopback_host(host_of_header(environ.get("HTTP_HOST", "localhost"))):
            return "this endpoint only answers requests addressed to localhost or 127.0.0.1"
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and _origin_key(origin) not in self._allowed:
            return f"requests from web pages are refused (Origin {origin[:200]})"
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        reason = self.refusal(environ)
        if reason is None:
            return self.app(environ, start_response)
        body = f"aloft local cloud: {reason}\n".encode()
        start_response(
            "403 Forbidden",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]


def _moto_app() -> WSGIApp:
    """moto's server application, with its global CORS off."""
    # moto reads the variable when moto.settings is first imported; set it first for that case, and set
    # the flag where create_backend_app reads it in case moto was imported before (tests, LocalCloud).
    os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"
    from moto.moto_server import werkzeug_app

    werkzeug_app.DISABLE_GLOBAL_CORS = True  # type: ignore[attr-defined]  # re-exported from moto.settings
    app: WSGIApp = werkzeug_app.DomainDispatcherApplication(werkzeug_app.create_backend_app)
    return app


class AwsEndpoint:
    """moto's in-process AWS state served over HTTP behind ``LocalRequestGuard`` (see the module docstring).

    Example (not run: it binds a port):

        endpoint = AwsEndpoint("127.0.0.1", 5050, allowed_origins=["http://127.0.0.1:3000"])
        endpoint.start()                 # OSError if the port is taken
        boto3.client("s3", endpoint_url=endpoint.url, ...)
        endpoint.stop()
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 5050, *, allowed_origins: Iterable[str] = ()) -> None:
        self.host = host
        self.port = port
        self.guard = LocalRequestGuard(_moto_app(), check_host=is_loopback_host(host),
                                       allowed_origins=allowed_origins)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` (the real port once started; 127.0.0.1 for a wildcard address)."""
        host = "127.0.0.1" if self.host in _WILDCARDS else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def start(self) -> AwsEndpoint:
        """Bind (raising OSError if the port is taken) and serve in a daemon thread."""
        import socket

        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        if self.port:
            # werkzeug prints and calls sys.exit on a taken port: find out first, as an OSError.
            with socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET) as probe:
                probe.bind((self.host, self.port))
        self._server = make_server(self.host, self.port, self.guard, threaded=True,
                                   request_handler=MotoRequestHandler)
        self.port = int(self._server.server_address[1])
        self.guard.allow_origin(self.url)  # moto's own dashboard (/moto-api/) calls it from this origin
        self._thread = threading.Thread(target=self._server.serve_forever, name="aloft-aws-endpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wait for the server thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None
