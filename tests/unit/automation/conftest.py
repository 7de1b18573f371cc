"""Fixtures of the automation tests: sample events and an in-memory store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from automation_cli_project import PROJECT

from aloft.storage.memory import InMemoryStateStore

EVENTS = Path(__file__).parent / "events"


@pytest.fixture
def load_event() -> Callable[[str], Any]:
    """Read a sample event from ``events/`` by file name (without ``.json``)."""

    def load(name: str) -> Any:
        return json.loads((EVENTS / f"{name}.json").read_text())

    return load


@pytest.fixture
def store() -> InMemoryStateStore:
    return InMemoryStateStore()


@pytest.fixture
def project(in_tmp: Path) -> Path:
    """The CLI tests' project on disk (``automation_cli_project.PROJECT``), with a SQLite store."""
    (in_tmp / "defs.py").write_text(PROJECT)
    (in_tmp / "pyproject.toml").write_text('[tool.aloft]\nfile = "defs.py"\nstate = "sqlite:.aloft/state.db"\n')
    return in_tmp
