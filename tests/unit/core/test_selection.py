"""AssetSelection: combinators and the CLI string form."""

from __future__ import annotations

import pytest

from aloft import AssetSelection, DefinitionError, Definitions, asset
from aloft.asset_graph import AssetGraph


@pytest.fixture(scope="module")
def graph() -> AssetGraph:
    @asset(group_name="raw")
    def raw_orders() -> int:
        return 1

    @asset(group_name="processed", tags={"team": "finance"})
    def cleaned(raw_orders: int) -> int:
        return raw_orders

    @asset(group_name="mart")
    def revenue(cleaned: int) -> int:
        return cleaned

    @asset(group_name="mart")
    def other() -> int:
        return 0

    return Definitions(assets=[raw_orders, cleaned, revenue, other]).get_asset_graph()


def names(selection: AssetSelection, graph: AssetGraph) -> list[str]:
    return sorted(k.to_user_string() for k in selection.resolve(graph))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*", ["cleaned", "other", "raw_orders", "revenue"]),
        ("raw_orders+", ["cleaned", "raw_orders"]),
        ("raw_orders*", ["cleaned", "raw_orders", "revenue"]),
        ("raw_orders++", ["cleaned", "raw_orders", "revenue"]),
        ("+revenue", ["cleaned", "revenue"]),
        ("*revenue", ["cleaned", "raw_orders", "revenue"]),
        ("group:mart", ["other", "revenue"]),
        ("key:cleaned", ["cleaned"]),
        ("tag:team=finance", ["cleaned"]),
        ("raw_orders, other", ["other", "raw_orders"]),
        ("raw_orders or other", ["other", "raw_orders"]),
        ("group:mart and not revenue", ["other"]),
        ("not group:mart", ["cleaned", "raw_orders"]),
        ("*revenue and group:processed", ["cleaned"]),
    ],
)
def test_string_forms(graph: AssetGraph, text: str, expected: list[str]) -> None:
    assert names(AssetSelection.from_string(text), graph) == expected


def test_combinators(graph: AssetGraph) -> None:
    mart = AssetSelection.groups("mart")
    assert names(mart | AssetSelection.keys("raw_orders"), graph) == ["other", "raw_orders", "revenue"]
    assert names(mart & AssetSelection.keys("revenue").upstream(), graph) == ["revenue"]
    assert names(AssetSelection.all() - mart, graph) == ["cleaned", "raw_orders"]
    assert names(AssetSelection.keys("cleaned").downstream(include_self=False), graph) == ["revenue"]
    assert names(AssetSelection.key_prefixes("raw_orders"), graph) == ["raw_orders"]


def test_unknown_names_suggest(graph: AssetGraph) -> None:
    with pytest.raises(DefinitionError, match="Did you mean 'revenue'"):
        AssetSelection.from_string("revenu+").resolve(graph)
    with pytest.raises(DefinitionError, match="group 'marts'.*Did you mean 'mart'"):
        AssetSelection.from_string("group:marts").resolve(graph)
    with pytest.raises(DefinitionError, match="cannot parse asset selection"):
        AssetSelection.from_string("a+b+c")
    with pytest.raises(DefinitionError, match="a clause is missing"):
        AssetSelection.from_string("revenue and")
    with pytest.raises(DefinitionError, match="empty asset selection"):
        AssetSelection.from_string(" , ")


def test_a_long_list_of_keys_is_one_flat_selection() -> None:
    from aloft import AssetKey

    @asset
    def only() -> int:
        return 1

    graph = Definitions(assets=[only]).get_asset_graph()
    selection = AssetSelection.coerce(["only"] * 5000 + [AssetKey("only")])
    assert selection.resolve(graph) == {AssetKey("only")}
