"""A UI server on a free port over a SQLite store populated by real runs of ``ui_project``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import ui_project

from aloft.storage.sqlite import SqliteStateStore
from aloft.ui.server import UIServer


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Response:
    """GET (or another method) ``url``; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Response(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, dict(err.headers), err.read())


@dataclass
class Served:
    server: UIServer
    store: SqliteStateStore
    runs: ui_project.Populated

    def get(self, path: str, **kwargs: Any) -> Response:
        return fetch(self.server.url + path, **kwargs)

    def json(self, path: str) -> Any:
        response = self.get(path)
        assert response.status == 200, response.body
        return response.json()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    store = SqliteStateStore(tmp_path_factory.mktemp("ui") / "state.db")
    runs = ui_project.populate(store)
    with UIServer(ui_project.DEFS, store, port=0) as server:
        yield Served(server, store, runs)
    store.close()
