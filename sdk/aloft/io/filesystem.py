"""``FilesystemIOManager``: pickles to local files (the default I/O manager)."""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from aloft.io.path import PathIOManager

__all__ = ["DEFAULT_STORAGE_DIR", "FilesystemIOManager"]

DEFAULT_STORAGE_DIR = ".aloft/storage"


class FilesystemIOManager(PathIOManager):
    """Pickles each output under ``base_dir`` (default ``.aloft/storage`` in the project).

    Writes are atomic (a temporary file renamed into place), so a crash never
    leaves a half-written value.

    Example:
        >>> import tempfile
        >>> from aloft import asset, materialize
        >>> @asset
        ... def greeting() -> str: return "hello"
        >>> io = FilesystemIOManager(base_dir=tempfile.mkdtemp())
        >>> materialize([greeting], resources={"io_manager": io}).success
        True
    """

    base_dir: str | None = None
    extension: str = ""

    def _base(self) -> str:
        return self.base_dir or DEFAULT_STORAGE_DIR

    def _write(self, path: str, data: bytes) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def _read(self, path: str) -> bytes:
        return Path(path).read_bytes()

    def dump_to_bytes(self, obj: Any) -> bytes:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    def load_from_bytes(self, data: bytes) -> Any:
        return pickle.loads(data)
