"""Calling the functions users decorate with ``@schedule`` / ``@sensor``, at one boundary.

The function may take the context (a parameter named ``context``, or the first
parameter that is not a resource) and resources by name. What it returns or
yields is normalized into run requests, a skip reason and (for sensors) a
``SensorResult``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aloft.automation.run_request import RunRequest, SensorResult, SkipReason
from aloft.errors import DefinitionError, did_you_mean

__all__ = ["Evaluation", "call_user_fn", "normalize_output"]


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation asked for, normalized."""

    run_requests: tuple[RunRequest, ...] = ()
    skip_message: str | None = None
    cursor: str | None = None
    cursor_set: bool = False
    dynamic_partitions_requests: tuple[Any, ...] = ()


def call_user_fn(
    fn: Callable[..., Any],
    context: Any,
    resources: Mapping[str, Any],
    *,
    label: str,
    positional: Sequence[Any] = (),
) -> Any:
    """Call ``fn`` with the context, then ``positional`` values, and resources by name.

    The context goes to a parameter named ``context`` or to the first parameter
    that is not a resource; ``positional`` values (e.g. the S3 event of an S3
    sensor) fill the next parameters that are not resources, whatever their names.
    """
    pending = list(positional)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for position, param in enumerate(inspect.signature(fn).parameters.values()):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.name == "context" or (position == 0 and param.name not in resources):
            value = context
        elif param.name in resources:
            value = resources[param.name]
        elif pending:
            value = pending.pop(0)
        elif param.default is not param.empty:
            continue
        else:
            raise DefinitionError(
                f"{label} has a parameter '{param.name}' that is neither the context nor a resource."
                + did_you_mean(param.name, resources)
                + f" Provide it with Definitions(resources={{'{param.name}': ...}})."
            )
        if param.kind == param.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[param.name] = value
    return fn(*args, **kwargs)


def normalize_output(value: Any, *, label: str, none_message: str) -> Evaluation:
    """Turn what a schedule or sensor function returned (or yielded) into an ``Evaluation``."""
    if value is None:
        return Evaluation(skip_message=none_message)
    if isinstance(value, SensorResult):
        return Evaluation(
            run_requests=value.run_requests,
            skip_message=value.skip_reason.skip_message if value.skip_reason else None,
            cursor=value.cursor,
            cursor_set=value.cursor is not None,
            dynamic_partitions_requests=value.dynamic_partitions_requests,
        )
    if isinstance(value, (RunRequest, SkipReason, Mapping)):
        items: list[Any] = [value]
    elif isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        items = list(value)
    else:
        raise DefinitionError(
            f"{label} returned {type(value).__name__}; return or yield RunRequest / SkipReason "
            "(or a SensorResult)"
        )
    requests: list[RunRequest] = []
    skips: list[SkipReason] = []
    results: list[SensorResult] = []
    for item in items:
        if isinstance(item, RunRequest):
            requests.append(item)
        elif isinstance(item, SkipReason):
            skips.append(item)
        elif isinstance(item, SensorResult):
            results.append(item)
        elif isinstance(item, Mapping):  # Dagster's legacy form: a run config dict
            requests.append(RunRequest(run_config=item))
        else:
            raise DefinitionError(
                f"{label} yielded {type(item).__name__}; yield RunRequest or SkipReason objects"
            )
    if results:
        if len(items) > 1:
            raise DefinitionError(f"{label} yielded a SensorResult with other values; return it alone")
        return normalize_output(results[0], label=label, none_message=none_message)
    if requests and skips:
        raise DefinitionError(f"{label} yielded both RunRequest and SkipReason; yield one or the other")
    if skips:
        return Evaluation(skip_message="; ".join(s.skip_message or "" for s in skips) or None)
    if not requests:
        return Evaluation(skip_message=none_message)
    return Evaluation(run_requests=tuple(requests))
