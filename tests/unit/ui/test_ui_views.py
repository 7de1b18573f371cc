"""The pure parts of the UI: the graph layout, the partition grid, metadata entries, step rows."""

from __future__ import annotations

from aloft import AssetSpec
from aloft.asset_graph import AssetGraph
from aloft.definitions.asset import AssetsDefinition
from aloft.storage.records import (
    PartitionStatus,
    PartitionStatusRecord,
    RunRecord,
    RunStatus,
    StepError,
    StepEvent,
    StepEventType,
)
from aloft.ui.layout import NODE_HEIGHT, NODE_WIDTH, layout_asset_graph
from aloft.ui.metadata import metadata_entries, safe_href
from aloft.ui.partitions import partition_grid
from aloft.ui.steps import step_summaries

M, F, P, X = (
    PartitionStatus.MATERIALIZED,
    PartitionStatus.FAILED,
    PartitionStatus.IN_PROGRESS,
    PartitionStatus.MISSING,
)


def _spec(name: str, upstream: list[str], group: str = "default") -> AssetsDefinition:
    return AssetsDefinition.from_spec(AssetSpec(name, deps=upstream, group_name=group))


def _graph(edges: dict[str, list[str]], groups: dict[str, str] | None = None) -> AssetGraph:
    groups = groups or {}
    return AssetGraph.from_assets(
        [_spec(n, ups, groups.get(n, "default")) for n, ups in edges.items()]
    )


# -- layout -------------------------------------------------------------------------------------


