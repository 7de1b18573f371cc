"""``UIServer``: the local web UI and its JSON API, served from a background thread.

Standard library only (``http.server``); one static page (``static/``) that
reads everything from ``/api/...`` (:class:`aloft.ui.api.UIApi`). Read-only:
GET and HEAD only. Safe by default: it binds 127.0.0.1; on a loopback address
it answers only requests whose ``Host`` is a loopback name (so a web page
cannot read it through DNS rebinding); every response carries a strict
Content-Security-Policy and JSON escapes ``<``, ``>`` and ``&``; the page
renders data with ``textContent``, never as HTML.

Example:
    >>> import json, urllib.request
    >>> from aloft import Definitions
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> with UIServer(Definitions(), InMemoryStateStore(), port=0) as server:
    ...     with urllib.request.urlopen(server.url + "/api/runs") as response:
    ...         json.load(response)["runs"]
    []
"""

from __future__ import annotations

import json
import logging
import math
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aloft.definitions.definitions import Definitions
from aloft.loopback import host_of_header, is_loopback_host
from aloft.storage.base import StateStore
from aloft.ui.api import UIApi
from aloft.ui.exceptions import NotFound, UIError, UIServerError

__all__ = ["UIServer", "encode_json"]

_log = logging.getLogger("aloft.ui")

_STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/static/app.css": ("app.css", "text/css; charset=utf-8"),
}

_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}



def _load_static() -> dict[str, bytes]:
    folder = resources.files("aloft.ui").joinpath("static")
    return {name: folder.joinpath(name).read_bytes() for name, _ in set(_STATIC.values())}


def encode_json(data: Any) -> bytes:
    """JSON for the browser: compact, UTF-8, ``<``, ``>``, ``&`` escaped, no NaN.

    Escaping keeps a value such as ``</script>`` inert even if a response is
    ever read as HTML; non-finite floats (invalid JSON) become strings.

    Example:
        >>> encode_json({"d": "<b>&", "x": float("nan")})
        b'{"d":"\\\\u003cb\\\\u003e\\\\u0026","x":"nan"}'
    """
    try:
        text = json.dumps(
            data, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
        )
    except ValueError:
        text = json.dumps(_finite(data), separators=(",", ":"), ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.encode("utf-8")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], ui: UIServer) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.ui = ui
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser that closes a tab drops its keep-alive connections: not worth a traceback.
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            _log.debug("connection from %s closed: %s", client_address, error)
        else:
            _log.exception("UI connection from %s failed", client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "aloft-ui"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections give their thread back after a minute

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _refuse(self) -> None:
        self._send(
            HTTPStatus.METHOD_NOT_ALLOWED,
            encode_json(
                {
                    "error": "method_not_allowed",
                    "message": "the UI is read-only: GET and HEAD only",
                    "suggestion": None,
                }
            ),
            "application/json; charset=utf-8",
            body=self.command != "HEAD",
            extra={"Allow": "GET, HEAD"},
        )

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _refuse

    def _answer(self, *, body: bool) -> None:
        ui = self.server.ui
        url = urlsplit(self.path)
        if ui.check_host and not is_loopback_host(host_of_header(self.headers.get("Host", "localhost"))):
            payload = {
                "error": "forbidden_host",
                "message": "this UI only answers requests addressed to localhost or 127.0.0.1",
                "suggestion": None,
            }
            self._send(
                HTTPStatus.FORBIDDEN,
                encode_json(payload),
                "application/json; charset=utf-8",
                body=body,
            )
            return
        static = _STATIC.get(url.path)
        if static is not None:
            name, content_type = static
            self._send(
                HTTPStatus.OK,
                ui.static[name],
                content_type,
                body=body,
                extra={"Cache-Control": "no-cache"},
            )
            return
        try:
            if not url.path.startswith("/api/"):
                raise NotFound(f"no page at '{url.path}'; the UI is at / and its API under /api/")
            data = ui.api.get(url.path, parse_qs(url.query))
            status = HTTPStatus.OK
        except UIError as err:
            data, status = err.to_json(), HTTPStatus(err.status)
        except Exception as err:  # a store failure: answer, log, keep serving
            _log.exception("UI request %s failed", self.path)
            data = {
                "error": "internal",
                "message": f"{type(err).__name__}: {err}",
                "suggestion": None,
            }
            status = HTTPStatus.INTERNAL_SERVER_ERROR
        self._send(
            status,
            encode_json(data),
            "application/json; charset=utf-8",
            body=body,
            extra={"Cache-Control": "no-store"},
        )

    def _send(
        self,
        status: HTTPStatus,
        payload: bytes,
        content_type: str,
        *,
        body: bool,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in {**_SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s - %s", self.address_string(), format % args)


class UIServer:
    """The web UI of a project: the asset graph, runs, jobs, automation and backfills.

    ``port=0`` picks a free port (read it back from ``url``). ``start()``
    serves from a daemon thread and returns at once; ``stop()`` shuts the
    server down and releases the port. A context manager starts and stops it.

    Example:
        >>> from aloft import Definitions
        >>> from aloft.storage.memory import InMemoryStateStore
        >>> server = UIServer(Definitions(), InMemoryStateStore(), port=0)
        >>> server.start()
        >>> server.url.startswith("http://127.0.0.1:")
        True
        >>> server.stop()
    """

    def __init__(
        self, definitions: Definitions, store: StateStore, host: str = "127.0.0.1", port: int = 3000
    ) -> None:
        self.api = UIApi(definitions, store)
        self.host = host
        self.port = port
        self.static = _load_static()
        # Bound to loopback: only loopback Host headers (DNS rebinding). Bound elsewhere on
        # purpose: the user chose to expose it, so any Host is accepted.
        self.check_host = is_loopback_host(host)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:3000`` (the real port once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Bind and serve in a background thread (raises ``UIServerError`` if the port is taken)."""
        if self._httpd is not None:
            return
        _ = self.api.layout  # draw the graph now rather than on the first request
        try:
            httpd = _HTTPServer((self.host, self.port), self)
        except OSError as err:
            raise UIServerError(
                f"cannot serve the UI on {self.host}:{self.port}: {err.strerror or err}. "
                "Pick another port (--port), or 0 for any free port."
            ) from err
        self._httpd = httpd
        self.port = int(httpd.server_address[1])
        # A short poll interval makes stop() take ~0.1 s instead of serve_forever's 0.5 s.
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="aloft-ui", daemon=True
        )
        self._thread.start()
        _log.info("aloft UI serving on %s", self.url)

    def stop(self) -> None:
        """Stop serving and release the port (a no-op when not started)."""
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._httpd is not None

    def __enter__(self) -> UIServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "serving" if self.running else "stopped"
        return f"<UIServer {self.url} {state}>"
