"""@asset, @multi_asset, AssetIn, AssetSpec: what the decorators build."""

from __future__ import annotations

import pytest

from aloft import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetOut,
    AssetSpec,
    Config,
    ConfigurableResource,
    DefinitionError,
    MaterializeResult,
    RetryPolicy,
    asset,
    build_asset_context,
    multi_asset,
)


def test_bare_and_called_decorator() -> None:
    @asset
    def bare() -> int:
        """Docstring becomes the description."""
        return 1

    @asset(name="renamed", key_prefix=["warehouse"], group_name="mart", code_version="3",
           metadata={"owner": "finance"}, tags={"tier": "gold"}, io_manager_key="io_manager",
           retry_policy=RetryPolicy(max_retries=2))
    def called() -> int:
        return 2

    assert bare.key == AssetKey("bare")
    assert bare.descriptions_by_key[bare.key] == "Docstring becomes the description."
    assert called.key == AssetKey(["warehouse", "renamed"])
    out = called.output_for_key(called.key)
    assert (out.group_name, out.code_version, out.tags, dict(out.metadata)) == (
        "mart", "3", {"tier": "gold"}, {"owner": "finance"})
    assert called.retry_policy == RetryPolicy(max_retries=2)
    assert called.node_name == "warehouse__renamed"


def test_dependencies_by_name_ins_and_deps() -> None:
    @asset(ins={"orders": AssetIn(key=["raw", "orders"])}, deps=["audit", AssetKey("calendar")])
    def report(orders: list[int], customers: list[int]) -> int:
        return len(orders) + len(customers)

    upstream = report.asset_deps[report.key]
    assert upstream == {AssetKey(["raw", "orders"]), AssetKey("customers"), AssetKey("audit"), AssetKey("calendar")}
    assert [i.name for i in report.node.inputs] == ["orders", "customers"]


def test_parameter_roles_context_config_resources() -> None:
    class Settings(Config):
        limit: int = 3

    class Warehouse(ConfigurableResource):
        dsn: str

    @asset
    def roles(context: AssetExecutionContext, config: Settings, warehouse: Warehouse, upstream: int) -> int:
        return upstream

    node = roles.node
    assert node.roles.context == "context"
    assert node.roles.config_type is Settings
    assert dict(node.roles.resources) == {"warehouse": "warehouse"}
    assert node.roles.data == ("upstream",)
    assert node.resource_keys == {"warehouse"}


def test_config_parameter_must_be_a_config_class() -> None:
    with pytest.raises(DefinitionError, match="parameter 'config' of asset 'bad' must be annotated"):
        @asset
        def bad(config: dict) -> int:  # type: ignore[type-arg]
            return 1


def test_star_args_rejected() -> None:
    with pytest.raises(DefinitionError, match=r"\*args parameter"):
        @asset
        def bad(*args: int) -> int:
            return 1


def test_ins_for_unknown_parameter_rejected() -> None:
    with pytest.raises(DefinitionError, match="ins\\['typo'\\] but no parameter named 'typo'"):
        @asset(ins={"typo": AssetIn(key="x")})
        def bad(x: int) -> int:
            return x


def test_key_and_key_prefix_are_exclusive() -> None:
    with pytest.raises(DefinitionError, match="either key or key_prefix"):
        asset(key="a", key_prefix="b")(lambda: 1)


def test_direct_invocation_with_context() -> None:
    @asset
    def double(context: AssetExecutionContext, value: int) -> int:
        context.log.info("doubling %d", value)
        return 2 * value

    context = build_asset_context()
    assert double(context, 21) == 42
    assert context.log.lines[0].endswith("INFO doubling 21")


def test_asset_spec_is_external() -> None:
    spec = AssetSpec("raw/events", deps=["vendor"], description="landed by SFTP", group_name="raw")
    assert spec.key == AssetKey(["raw", "events"])
    assert spec.deps == (AssetKey("vendor"),)


def test_multi_asset_outs_and_specs() -> None:
    @multi_asset(outs={"a": AssetOut(), "b": AssetOut(key_prefix="mart", group_name="g")})
    def both(source: int) -> tuple[int, int]:
        return source, source + 1

    assert both.keys == (AssetKey("a"), AssetKey(["mart", "b"]))
    assert both.asset_deps[AssetKey("a")] == {AssetKey("source")}
    assert both.group_names_by_key[AssetKey(["mart", "b"])] == "g"
    with pytest.raises(DefinitionError, match="use .keys"):
        _ = both.key

    @multi_asset(specs=[AssetSpec("x"), AssetSpec("y", deps=["z"])])
    def from_specs() -> object:
        yield MaterializeResult(asset_key="x")
        yield MaterializeResult(asset_key="y")

    assert from_specs.asset_deps[AssetKey("y")] == {AssetKey("z")}


def test_multi_asset_needs_exactly_one_of_outs_or_specs() -> None:
    with pytest.raises(DefinitionError, match="exactly one of outs"):
        multi_asset()


def test_asset_key_validation_and_forms() -> None:
    assert AssetKey.from_user_string("a/b").path == ("a", "b")
    assert AssetKey(["a", "b"]).to_python_identifier() == "a__b"
    assert repr(AssetKey("x")) == "AssetKey(['x'])"
    with pytest.raises(ValueError, match="invalid AssetKey part"):
        AssetKey("has space")
    with pytest.raises(ValueError, match="at least one part"):
        AssetKey([])
