"""The UI is safe by default: escaped output, read-only, loopback only, strict headers."""

from __future__ import annotations

import re
from importlib import resources

import pytest
import ui_project
from conftest import Served, fetch

from aloft import Definitions
from aloft.storage.memory import InMemoryStateStore
from aloft.ui.exceptions import UIServerError
from aloft.ui.server import UIServer, encode_json

HOSTILE = (ui_project.XSS_DESCRIPTION, ui_project.XSS_TEXT, ui_project.XSS_URL)


def _static(name: str) -> str:
    return resources.files("aloft.ui").joinpath("static", name).read_text()


def test_hostile_description_and_metadata_never_leave_the_server_as_markup(served: Served) -> None:
    paths = ["/api/assets", "/api/assets/revenue", "/api/assets/raw/orders", "/", "/static/app.js"]
    for path in paths:
        body = served.get(path).body.decode()
        for payload in HOSTILE[:2]:
            assert payload not in body, (path, payload)
        assert "<script>" not in body.replace('<script src="/static/app.js" defer></script>', "")
    detail = served.json("/api/assets/revenue")
    assert (
        detail["asset"]["description"] == ui_project.XSS_DESCRIPTION
    )  # the data survives, escaped
    raw = served.get("/api/assets/revenue").body.decode()
    assert "\\u003cscript\\u003ealert(" in raw


def test_a_javascript_url_is_text_not_a_link(served: Served) -> None:
    entries = {e["label"]: e for e in served.json("/api/assets/raw/orders")["latest"]["metadata"]}
    assert entries["evil_link"]["value"] == ui_project.XSS_URL
    assert "href" not in entries["evil_link"]
    assert entries["dashboard"]["href"] == "https://example.com/orders"


def test_the_page_never_assigns_html() -> None:
    script = _static("app.js")
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
    ):
        assert sink not in script.split("\n", 3)[3], sink  # the header comment names them
    page = _static("index.html")
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), (
        "no inline scripts (the CSP forbids them)"
    )
    assert not re.search(r"\son[a-z]+=", page), "no inline event handlers"
    assert "style=" not in page


def test_responses_carry_strict_headers(served: Served) -> None:
    page = served.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    api = served.get("/api/runs")
    assert api.headers["Content-Type"] == "application/json; charset=utf-8"
    assert (
        api.headers["Cache-Control"] == "no-store"
        and api.headers["X-Content-Type-Options"] == "nosniff"
    )


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_api_is_read_only(served: Served, method: str) -> None:
    response = served.get("/api/runs", method=method)
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.json()["error"] == "method_not_allowed"
    assert len(served.json("/api/runs")["runs"]) == 5


def test_a_foreign_host_header_is_refused(served: Served) -> None:
    refused = served.get("/api/runs", headers={"Host": f"evil.example:{served.server.port}"})
    assert refused.status == 403 and refused.json()["error"] == "forbidden_host"
    for host in ("localhost", "127.0.0.1", "ui.localhost"):
        assert (
            served.get("/api/overview", headers={"Host": f"{host}:{served.server.port}"}).status
            == 200
        )


def test_binds_loopback_by_default_and_releases_the_port() -> None:
    server = UIServer(Definitions(), InMemoryStateStore(), port=0)
    assert server.host == "127.0.0.1" and server.check_host
    with server:
        port = server.port
        assert port != 0 and server.url == f"http://127.0.0.1:{port}"
        assert fetch(server.url + "/api/overview").status == 200
        with pytest.raises(UIServerError, match=f"cannot serve the UI on 127.0.0.1:{port}"):
            UIServer(Definitions(), InMemoryStateStore(), port=port).start()
    assert not server.running
    server.stop()  # stopping twice is harmless
    with UIServer(
        Definitions(), InMemoryStateStore(), port=port
    ) as again:  # the port is free again
        assert fetch(again.url + "/api/overview").status == 200


def test_json_escapes_markup_and_non_finite_numbers() -> None:
    encoded = encode_json({"a": "</script><b>&", "n": float("inf"), "k": [float("nan")]})
    assert b"<" not in encoded and b">" not in encoded and b"&" not in encoded
    assert encoded == b'{"a":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026","n":"inf","k":["nan"]}'
