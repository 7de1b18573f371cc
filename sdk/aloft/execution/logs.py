"""``StepLog``: the ``context.log`` of a step, captured and kept with the run."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

__all__ = ["MAX_LOG_LINES", "MAX_LOG_LINE_CHARS", "StepLog"]

MAX_LOG_LINES = 1000
MAX_LOG_LINE_CHARS = 4000

_forward = logging.getLogger("aloft.user")


class StepLog:
    """A logger-like object that keeps a bounded copy of every line it is given.

    Lines are also forwarded to the ``aloft.user`` standard logger.

    Example:
        >>> log = StepLog("orders")
        >>> log.info("read %d rows", 3)
        >>> log.lines[0].endswith("INFO read 3 rows")
        True
    """

    def __init__(self, step_key: str, extra: dict[str, Any] | None = None) -> None:
        self.step_key = step_key
        self.lines: list[str] = []
        self.dropped = 0
        self._extra = {"step_key": step_key, **(extra or {})}
        self._lock = threading.Lock()

    def _emit(self, level: int, msg: str, args: tuple[Any, ...], exc_info: Any = None) -> None:
        text = msg % args if args else str(msg)
        if len(text) > MAX_LOG_LINE_CHARS:
            text = text[:MAX_LOG_LINE_CHARS] + f"... [{len(text) - MAX_LOG_LINE_CHARS} chars cut]"
        stamp = time.strftime("%H:%M:%S", time.localtime())
        with self._lock:
            if len(self.lines) < MAX_LOG_LINES:
                self.lines.append(f"{stamp} {logging.getLevelName(level)} {text}")
            else:
                self.dropped += 1
        _forward.log(level, "[%s] %s", self.step_key, text, exc_info=exc_info, extra=self._extra)

    def debug(self, msg: str, *args: Any) -> None:
        """Log at DEBUG."""
        self._emit(logging.DEBUG, msg, args)

    def info(self, msg: str, *args: Any) -> None:
        """Log at INFO."""
        self._emit(logging.INFO, msg, args)

    def warning(self, msg: str, *args: Any) -> None:
        """Log at WARNING."""
        self._emit(logging.WARNING, msg, args)

    warn = warning

    def error(self, msg: str, *args: Any) -> None:
        """Log at ERROR."""
        self._emit(logging.ERROR, msg, args)

    def exception(self, msg: str, *args: Any) -> None:
        """Log at ERROR with the current exception."""
        self._emit(logging.ERROR, msg, args, exc_info=True)

    def critical(self, msg: str, *args: Any) -> None:
        """Log at CRITICAL."""
        self._emit(logging.CRITICAL, msg, args)

    def captured(self) -> tuple[str, ...]:
        """The kept lines (plus a note of how many were dropped)."""
        if self.dropped:
            return (*self.lines, f"... {self.dropped} more lines dropped (limit {MAX_LOG_LINES})")
        return tuple(self.lines)
