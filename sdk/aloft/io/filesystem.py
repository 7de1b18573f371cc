"""``FilesystemIOManager``: pickles to local files (the default I/O manager)."""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path
from typing import Any

from aloft.io.path import PathIOManager

__all__ = ["DEFAULT_STORAGE_DIR", "FilesystemIOManager"]

DEFAULT_STORAGE_DIR = ".aloft/storage"

_known_dirs: set[str] = set()


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
        directory = os.path.dirname(path)
        if directory not in _known_dirs:
            os.makedirs(directory, exist_ok=True)
            _known_dirs.add(directory)
        # A name unique to this thread: concurrent writers never share a temporary file.
        temp = f"{directory}/.{os.path.basename(path)}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with open(temp, "wb") as handle:
                handle.write(data)
            os.replace(temp, path)
        except FileNotFoundError:
            _known_dirs.discard(directory)  # removed behind our back: create it and retry once
            os.makedirs(directory, exist_ok=True)
            with open(temp, "wb") as handle:
                handle.write(data)
            os.replace(temp, path)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise

    def _read(self, path: str) -> bytes:
        return Path(path).read_bytes()

    def dump_to_bytes(self, obj: Any) -> bytes:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    def load_from_bytes(self, data: bytes) -> Any:
        return pickle.loads(data)
