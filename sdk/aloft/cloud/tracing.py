"""X-Ray tracing for aloft's Lambda handlers, paid for only where a trace can be recorded.

Powertools' ``Tracer`` imports the X-Ray SDK and builds its recorder (a botocore
client for centralized sampling) when it is constructed, even where it then
disables itself; at module level in a handler that is ~0.2 s of every import
outside Lambda (tests, the local cloud, ``aloft dev``), where nothing is traced.
:func:`lambda_tracer` builds the real ``Tracer`` only inside a Lambda execution
environment with tracing not turned off, and a no-op stand-in with the same
decorators everywhere else.

Inside Lambda it patches botocore only: every AWS call aloft makes (boto3, and
PynamoDB, which calls botocore's client) goes through it, while powertools'
default ``patch_all`` would also import and patch HTTP and database libraries
aloft never uses.

Example:
    >>> tracer = lambda_tracer("aloft-example", environ={})
    >>> tracer.disabled
    True
    >>> @tracer.capture_lambda_handler(capture_response=False)
    ... def handler(event, context):
    ...     return {"ok": event["n"]}
    >>> handler({"n": 1}, None)
    {'ok': 1}
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, overload

__all__ = ["TRACED_MODULES", "HandlerTracer", "UntracedTracer", "lambda_tracer", "tracing_active"]

F = TypeVar("F", bound=Callable[..., Any])

# What X-Ray instruments in the functions: botocore carries every AWS call aloft makes.
TRACED_MODULES: tuple[str, ...] = ("botocore",)

_LAMBDA_TASK_ROOT = "LAMBDA_TASK_ROOT"
_EMULATORS = ("AWS_SAM_LOCAL", "AWS_CHALICE_CLI_MODE")
_TRACE_DISABLED = "POWERTOOLS_TRACE_DISABLED"
_FALSE = ("", "0", "false", "no", "off", "n", "f")


class HandlerTracer(Protocol):
    """What aloft's handlers use of a tracer (powertools' ``Tracer`` satisfies it)."""

    disabled: bool

    def capture_lambda_handler(
        self,
        lambda_handler: Any = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Any:
        """Decorate a handler (with or without arguments)."""

    def capture_method(
        self,
        method: Any = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Any:
        """Decorate a function called by the handler."""

    def put_annotation(self, key: str, value: Any) -> None:
        """Annotate the current segment (searchable in X-Ray)."""

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        """Attach metadata to the current segment."""


class UntracedTracer:
    """The tracer outside Lambda: the decorators return the function unchanged, the rest does nothing.

    Example:
        >>> tracer = UntracedTracer("svc")
        >>> def f() -> int: return 1
        >>> tracer.capture_method(f) is f, tracer.capture_method()(f) is f
        (True, True)
    """

    disabled = True

    def __init__(self, service: str | None = None) -> None:
        self.service = service

    @overload
    def capture_lambda_handler(self, lambda_handler: F) -> F: ...

    @overload
    def capture_lambda_handler(
        self,
        lambda_handler: None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Callable[[F], F]: ...

    def capture_lambda_handler(
        self,
        lambda_handler: Any = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Any:
        """``fn`` unchanged (``@tracer.capture_lambda_handler`` or ``@tracer.capture_lambda_handler(...)``)."""
        return _identity if lambda_handler is None else lambda_handler

    @overload
    def capture_method(self, method: F) -> F: ...

    @overload
    def capture_method(
        self,
        method: None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Callable[[F], F]: ...

    def capture_method(
        self,
        method: Any = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Any:
        """``fn`` unchanged, like :meth:`capture_lambda_handler`."""
        return _identity if method is None else method

    def put_annotation(self, key: str, value: Any) -> None:
        """Nothing to annotate outside Lambda."""

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        """Nothing to attach outside Lambda."""

    def __repr__(self) -> str:
        return f"UntracedTracer(service={self.service!r})"


def _identity(fn: F) -> F:
    return fn


def tracing_active(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a trace can be recorded here: in Lambda (not an emulator) and not turned off.

    The same rule powertools applies to disable its ``Tracer``, decided before
    anything of X-Ray is imported.

    Example:
        >>> tracing_active({"LAMBDA_TASK_ROOT": "/var/task"})
        True
        >>> tracing_active({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"})
        False
        >>> tracing_active({})
        False
    """
    env = os.environ if environ is None else environ
    if not env.get(_LAMBDA_TASK_ROOT):
        return False
    if any(env.get(name) for name in _EMULATORS):
        return False
    return env.get(_TRACE_DISABLED, "false").strip().lower() in _FALSE


def lambda_tracer(
    service: str,
    *,
    environ: Mapping[str, str] | None = None,
    patch_modules: Sequence[str] = TRACED_MODULES,
) -> HandlerTracer:
    """Powertools' ``Tracer`` inside Lambda (patching ``patch_modules``); an :class:`UntracedTracer` elsewhere."""
    if not tracing_active(environ):
        return UntracedTracer(service)
    from aws_lambda_powertools.tracing import Tracer

    tracer: HandlerTracer = Tracer(service=service, patch_modules=list(patch_modules))
    return tracer
