"""The page's script renders every view from the live API, on a minimal DOM in Node.

No browser is needed: ``render_harness.js`` gives ``app.js`` just enough DOM to
build each page and reports the elements it built. Skipped without Node.js.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import ui_project
from conftest import Served

from aloft.definitions.asset_key import AssetKey
from aloft.storage.records import BackfillRecord, MaterializationRecord

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
HARNESS = Path(__file__).with_name("render_harness.js")


def render(served: Served, *routes: str) -> dict[str, dict[str, Any]]:
    app = resources.files("aloft.ui").joinpath("static", "app.js")
    assert NODE is not None
    done = subprocess.run(
        [NODE, str(HARNESS), str(app), served.server.url, *routes],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pages = [json.loads(line) for line in done.stdout.splitlines()]
    assert [p["route"] for p in pages] == list(routes)
    return {p["route"]: p for p in pages}


def headings(page: dict[str, Any]) -> list[str]:
    return [e["text"] for e in page["elements"] if e["tag"] in ("H1", "H2")]


def test_every_view_renders_without_errors(served: Served) -> None:
    served.store.create_backfill(BackfillRecord("bf-render", "daily", partition_keys=("eu", "us")))
    runs = served.runs
    routes = [
        "#/assets",
        "#/assets?group=mart",
        "#/assets/raw/orders",
        "#/assets/revenue",
        "#/assets/regional",
        "#/assets/regional?partitions_status=FAILED",
        "#/runs",
        "#/runs?status=FAILURE",
        f"#/runs/{runs.failed_run}",
        f"#/runs/{runs.ok_run}",
        f"#/runs/{runs.started_run}",
        "#/jobs",
        "#/automation",
        "#/backfills",
        "#/backfills/bf-render",
    ]
    pages = render(served, *routes)
    for route, page in pages.items():
        assert page["error"] is None, (route, page["error"])
        assert not {"Error", "Not found"} & set(headings(page)), (route, page["text"][:500])
        for element in page["elements"]:
            assert element["tag"] not in ("SCRIPT", "IMG", "IFRAME", "OBJECT"), route
            assert not any(name.lower().startswith("on") for name in element["attrs"]), (
                route,
                element,
            )
            assert not element["attrs"].get("href", "").lower().startswith("javascript:"), (
                route,
                element,
            )
    assert "Assets (5)" in headings(pages["#/assets"])
    assert f"{runs.failed_run}" in pages[f"#/runs/{runs.failed_run}"]["text"]
    assert "ValueError: broken on purpose" in pages[f"#/runs/{runs.failed_run}"]["text"]
    assert "revenue is 15.50" in pages[f"#/runs/{runs.ok_run}"]["text"]
    assert "PENDING" in pages[f"#/runs/{runs.started_run}"]["text"]
    assert (
        "0 2 * * *" in pages["#/automation"]["text"]
        and "2" in pages["#/backfills/bf-render"]["text"]
    )


def test_the_graph_draws_a_box_per_asset_and_a_path_per_edge(served: Served) -> None:
    page = render(served, "#/assets")["#/assets"]
    boxes = [
        e for e in page["elements"] if e["tag"] == "G" and "node" in e["attrs"].get("class", "")
    ]
    assert sorted(b["attrs"]["data-key"] for b in boxes) == [
        "broken",
        "raw/orders",
        "regional",
        "revenue",
        "vendor_feed",
    ]
    states = {b["attrs"]["data-key"]: b["attrs"]["class"].split()[1] for b in boxes}
    assert states == {
        "raw/orders": "materialized",
        "revenue": "materialized",
        "broken": "missing",
        "regional": "inprogress",
        "vendor_feed": "external",
    }
    edges = [e for e in page["elements"] if e["tag"] == "PATH"]
    assert {(e["attrs"]["data-source"], e["attrs"]["data-target"]) for e in edges} == {
        ("vendor_feed", "raw/orders"),
        ("raw/orders", "revenue"),
        ("raw/orders", "broken"),
    }


def test_hostile_text_is_rendered_as_text(served: Served) -> None:
    pages = render(served, "#/assets/revenue", "#/assets/raw/orders")
    assert ui_project.XSS_DESCRIPTION in pages["#/assets/revenue"]["text"]
    orders = pages["#/assets/raw/orders"]
    assert ui_project.XSS_TEXT in orders["text"] and ui_project.XSS_URL in orders["text"]
    links = {e["attrs"].get("href") for e in orders["elements"] if e["tag"] == "A"}
    assert "https://example.com/orders" in links and ui_project.XSS_URL not in links
    tables = [e for e in orders["elements"] if e["tag"] == "TD" and e["text"] == "12.5"]
    assert tables, "the table metadata preview renders its rows"
    assert any(e["tag"] == "PRE" and e["text"].startswith("| region |") for e in orders["elements"])


def test_partition_grid_cells(served: Served) -> None:
    pages = render(served, "#/assets/regional", "#/assets/regional?partitions_status=MISSING")
    cells = [
        e["attrs"]
        for e in pages["#/assets/regional"]["elements"]
        if e["attrs"].get("class", "").startswith("cell ")
    ]
    assert [(c["data-key"], c["class"].split()[1]) for c in cells] == [
        ("eu", "MATERIALIZED"),
        ("us", "FAILED"),
        ("apac", "IN_PROGRESS"),
        ("latam", "MISSING"),
    ]
    missing = [
        e["attrs"]
        for e in pages["#/assets/regional?partitions_status=MISSING"]["elements"]
        if e["attrs"].get("class", "").startswith("cell ")
    ]
    assert [c["data-key"] for c in missing] == ["latam"]


def test_not_found_pages_offer_the_close_match(served: Served) -> None:
    page = render(served, "#/assets/revenu")["#/assets/revenu"]
    assert "Not found" in headings(page)
    assert any(
        e["tag"] == "A" and e["attrs"].get("href") == "#/assets/revenue" for e in page["elements"]
    )


def test_numeric_metadata_is_plotted_and_an_outlier_flagged(served: Served) -> None:
    for i, rows in enumerate([10, 11, 10, 12, 11, 500]):
        served.store.record_materialization(
            MaterializationRecord(
                AssetKey("broken"),
                f"r-plot-{i}",
                "broken",
                timestamp=100.0 + i,
                metadata={"rows": {"type": "int", "value": rows}},
            )
        )
    pages = render(served, "#/assets/broken", "#/assets/raw/orders")
    broken = pages["#/assets/broken"]
    assert "Metadata over time" in headings(broken)
    [dot] = [e for e in broken["elements"] if e["tag"] == "CIRCLE"]
    assert dot["attrs"]["class"] == "unusual" and "rows: 500" in dot["text"]
    steady = [e for e in pages["#/assets/raw/orders"]["elements"] if e["tag"] == "CIRCLE"]
    assert sorted(e["text"].split(":")[0] for e in steady) == ["rows", "share"]
    assert {e["attrs"]["class"] for e in steady} == {"last"}
