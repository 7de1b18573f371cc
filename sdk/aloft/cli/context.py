"""What every command needs: the project, its definitions and its state store."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from aloft.cli.loading import load_definitions
from aloft.cli.project import ProjectSettings, find_project
from aloft.definitions.definitions import Definitions
from aloft.storage.base import StateStore

__all__ = ["CommandContext"]


@dataclass
class CommandContext:
    """Lazily loads what a command uses, from the global options."""

    args: argparse.Namespace

    @cached_property
    def project(self) -> ProjectSettings:
        """The nearest project's settings."""
        return find_project()

    @cached_property
    def definitions(self) -> Definitions:
        """The user's Definitions (``-f``, ``-m`` or ``[tool.aloft]``)."""
        file = self.args.file or (None if self.args.module else self.project.file)
        module = self.args.module or (None if self.args.file else self.project.module)
        return load_definitions(file=file, module=module, root=self.project.root)

    @cached_property
    def store(self) -> StateStore:
        """The state store (SQLite in ``.aloft/`` by default)."""
        from aloft.storage.url import open_store

        return open_store(self.project.state_url(self.args.state))

    def default_resources(self) -> dict[str, Any]:
        """Resources the project gets unless it defines them: pickles under ``.aloft/storage``."""
        from aloft.io.filesystem import FilesystemIOManager

        return {"io_manager": FilesystemIOManager(base_dir=str(self.project.storage_dir))}
