"""AssetGraph and Definitions validation: order, closures, and errors that name the fix."""

from __future__ import annotations

import pytest

from aloft import (
    AssetIn,
    AssetKey,
    AssetSpec,
    ConfigurableResource,
    DefinitionError,
    Definitions,
    asset,
)
from aloft.asset_graph import AssetGraph


def _chain() -> list:  # type: ignore[type-arg]
    @asset
    def raw_orders() -> int:
        return 1

    @asset
    def cleaned(raw_orders: int) -> int:
        return raw_orders

    @asset
    def audit() -> int:
        return 0

    @asset
    def revenue(cleaned: int, audit: int) -> int:
        return cleaned

    return [revenue, cleaned, raw_orders, audit]


def test_toposort_is_stable_and_alphabetical_within_a_level() -> None:
    graph = AssetGraph.from_assets(_chain())
    assert [k.to_user_string() for k in graph.toposort()] == ["audit", "raw_orders", "cleaned", "revenue"]
    assert [[k.to_user_string() for k in level] for level in graph.levels()] == [
        ["audit", "raw_orders"], ["cleaned"], ["revenue"]]


def test_closures_and_depth() -> None:
    graph = AssetGraph.from_assets(_chain())
    names = lambda keys: sorted(k.to_user_string() for k in keys)  # noqa: E731
    assert names(graph.upstream_closure([AssetKey("revenue")])) == ["audit", "cleaned", "raw_orders", "revenue"]
    assert names(graph.upstream_closure([AssetKey("revenue")], depth=1)) == ["audit", "cleaned", "revenue"]
    assert names(graph.downstream_closure([AssetKey("raw_orders")])) == ["cleaned", "raw_orders", "revenue"]


def test_cycle_is_printed() -> None:
    @asset
    def a(c: int) -> int:
        return c

    @asset
    def b(a: int) -> int:
        return a

    @asset
    def c(b: int) -> int:
        return b

    with pytest.raises(DefinitionError, match=r"cycle: a -> b -> c -> a"):
        AssetGraph.from_assets([a, b, c])


def test_missing_dependency_suggests_close_name() -> None:
    @asset
    def revenue() -> int:
        return 1

    @asset(deps=["revnue"])
    def report() -> int:
        return 1

    with pytest.raises(DefinitionError, match="depends on 'revnue', which is not defined. Did you mean 'revenue'"):
        Definitions(assets=[revenue, report])


def test_unknown_parameter_is_neither_asset_resource_config_nor_context() -> None:
    @asset
    def orders() -> int:
        return 1

    @asset
    def report(ordres: int) -> int:
        return ordres

    with pytest.raises(DefinitionError) as info:
        Definitions(assets=[orders, report])
    message = str(info.value)
    assert "parameter 'ordres' of asset 'report' is neither an upstream asset, a resource" in message
    assert "Did you mean 'orders'" in message


def test_duplicate_keys_rejected() -> None:
    @asset(name="same")
    def one() -> int:
        return 1

    @asset(name="same")
    def two() -> int:
        return 2

    with pytest.raises(DefinitionError, match="asset key 'same' is defined twice"):
        Definitions(assets=[one, two])


def test_unknown_resource_key_suggests() -> None:
    class Warehouse(ConfigurableResource):
        dsn: str

    @asset
    def report(warehouse: Warehouse) -> int:
        return 1

    with pytest.raises(DefinitionError, match="needs resource 'warehouse'.*Did you mean 'warehouses'"):
        Definitions(assets=[report], resources={"warehouses": Warehouse(dsn="x")})


def test_unknown_io_manager_key() -> None:
    @asset(io_manager_key="parquet")
    def frame() -> int:
        return 1

    with pytest.raises(DefinitionError, match="io_manager_key 'parquet', which is not a resource"):
        Definitions(assets=[frame])


def test_external_assets_and_prefix_resolution() -> None:
    @asset(key_prefix="mart")
    def daily(orders: int) -> int:
        return orders

    @asset(key_prefix="mart")
    def orders() -> int:
        return 1

    graph = Definitions(assets=[daily, orders, AssetSpec("vendor")]).get_asset_graph()
    assert graph.upstream(AssetKey(["mart", "daily"])) == (AssetKey(["mart", "orders"]),)
    assert AssetKey("vendor") in graph.all_keys
    assert AssetKey("vendor") not in graph.materializable_keys


def test_ins_key_mapping() -> None:
    @asset(key=["raw", "orders"])
    def raw() -> int:
        return 1

    @asset(ins={"rows": AssetIn(key="raw/orders")})
    def count(rows: int) -> int:
        return rows

    graph = Definitions(assets=[raw, count]).get_asset_graph()
    assert graph.downstream(AssetKey(["raw", "orders"])) == (AssetKey("count"),)


def test_job_selection_errors_name_the_job() -> None:
    from aloft import define_asset_job

    @asset
    def orders() -> int:
        return 1

    with pytest.raises(DefinitionError, match="job 'nightly': asset selection names 'ordrs'.*Did you mean 'orders'"):
        Definitions(assets=[orders], jobs=[define_asset_job("nightly", selection="ordrs+")])


def test_get_job_def_suggests() -> None:
    from aloft import define_asset_job

    @asset
    def orders() -> int:
        return 1

    defs = Definitions(assets=[orders], jobs=[define_asset_job("nightly")])
    with pytest.raises(DefinitionError, match="no job named 'nighty'. Did you mean 'nightly'"):
        defs.get_job_def("nighty")


def test_merge_combines_and_rejects_conflicting_resources() -> None:
    @asset
    def a() -> int:
        return 1

    @asset
    def b() -> int:
        return 2

    merged = Definitions.merge(Definitions(assets=[a]), Definitions(assets=[b], resources={"x": 1}))
    assert len(merged.assets) == 2 and merged.resources == {"x": 1}
    with pytest.raises(DefinitionError, match="resource 'x' is defined differently"):
        Definitions.merge(Definitions(resources={"x": object()}), Definitions(resources={"x": object()}))


def test_schedules_and_sensors_are_validated_and_bring_their_jobs() -> None:
    from aloft import RunRequest, ScheduleDefinition, define_asset_job, sensor

    @asset
    def orders() -> int:
        return 1

    nightly = define_asset_job("nightly")
    defs = Definitions(assets=[orders], schedules=[ScheduleDefinition(job=nightly, cron_schedule="0 3 * * *")])
    assert defs.job_names == ["nightly"]

    @sensor(job_name="nighty")
    def watcher(context: object) -> RunRequest:
        return RunRequest()

    with pytest.raises(DefinitionError, match="sensor 'watcher' targets job 'nighty'.*Did you mean 'nightly'"):
        Definitions(assets=[orders], jobs=[nightly], sensors=[watcher])