def test_layout_puts_each_asset_right_of_its_upstreams_without_overlaps() -> None:
    graph = _graph({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": []})
    drawing = layout_asset_graph(graph)
    nodes = {n.key: n for n in drawing.nodes}
    for edge in drawing.edges:
        assert nodes[edge.source].x + NODE_WIDTH < nodes[edge.target].x
    assert {(e.source, e.target) for e in drawing.edges} == {
        ("a", "b"),
        ("a", "c"),
        ("b", "d"),
        ("c", "d"),
    }
    boxes = [(n.x, n.y) for n in drawing.nodes]
    assert len(set(boxes)) == len(boxes)
    for n in drawing.nodes:
        assert (
            n.x >= 0 and n.x + NODE_WIDTH <= drawing.width and n.y + NODE_HEIGHT <= drawing.height
        )


def test_layout_is_deterministic_and_reduces_crossings() -> None:
    # a_src feeds z_dst and b_src feeds a_dst: alphabetical order would cross, barycenters untangle it.
    edges = {"a_src": [], "b_src": [], "a_dst": ["b_src"], "z_dst": ["a_src"]}
    first = layout_asset_graph(_graph(edges))
    assert first == layout_asset_graph(_graph(edges))
    rows = {n.key: n.y for n in first.nodes}
    assert rows["a_src"] < rows["b_src"] and rows["z_dst"] < rows["a_dst"]


def test_layout_keeps_groups_together_within_a_level() -> None:
    groups = {"a1": "alpha", "b1": "beta", "a2": "alpha", "b2": "beta"}
    drawing = layout_asset_graph(_graph({"a1": [], "b1": [], "a2": [], "b2": []}, groups))
    assert [n.key for n in sorted(drawing.nodes, key=lambda n: n.y)] == ["a1", "a2", "b1", "b2"]


def test_layout_of_a_thousand_assets() -> None:  # timed by benchmarks/bench_ui.py
    edges = {
        f"n{i:04d}": ([f"n{i - 1:04d}"] if i % 25 else [])
        + ([f"n{i - 30:04d}"] if i >= 30 and i % 7 == 0 else [])
        for i in range(1000)
    }
    drawing = layout_asset_graph(_graph(edges))
    assert len(drawing.nodes) == 1000 and drawing.to_json()["width"] == drawing.width


# -- partition grid -------------------------------------------------------------------------------


def test_grid_combines_keys_records_and_runs_in_progress() -> None:
    records = {
        "a": PartitionStatusRecord("a", M, "r1", 10.0),
        "b": PartitionStatusRecord("b", F, "r2", 10.0),
        "c": PartitionStatusRecord("c", M, "r3", 30.0),
        "gone": PartitionStatusRecord("gone", M, "r0", 1.0),  # no longer a partition: ignored
    }
    running = RunRecord(
        "r9", "job", RunStatus.STARTED, partition_range=("b", "d"), created_at=19.0, started_at=20.0
    )
    grid = partition_grid(["a", "b", "c", "d", "e"], records, [running])
    assert grid.statuses == (M, P, M, P, X)  # c was settled after r9 started
    assert grid.run_ids == ("r1", "r9", "r3", "r9", None)
    assert grid.counts() == {"MATERIALIZED": 2, "FAILED": 0, "IN_PROGRESS": 2, "MISSING": 1}
    assert [r["count"] for r in grid.ranges()] == [1, 1, 1, 1, 1]


def test_grid_ignores_runs_for_unknown_partitions() -> None:
    runs = [
        RunRecord("r1", "job", RunStatus.QUEUED, partition_key="zz"),
        RunRecord("r2", "job", RunStatus.QUEUED, partition_range=("b", "a")),
        RunRecord("r3", "job", RunStatus.QUEUED),
    ]
    assert partition_grid(["a", "b"], {}, runs).statuses == (X, X)


def test_grid_pages_and_ranges_of_ten_thousand_partitions() -> None:
    keys = [f"{i:05d}" for i in range(10_000)]
    records = {
        k: PartitionStatusRecord(k, F if i == 5000 else M, "r", 1.0)
        for i, k in enumerate(keys)
        if i < 9000
    }
    grid = partition_grid(keys, records)
    ranges = grid.ranges()
    cells, following = grid.page(9990, 100)
    assert [(r["start"], r["end"], r["status"], r["count"]) for r in ranges] == [
        ("00000", "04999", "MATERIALIZED", 5000),
        ("05000", "05000", "FAILED", 1),
        ("05001", "08999", "MATERIALIZED", 3999),
        ("09000", "09999", "MISSING", 1000),
    ]
    assert len(cells) == 10 and following is None
    failed, _ = grid.page(0, 10, F)
    assert [c["key"] for c in failed] == ["05000"]
    assert partition_grid([], {}).ranges() == []


# -- metadata -------------------------------------------------------------------------------------


def test_metadata_entries_bound_long_values() -> None:
    table = {"columns": [{"name": "n"}], "records": [{"n": i} for i in range(50)]}
    entries = metadata_entries(
        {
            "log": {"type": "text", "value": "x" * 50},
            "big": {"type": "json", "value": {"k": "y" * 100}},
            "raw": 3,
        },
        max_chars=20,
    )
    by_label = {e["label"]: e for e in entries}
    assert by_label["log"]["truncated"] and by_label["log"]["value"].startswith("x" * 20 + "...")
    assert by_label["big"]["truncated"] and isinstance(by_label["big"]["value"], str)
    [rows] = metadata_entries({"rows": {"type": "table", "value": table}}, max_rows=5)
    assert len(rows["value"]["records"]) == 5 and rows["total_rows"] == 50 and rows["truncated"]
    [wide] = metadata_entries({"rows": {"type": "table", "value": table}}, max_chars=20)
    assert wide["type"] == "json" and wide["truncated"]  # too wide to preview as a table
    assert by_label["raw"] == {"label": "raw", "type": "json", "value": 3}


def test_only_safe_schemes_become_links() -> None:
    assert safe_href("https://a.example/x?y=1") == "https://a.example/x?y=1"
    assert safe_href("mailto:team@example.com") == "mailto:team@example.com"
    for bad in (
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<b>",
        "vbscript:x",
        "//evil",
        42,
    ):
        assert safe_href(bad) is None
    [entry] = metadata_entries({"link": {"type": "url", "value": "JAVASCRIPT:alert(1)"}})
    assert "href" not in entry


# -- steps ----------------------------------------------------------------------------------------


def test_step_rows_follow_retries_to_the_final_outcome() -> None:
    events = [
        StepEvent("r", "a", StepEventType.STARTED, timestamp=1.0),
        StepEvent(
            "r", "a", StepEventType.RETRIED, timestamp=2.0, error=StepError("IOError", "flaky")
        ),
        StepEvent("r", "b", StepEventType.SKIPPED, timestamp=2.5, message="upstream failed"),
        StepEvent("r", "a", StepEventType.STARTED, timestamp=3.0, attempt=2),
        StepEvent(
            "r",
            "a",
            StepEventType.SUCCEEDED,
            timestamp=5.0,
            attempt=2,
            duration=2.0,
            logs=("x", "y"),
        ),
    ]
    rows = {r["step_key"]: r for r in step_summaries(events)}
    assert list(rows) == ["a", "b"]
    a = rows["a"]
    assert (a["status"], a["attempts"], a["started_at"], a["ended_at"], a["duration"]) == (
        "SUCCEEDED",
        2,
        1.0,
        5.0,
        4.0,
    )
    assert a["error"]["error_type"] == "IOError" and a["log_lines"] == 2
    assert rows["b"]["status"] == "SKIPPED" and rows["b"]["started_at"] is None
    retrying = {r["step_key"]: r for r in step_summaries(events[:2])}["a"]
    assert retrying["status"] == "RETRYING" and retrying["ended_at"] is None
