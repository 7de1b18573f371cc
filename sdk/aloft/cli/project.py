"""The project a command works on: where its definitions, state and settings are.

Settings come from ``[tool.aloft]`` in the nearest ``pyproject.toml``:

    [tool.aloft]
    module = "my_project.definitions"   # or file = "definitions.py"
    state = "sqlite:.aloft/state.db"     # or dynamodb://TABLE?region=...&endpoint=...
    name = "my-project"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ProjectSettings", "find_project"]

STATE_ENV = "ALOFT_STATE"
DEFAULT_STATE = "sqlite:.aloft/state.db"


@dataclass(frozen=True)
class ProjectSettings:
    """The ``[tool.aloft]`` table of a project, with its root directory."""

    root: Path
    module: str | None = None
    file: str | None = None
    state: str | None = None
    name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def aloft_dir(self) -> Path:
        """``.aloft/`` in the project: embedded state and local storage."""
        return self.root / ".aloft"

    @property
    def storage_dir(self) -> Path:
        """Where the default I/O manager pickles values."""
        return self.aloft_dir / "storage"

    def state_url(self, override: str | None = None) -> str:
        """The state store URL: ``--state``, then ``$ALOFT_STATE``, then settings, then SQLite."""
        url = override or os.environ.get(STATE_ENV) or self.state or DEFAULT_STATE
        if url.startswith("sqlite:") and not url.startswith("sqlite::memory:"):
            path = Path(url[len("sqlite:") :])
            if not path.is_absolute():
                path = self.root / path
            return f"sqlite:{path}"
        return url


def find_project(start: Path | None = None) -> ProjectSettings:
    """Settings of the nearest project above ``start`` (the current directory by default)."""
    here = (start or Path.cwd()).resolve()
    for directory in [here, *here.parents]:
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            with pyproject.open("rb") as handle:
                table = tomllib.load(handle).get("tool", {}).get("aloft")
            if table is not None:
                known = {k: table.get(k) for k in ("module", "file", "state", "name")}
                extra = {k: v for k, v in table.items() if k not in known}
                return ProjectSettings(root=directory, extra=extra, **known)
    return ProjectSettings(root=here)
