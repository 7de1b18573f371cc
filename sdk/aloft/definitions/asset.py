"""Software-defined assets: ``@asset``, ``@multi_asset``, ``AssetIn``, ``AssetOut``, ``AssetSpec``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, overload

from aloft.definitions.asset_key import AssetKey, CoercibleToAssetKey, CoercibleToAssetKeyPrefix
from aloft.definitions.node import NodeDefinition, NodeInput, NodeOutput, inspect_parameters
from aloft.definitions.policies import RetryPolicy
from aloft.errors import DefinitionError

__all__ = ["AssetIn", "AssetOut", "AssetSpec", "AssetsDefinition", "asset", "multi_asset"]

DEFAULT_GROUP = "default"


@dataclass(frozen=True)
class AssetIn:
    """How an asset parameter maps to an upstream asset.

    Example:
        >>> from aloft import asset
        >>> @asset(ins={"orders": AssetIn(key=["raw", "orders"])})
        ... def order_count(orders: list[int]) -> int:
        ...     return len(orders)
    """

    key: CoercibleToAssetKey | None = None
    metadata: Mapping[str, Any] | None = None
    key_prefix: CoercibleToAssetKeyPrefix | None = None
    input_manager_key: str | None = None
    partition_mapping: Any = None
    dagster_type: Any = None


@dataclass(frozen=True)
class AssetOut:
    """One output of a ``@multi_asset``.

    Example:
        >>> from aloft import multi_asset
        >>> @multi_asset(outs={"a": AssetOut(), "b": AssetOut(key_prefix="mart")})
        ... def split() -> tuple[int, int]:
        ...     return 1, 2
    """

    key: CoercibleToAssetKey | None = None
    key_prefix: CoercibleToAssetKeyPrefix | None = None
    description: str | None = None
    metadata: Mapping[str, Any] | None = None
    group_name: str | None = None
    io_manager_key: str | None = None
    code_version: str | None = None
    tags: Mapping[str, str] | None = None
    is_required: bool = True


@dataclass(frozen=True)
class AssetSpec:
    """The description of an asset without a compute function: an external (source) asset,
    or one output of a ``@multi_asset(specs=[...])``.

    Example:
        >>> raw_events = AssetSpec("raw_events", description="Landed by the vendor's SFTP job")
        >>> raw_events.key
        AssetKey(['raw_events'])
    """

    key: AssetKey
    deps: tuple[AssetKey, ...] = ()
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    group_name: str | None = None
    code_version: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    io_manager_key: str | None = None
    partitions_def: Any = None

    def __init__(
        self,
        key: CoercibleToAssetKey,
        *,
        deps: Iterable[CoercibleToAssetKey] | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        group_name: str | None = None,
        code_version: str | None = None,
        tags: Mapping[str, str] | None = None,
        io_manager_key: str | None = None,
        partitions_def: Any = None,
    ) -> None:
        object.__setattr__(self, "key", AssetKey.from_coercible(key))
        object.__setattr__(self, "deps", tuple(AssetKey.from_coercible(d) for d in deps or ()))
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "metadata", dict(metadata or {}))
        object.__setattr__(self, "group_name", group_name)
        object.__setattr__(self, "code_version", code_version)
        object.__setattr__(self, "tags", dict(tags or {}))
        object.__setattr__(self, "io_manager_key", io_manager_key)
        object.__setattr__(self, "partitions_def", partitions_def)


@dataclass(frozen=True, eq=False)
class AssetsDefinition:
    """One or more assets computed by one function (an ``@asset`` or a ``@multi_asset``).

    Call it like the function in a unit test: ``my_asset(upstream_value)``.

    Example:
        >>> from aloft import asset
        >>> @asset
        ... def numbers() -> list[int]:
        ...     return [1, 2, 3]
        >>> numbers()
        [1, 2, 3]
        >>> numbers.key
        AssetKey(['numbers'])
    """

    node: NodeDefinition
    asset_deps: Mapping[AssetKey, frozenset[AssetKey]]
    partitions_def: Any = None
    backfill_policy: Any = None
    automation_condition: Any = None
    freshness_policy: Any = None
    owners: tuple[str, ...] = ()
    kinds: frozenset[str] = frozenset()
    is_external: bool = False

    @property
    def keys(self) -> tuple[AssetKey, ...]:
        """The keys of the assets this definition produces, in output order."""
        return tuple(o.asset_key for o in self.node.outputs if o.asset_key is not None)

    @property
    def key(self) -> AssetKey:
        """The key of a single-asset definition."""
        if len(self.keys) != 1:
            raise DefinitionError(
                f"'{self.node.name}' defines {len(self.keys)} assets; use .keys instead of .key"
            )
        return self.keys[0]

    @property
    def node_name(self) -> str:
        """The name of the step that computes these assets."""
        return self.node.name

    @property
    def retry_policy(self) -> RetryPolicy | None:
        """The retry policy of the step."""
        return self.node.retry_policy

    def output_for_key(self, key: AssetKey) -> NodeOutput:
        """The output that produces ``key``."""
        for output in self.node.outputs:
            if output.asset_key == key:
                return output
        raise KeyError(key)

    @property
    def group_names_by_key(self) -> dict[AssetKey, str]:
        """Each asset's group."""
        return {o.asset_key: o.group_name for o in self.node.outputs if o.asset_key is not None}

    @property
    def descriptions_by_key(self) -> dict[AssetKey, str | None]:
        """Each asset's description."""
        return {o.asset_key: o.description for o in self.node.outputs if o.asset_key is not None}

    def with_prefix(self, prefix: CoercibleToAssetKeyPrefix) -> AssetsDefinition:
        """A copy whose keys (not its upstream keys) live below ``prefix``."""
        mapping = {k: k.with_prefix(prefix) for k in self.keys}
        outputs = tuple(
            replace(o, asset_key=mapping[o.asset_key]) if o.asset_key is not None else o
            for o in self.node.outputs
        )
        return replace(
            self,
            node=replace(self.node, outputs=outputs),
            asset_deps={mapping[k]: v for k, v in self.asset_deps.items()},
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.node.compute_fn is None:
            raise DefinitionError(f"'{self.node.name}' is an external asset and has no function to call")
        return self.node.compute_fn(*args, **kwargs)

    def __repr__(self) -> str:
        keys = ", ".join(k.to_user_string() for k in self.keys)
        return f"<AssetsDefinition {self.node.name} [{keys}]>"

    @staticmethod
    def from_spec(spec: AssetSpec) -> AssetsDefinition:
        """An external asset: it can be depended on and loaded, never materialized by aloft."""
        from aloft.definitions.node import ParameterRoles

        output = NodeOutput(
            name="result",
            asset_key=spec.key,
            io_manager_key=spec.io_manager_key or "io_manager",
            metadata=dict(spec.metadata),
            description=spec.description,
            group_name=spec.group_name or DEFAULT_GROUP,
            code_version=spec.code_version,
            tags=dict(spec.tags),
        )
        node = NodeDefinition(
            name=spec.key.to_python_identifier(),
            compute_fn=None,
            inputs=(),
            outputs=(output,),
            roles=ParameterRoles(None, None, None, {}, ()),
            description=spec.description,
        )
        return AssetsDefinition(
            node=node,
            asset_deps={spec.key: frozenset(spec.deps)},
            partitions_def=spec.partitions_def,
            is_external=True,
        )


def _key_for(
    name: str, key: CoercibleToAssetKey | None, key_prefix: CoercibleToAssetKeyPrefix | None
) -> AssetKey:
    if key is not None:
        if key_prefix is not None:
            raise DefinitionError(f"asset '{name}': pass either key or key_prefix, not both")
        return AssetKey.from_coercible(key)
    base = AssetKey(name)
    return base.with_prefix(key_prefix) if key_prefix else base


def _build_inputs(
    node_name: str,
    data_params: Sequence[str],
    ins: Mapping[str, AssetIn] | None,
) -> tuple[NodeInput, ...]:
    ins = dict(ins or {})
    unknown = set(ins) - set(data_params)
    if unknown:
        name = sorted(unknown)[0]
        raise DefinitionError(
            f"asset '{node_name}' has ins[{name!r}] but no parameter named {name!r}; "
            f"add `{name}` to the function's parameters or remove it from ins"
        )
    inputs = []
    for param in data_params:
        spec = ins.get(param, AssetIn())
        key = _key_for(param, spec.key, spec.key_prefix)
        inputs.append(
            NodeInput(
                name=param,
                asset_key=key,
                metadata=dict(spec.metadata or {}),
                input_manager_key=spec.input_manager_key,
                partition_mapping=spec.partition_mapping,
            )
        )
    return tuple(inputs)


def _coerce_deps(deps: Iterable[Any] | None) -> frozenset[AssetKey]:
    return frozenset(AssetKey.from_coercible(d) for d in deps or ())


@overload
def asset(compute_fn: Callable[..., Any]) -> AssetsDefinition: ...


@overload
def asset(
    compute_fn: None = None,
    *,
    name: str | None = ...,
    key: CoercibleToAssetKey | None = ...,
    key_prefix: CoercibleToAssetKeyPrefix | None = ...,
    ins: Mapping[str, AssetIn] | None = ...,
    deps: Iterable[Any] | None = ...,
    metadata: Mapping[str, Any] | None = ...,
    description: str | None = ...,
    required_resource_keys: Iterable[str] | None = ...,
    io_manager_key: str | None = ...,
    group_name: str | None = ...,
    code_version: str | None = ...,
    tags: Mapping[str, str] | None = ...,
    op_tags: Mapping[str, str] | None = ...,
    retry_policy: RetryPolicy | None = ...,
    partitions_def: Any = ...,
    backfill_policy: Any = ...,
    automation_condition: Any = ...,
    freshness_policy: Any = ...,
    owners: Sequence[str] | None = ...,
    kinds: Iterable[str] | None = ...,
    compute_kind: str | None = ...,
) -> Callable[[Callable[..., Any]], AssetsDefinition]: ...


def asset(
    compute_fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    key: CoercibleToAssetKey | None = None,
    key_prefix: CoercibleToAssetKeyPrefix | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Iterable[Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    description: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
    io_manager_key: str | None = None,
    group_name: str | None = None,
    code_version: str | None = None,
    tags: Mapping[str, str] | None = None,
    op_tags: Mapping[str, str] | None = None,
    retry_policy: RetryPolicy | None = None,
    partitions_def: Any = None,
    backfill_policy: Any = None,
    automation_condition: Any = None,
    freshness_policy: Any = None,
    owners: Sequence[str] | None = None,
    kinds: Iterable[str] | None = None,
    compute_kind: str | None = None,
) -> AssetsDefinition | Callable[[Callable[..., Any]], AssetsDefinition]:
    """Define an asset: a function whose return value is the asset's data.

    Upstream assets are parameters (by name, or mapped with ``ins``);
    ``deps`` adds ordering-only upstreams; a ``context`` parameter, a
    ``config: MyConfig`` parameter and resources (parameters annotated with
    a ``ConfigurableResource`` subclass) are injected.

    Example:
        >>> @asset
        ... def raw_orders() -> list[dict[str, int]]:
        ...     return [{"id": 1, "amount": 10}, {"id": 2, "amount": 5}]
        >>> @asset(group_name="mart", metadata={"owner": "finance"})
        ... def revenue(raw_orders: list[dict[str, int]]) -> int:
        ...     return sum(row["amount"] for row in raw_orders)
        >>> revenue(raw_orders())
        15
    """

    def build(fn: Callable[..., Any]) -> AssetsDefinition:
        node_name = name or (AssetKey.from_coercible(key).path[-1] if key is not None else fn.__name__)
        asset_key = _key_for(node_name, key, key_prefix)
        roles = inspect_parameters(fn, node_kind="asset", node_name=asset_key.to_user_string())
        inputs = _build_inputs(asset_key.to_user_string(), roles.data, ins)
        output = NodeOutput(
            name="result",
            asset_key=asset_key,
            io_manager_key=io_manager_key or "io_manager",
            metadata=dict(metadata or {}),
            description=description if description is not None else inspect.getdoc(fn),
            group_name=group_name or DEFAULT_GROUP,
            code_version=code_version,
            tags=dict(tags or {}),
        )
        node = NodeDefinition(
            name=asset_key.to_python_identifier(),
            compute_fn=fn,
            inputs=inputs,
            outputs=(output,),
            roles=roles,
            required_resource_keys=frozenset(required_resource_keys or ()),
            retry_policy=retry_policy,
            tags=dict(op_tags or {}),
            description=output.description,
        )
        upstream = frozenset(i.asset_key for i in inputs if i.asset_key is not None) | _coerce_deps(deps)
        return AssetsDefinition(
            node=node,
            asset_deps={asset_key: upstream},
            partitions_def=partitions_def,
            backfill_policy=backfill_policy,
            automation_condition=automation_condition,
            freshness_policy=freshness_policy,
            owners=tuple(owners or ()),
            kinds=frozenset(kinds or ()) | ({compute_kind} if compute_kind else frozenset()),
        )

    if compute_fn is not None:
        return build(compute_fn)
    return build


def multi_asset(
    *,
    outs: Mapping[str, AssetOut] | None = None,
    specs: Sequence[AssetSpec] | None = None,
    name: str | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Iterable[Any] | None = None,
    description: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
    group_name: str | None = None,
    retry_policy: RetryPolicy | None = None,
    partitions_def: Any = None,
    backfill_policy: Any = None,
    op_tags: Mapping[str, str] | None = None,
    can_subset: bool = False,
) -> Callable[[Callable[..., Any]], AssetsDefinition]:
    """Define several assets computed by one function.

    Return a tuple in the order of ``outs``, yield ``Output(value, output_name=...)``
    per output, or (with ``specs``) return ``MaterializeResult(asset_key=...)`` per asset.

    Example:
        >>> @multi_asset(outs={"evens": AssetOut(), "odds": AssetOut()})
        ... def split_numbers() -> tuple[list[int], list[int]]:
        ...     numbers = range(6)
        ...     return [n for n in numbers if n % 2 == 0], [n for n in numbers if n % 2]
        >>> sorted(k.to_user_string() for k in split_numbers.keys)
        ['evens', 'odds']
    """
    if bool(outs) == bool(specs):
        raise DefinitionError("@multi_asset needs exactly one of outs={...} or specs=[...]")

    def build(fn: Callable[..., Any]) -> AssetsDefinition:
        node_name = name or fn.__name__
        roles = inspect_parameters(fn, node_kind="multi_asset", node_name=node_name)
        inputs = _build_inputs(node_name, roles.data, ins)
        input_keys = frozenset(i.asset_key for i in inputs if i.asset_key is not None)
        shared_deps = _coerce_deps(deps)
        outputs: list[NodeOutput] = []
        asset_deps: dict[AssetKey, frozenset[AssetKey]] = {}
        if outs:
            for out_name, out in outs.items():
                out_key = _key_for(out_name, out.key, out.key_prefix)
                outputs.append(
                    NodeOutput(
                        name=out_name,
                        asset_key=out_key,
                        io_manager_key=out.io_manager_key or "io_manager",
                        metadata=dict(out.metadata or {}),
                        description=out.description,
                        group_name=out.group_name or group_name or DEFAULT_GROUP,
                        code_version=out.code_version,
                        tags=dict(out.tags or {}),
                        is_required=out.is_required,
                    )
                )
                asset_deps[out_key] = input_keys | shared_deps
        else:
            for spec in specs or ():
                outputs.append(
                    NodeOutput(
                        name=spec.key.to_python_identifier(),
                        asset_key=spec.key,
                        io_manager_key=spec.io_manager_key or "io_manager",
                        metadata=dict(spec.metadata),
                        description=spec.description,
                        group_name=spec.group_name or group_name or DEFAULT_GROUP,
                        code_version=spec.code_version,
                        tags=dict(spec.tags),
                    )
                )
                asset_deps[spec.key] = input_keys | shared_deps | frozenset(spec.deps)
        keys = [o.asset_key for o in outputs]
        if len(set(keys)) != len(keys):
            raise DefinitionError(f"@multi_asset '{node_name}' defines the same asset key twice")
        node = NodeDefinition(
            name=node_name,
            compute_fn=fn,
            inputs=inputs,
            outputs=tuple(outputs),
            roles=roles,
            required_resource_keys=frozenset(required_resource_keys or ()),
            retry_policy=retry_policy,
            tags=dict(op_tags or {}),
            description=description or inspect.getdoc(fn),
        )
        return AssetsDefinition(
            node=node,
            asset_deps=asset_deps,
            partitions_def=partitions_def,
            backfill_policy=backfill_policy,
        )

    return build
