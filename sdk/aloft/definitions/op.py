"""Ops and op jobs: ``@op``, ``In``, ``Out``, ``@graph``, ``@job``.

A ``@job`` body is traced once: each op call records a node and returns a
handle to its outputs. The result is an ``ExecutionPlan`` of op steps,
executed by the same executor and step runner as assets.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, overload

from aloft.definitions.node import NodeDefinition, NodeInput, NodeOutput, inspect_parameters
from aloft.definitions.policies import RetryPolicy
from aloft.errors import DefinitionError

__all__ = ["GraphDefinition", "In", "JobDefinition", "OpDefinition", "Out", "graph", "job", "op"]


@dataclass(frozen=True)
class In:
    """An op input: ``@op(ins={"rows": In(description=...)})``."""

    dagster_type: Any = None
    description: str | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Out:
    """An op output: ``@op(out={"evens": Out(), "odds": Out()})``."""

    dagster_type: Any = None
    description: str | None = None
    is_required: bool = True
    io_manager_key: str | None = None
    metadata: Mapping[str, Any] | None = None


# -- composition tracing ------------------------------------------------------------------


@dataclass(frozen=True)
class _Handle:
    node: str
    output: str


@dataclass
class _Invocation:
    name: str
    op: OpDefinition
    inputs: dict[str, _Handle]


@dataclass
class _Composition:
    prefix: str
    nodes: dict[str, _Invocation] = field(default_factory=dict)

    def unique(self, name: str) -> str:
        full = f"{self.prefix}{name}"
        if full not in self.nodes:
            return full
        index = 2
        while f"{full}_{index}" in self.nodes:
            index += 1
        return f"{full}_{index}"


_tracing = threading.local()


def _current() -> _Composition | None:
    stack: list[_Composition] = getattr(_tracing, "stack", [])
    return stack[-1] if stack else None


def _trace(fn: Callable[..., Any], prefix: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[_Composition, Any]:
    parent = _current()
    composition = _Composition(prefix=prefix)
    if parent is not None:
        composition.nodes = parent.nodes  # nested graphs add to the job's flat node list
    stack = getattr(_tracing, "stack", [])
    _tracing.stack = [*stack, composition]
    try:
        returned = fn(*args, **kwargs)
    finally:
        _tracing.stack = stack
    return composition, returned


# -- ops ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OpDefinition:
    """A unit of computation in an op job.

    Example:
        >>> @op
        ... def add_one(n: int) -> int:
        ...     return n + 1
        >>> add_one(1)
        2
    """

    node: NodeDefinition
    alias_name: str | None = None

    @property
    def name(self) -> str:
        """The op's name."""
        return self.node.name

    def alias(self, name: str) -> OpDefinition:
        """The same op under another node name in a job."""
        return OpDefinition(self.node, alias_name=name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        composition = _current()
        if composition is None:
            assert self.node.compute_fn is not None
            return self.node.compute_fn(*args, **kwargs)
        node_name = composition.unique(self.alias_name or self.name)
        names = [i.name for i in self.node.inputs]
        bound: dict[str, _Handle] = {}
        for name, value in [*zip(names, args, strict=False), *kwargs.items()]:
            if not isinstance(value, _Handle):
                raise DefinitionError(
                    f"op '{self.name}' input '{name}' got {value!r} inside a job; pass the output of "
                    "another op (constants belong in config)"
                )
            bound[name] = value
        missing = [n for n in names if n not in bound]
        if missing:
            raise DefinitionError(f"op '{self.name}' is missing input(s) {missing} in the job body")
        composition.nodes[node_name] = _Invocation(node_name, self, bound)
        outputs = [o.name for o in self.node.outputs]
        if len(outputs) == 1:
            return _Handle(node_name, outputs[0])
        return tuple(_Handle(node_name, name) for name in outputs)

    def __repr__(self) -> str:
        return f"<OpDefinition {self.name}>"


@overload
def op(compute_fn: Callable[..., Any]) -> OpDefinition: ...


@overload
def op(
    compute_fn: None = None,
    *,
    name: str | None = ...,
    ins: Mapping[str, In] | None = ...,
    out: Out | Mapping[str, Out] | None = ...,
    description: str | None = ...,
    required_resource_keys: set[str] | None = ...,
    retry_policy: RetryPolicy | None = ...,
    tags: Mapping[str, str] | None = ...,
) -> Callable[[Callable[..., Any]], OpDefinition]: ...


def op(
    compute_fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    ins: Mapping[str, In] | None = None,
    out: Out | Mapping[str, Out] | None = None,
    description: str | None = None,
    required_resource_keys: set[str] | None = None,
    retry_policy: RetryPolicy | None = None,
    tags: Mapping[str, str] | None = None,
) -> OpDefinition | Callable[[Callable[..., Any]], OpDefinition]:
    """Define an op: a function wired to others inside a ``@job``.

    Example:
        >>> @op(out={"evens": Out(), "odds": Out()})
        ... def split(numbers: list[int]) -> tuple[list[int], list[int]]:
        ...     return [n for n in numbers if n % 2 == 0], [n for n in numbers if n % 2]
        >>> split([1, 2, 3])
        ([2], [1, 3])
    """

    def build(fn: Callable[..., Any]) -> OpDefinition:
        op_name = name or fn.__name__
        roles = inspect_parameters(fn, node_kind="op", node_name=op_name)
        unknown = set(ins or {}) - set(roles.data)
        if unknown:
            raise DefinitionError(f"op '{op_name}' declares ins {sorted(unknown)} that are not parameters")
        inputs = tuple(
            NodeInput(name=param, metadata=dict((ins or {}).get(param, In()).metadata or {}))
            for param in roles.data
        )
        outs = {"result": out} if isinstance(out, Out) else dict(out or {"result": Out()})
        outputs = tuple(
            NodeOutput(
                name=out_name,
                io_manager_key=spec.io_manager_key or "io_manager",
                metadata=dict(spec.metadata or {}),
                description=spec.description,
                is_required=spec.is_required,
            )
            for out_name, spec in outs.items()
        )
        node = NodeDefinition(
            name=op_name,
            compute_fn=fn,
            inputs=inputs,
            outputs=outputs,
            roles=roles,
            required_resource_keys=frozenset(required_resource_keys or ()),
            retry_policy=retry_policy,
            tags=dict(tags or {}),
            description=description or inspect.getdoc(fn),
        )
        return OpDefinition(node)

    if compute_fn is not None:
        return build(compute_fn)
    return build


# -- graphs and jobs ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GraphDefinition:
    """A reusable composition of ops; call it inside a job, or turn it into a job.

    Example:
        >>> @op
        ... def one() -> int: return 1
        >>> @op
        ... def double(n: int) -> int: return 2 * n
        >>> @graph
        ... def pipeline():
        ...     double(one())
        >>> pipeline.to_job().execute_in_process().output_for_node("double")
        2
    """

    name: str
    compose_fn: Callable[..., Any]
    description: str | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _current() is None:
            raise DefinitionError(f"graph '{self.name}' can only be called inside a @job or @graph body")
        _, returned = _trace(self.compose_fn, f"{_current().prefix}{self.name}.", args, kwargs)  # type: ignore[union-attr]
        return returned

    def to_job(
        self,
        name: str | None = None,
        resource_defs: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> JobDefinition:
        """A job running this graph."""
        return JobDefinition.from_composition(
            name or self.name, self.compose_fn, resource_defs, config, tags, self.description
        )


def graph(compose_fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
    """Define a graph of ops (see :class:`GraphDefinition`)."""

    def build(fn: Callable[..., Any]) -> GraphDefinition:
        return GraphDefinition(name or fn.__name__, fn, inspect.getdoc(fn))

    return build(compose_fn) if compose_fn is not None else build


class JobDefinition:
    """An executable graph of ops.

    Example:
        >>> @op
        ... def emit() -> int: return 41
        >>> @op
        ... def bump(n: int) -> int: return n + 1
        >>> @job
        ... def answer():
        ...     bump(emit())
        >>> answer.execute_in_process().output_for_node("bump")
        42
    """

    def __init__(
        self,
        name: str,
        plan: Any,
        resource_defs: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> None:
        self.name = name
        self.plan = plan
        self.resource_defs = dict(resource_defs or {})
        self.config = dict(config or {})
        self.tags = dict(tags or {})
        self.description = description

    @staticmethod
    def from_composition(
        name: str,
        compose_fn: Callable[..., Any],
        resource_defs: Mapping[str, Any] | None,
        config: Mapping[str, Any] | None,
        tags: Mapping[str, str] | None,
        description: str | None,
    ) -> JobDefinition:
        from aloft.execution.plan import ExecutionPlan, PlanStep, StepInputSource, order_steps

        if _current() is not None:
            raise DefinitionError(f"job '{name}' cannot be defined inside another job body")
        composition, _ = _trace(compose_fn, "", (), {})
        if not composition.nodes:
            raise DefinitionError(f"job '{name}' calls no ops; call ops inside the job body")
        steps: dict[str, PlanStep] = {}
        for invocation in composition.nodes.values():
            inputs = []
            for param, handle in invocation.inputs.items():
                upstream = composition.nodes[handle.node].op.node
                out = next(o for o in upstream.outputs if o.name == handle.output)
                inputs.append(
                    StepInputSource(
                        name=param,
                        io_manager_key=out.io_manager_key,
                        upstream_step=handle.node,
                        upstream_output=handle.output,
                    )
                )
            from dataclasses import replace

            steps[invocation.name] = PlanStep(
                key=invocation.name,
                node=replace(invocation.op.node, name=invocation.name),
                inputs=tuple(inputs),
                upstream_steps=frozenset(h.node for h in invocation.inputs.values()),
            )
        order = order_steps({key: step.upstream_steps for key, step in steps.items()})
        return JobDefinition(
            name,
            ExecutionPlan(job_name=name, steps={key: steps[key] for key in order}),
            resource_defs,
            config,
            tags,
            description,
        )

    def execute_in_process(
        self,
        run_config: Mapping[str, Any] | Any = None,
        instance: Any = None,
        resources: Mapping[str, Any] | None = None,
        raise_on_error: bool = True,
        tags: Mapping[str, str] | None = None,
    ) -> Any:
        """Run the job in this process (outputs kept in memory, as Dagster does)."""
        from aloft.definitions.config import RunConfig
        from aloft.execution.run import execute_run
        from aloft.io.memory import InMemoryIOManager
        from aloft.storage.memory import InMemoryStateStore

        config = run_config.to_config_dict() if isinstance(run_config, RunConfig) else dict(run_config or self.config)
        all_resources = {"io_manager": InMemoryIOManager(), **self.resource_defs, **(resources or {})}
        return execute_run(
            self.plan,
            resources=all_resources,
            store=instance or InMemoryStateStore(),
            run_config=config,
            tags={**self.tags, **(tags or {})},
            raise_on_error=raise_on_error,
        )

    def __repr__(self) -> str:
        return f"<JobDefinition {self.name} ({len(self.plan.steps)} ops)>"


def job(
    compose_fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    resource_defs: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    description: str | None = None,
) -> Any:
    """Define an op job by calling ops in the decorated function's body (see :class:`JobDefinition`)."""

    def build(fn: Callable[..., Any]) -> JobDefinition:
        return JobDefinition.from_composition(
            name or fn.__name__, fn, resource_defs, config, tags, description or inspect.getdoc(fn)
        )

    return build(compose_fn) if compose_fn is not None else build
