"""Every endpoint of the UI's JSON API, over HTTP, against really materialized assets."""

from __future__ import annotations

from pathlib import Path

import ui_project
from conftest import Served, fetch

from aloft.storage.records import BackfillRecord, BackfillStatus, PartitionStatus, RunRecord
from aloft.storage.sqlite import SqliteStateStore
from aloft.ui.server import UIServer


def test_assets_list_the_graph_with_groups_edges_and_levels(served: Served) -> None:
    data = served.json("/api/assets")
    assets = {a["key"]: a for a in data["assets"]}
    assert set(assets) == {"vendor_feed", "raw/orders", "revenue", "broken", "regional"}
    edges = {(e["source"], e["target"]) for e in data["graph"]["edges"]}
    assert edges == {
        ("vendor_feed", "raw/orders"),
        ("raw/orders", "revenue"),
        ("raw/orders", "broken"),
    }
    assert all(e["path"].startswith("M") for e in data["graph"]["edges"])
    levels = {n["key"]: n["level"] for n in data["graph"]["nodes"]}
    assert levels == {"vendor_feed": 0, "regional": 0, "raw/orders": 1, "revenue": 2, "broken": 2}
    assert {g["name"]: g["count"] for g in data["groups"]} == {"raw": 2, "mart": 2, "regional": 1}
    assert assets["raw/orders"]["downstream"] == ["broken", "revenue"]
    assert assets["vendor_feed"]["is_external"] and assets["vendor_feed"]["latest"] is None
    assert assets["broken"]["latest"] is None


def test_assets_show_the_latest_materialization_with_short_metadata(served: Served) -> None:
    assets = {a["key"]: a for a in served.json("/api/assets")["assets"]}
    latest = assets["raw/orders"]["latest"]
    assert latest["run_id"] == served.runs.ok_run  # the newer of the two runs that built it
    entries = {e["label"]: e for e in latest["metadata"]}
    assert entries["rows"] == {"label": "rows", "type": "int", "value": 2}
    assert entries["sample"]["total_rows"] == 2
    assert assets["revenue"]["latest"]["run_id"] == served.runs.ok_run


def test_assets_show_partition_counts_including_runs_in_progress(served: Served) -> None:
    regional = {a["key"]: a for a in served.json("/api/assets")["assets"]}["regional"]
    assert regional["partitions"]["total"] == 4
    assert regional["partitions"]["counts"] == {
        "MATERIALIZED": 1,
        "FAILED": 1,
        "IN_PROGRESS": 1,
        "MISSING": 1,
    }
    assert regional["runs_in_progress"] == [served.runs.started_run]
    assert regional["latest"]["partition_key"] == "eu"


def test_asset_detail_renders_every_metadata_type(served: Served) -> None:
    data = served.json("/api/assets/raw/orders")
    assert data["asset"]["key"] == "raw/orders" and data["asset"]["upstream"] == ["vendor_feed"]
    assert data["definition"]["jobs"] == ["daily"]
    assert data["definition"]["step"] == "raw__orders"
    entries = {e["label"]: e for e in data["latest"]["metadata"]}
    assert entries["share"] == {"label": "share", "type": "float", "value": 0.25}
    assert entries["preview"]["type"] == "md" and entries["preview"]["value"].startswith(
        "| region |"
    )
    assert entries["schema"] == {
        "label": "schema",
        "type": "json",
        "value": {"columns": ["region", "amount"]},
    }
    assert entries["dashboard"]["href"] == "https://example.com/orders"
    assert entries["sample"]["value"]["records"] == [
        {"region": "EU", "amount": 12.5},
        {"region": "NA", "amount": 3.0},
    ]
    assert [c["name"] for c in entries["sample"]["value"]["columns"]] == ["region", "amount"]
    assert entries["location"]["type"] == "path" and entries["fresh"]["value"] is True


def test_asset_detail_history_is_newest_first_and_pages_back(served: Served) -> None:
    history = served.json("/api/assets/raw/orders")["history"]
    assert [m["run_id"] for m in history["materializations"]] == [
        served.runs.ok_run,
        served.runs.failed_run,
    ]
    assert history["next_cursor"] is None
    first = served.json("/api/assets/raw/orders?history_limit=1")["history"]
    assert [m["run_id"] for m in first["materializations"]] == [served.runs.ok_run]
    older = served.json(
        f"/api/assets/raw/orders?history_limit=1&history_cursor={first['next_cursor']}"
    )
    assert [m["run_id"] for m in older["history"]["materializations"]] == [served.runs.failed_run]


def test_partition_grid_statuses(served: Served) -> None:
    partitions = served.json("/api/assets/regional")["partitions"]
    cells = {c["key"]: c for c in partitions["cells"]}
    assert [c["key"] for c in partitions["cells"]] == ["eu", "us", "apac", "latam"]
    assert (
        cells["eu"]["status"] == "MATERIALIZED"
        and cells["eu"]["run_id"] == served.runs.regional_runs["eu"]
    )
    assert (
        cells["us"]["status"] == "FAILED"
        and cells["us"]["run_id"] == served.runs.regional_runs["us"]
    )
    assert (
        cells["apac"]["status"] == "IN_PROGRESS"
        and cells["apac"]["run_id"] == served.runs.started_run
    )
    assert cells["latam"] == {
        "key": "latam",
        "status": "MISSING",
        "run_id": None,
        "updated_at": None,
    }
    assert [(r["start"], r["status"]) for r in partitions["ranges"]] == [
        ("eu", "MATERIALIZED"),
        ("us", "FAILED"),
        ("apac", "IN_PROGRESS"),
        ("latam", "MISSING"),
    ]


def test_partition_grid_filters_and_pages(served: Served) -> None:
    failed = served.json("/api/assets/regional?partitions_status=failed")["partitions"]
    assert [c["key"] for c in failed["cells"]] == ["us"] and failed["status_filter"] == "FAILED"
    assert failed["total"] == 4  # counts stay those of the whole asset
    page = served.json("/api/assets/regional?partitions_limit=3")["partitions"]
    assert [c["key"] for c in page["cells"]] == ["eu", "us", "apac"] and page["next_cursor"] == "3"
    rest = served.json("/api/assets/regional?partitions_limit=3&partitions_cursor=3")["partitions"]
    assert [c["key"] for c in rest["cells"]] == ["latam"] and rest["next_cursor"] is None


def test_unknown_asset_is_a_404_with_a_suggestion(served: Served) -> None:
    response = served.get("/api/assets/revenu")
    assert response.status == 404
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "not_found" and body["suggestion"] == "revenue"
    assert "no asset 'revenu'" in body["message"] and "Did you mean 'revenue'?" in body["message"]
    assert served.get("/api/assets/raw/ordrs").json()["suggestion"] == "raw/orders"
    invalid = served.get("/api/assets/not%20a%20key")
    assert invalid.status == 404 and "is not an asset key" in invalid.json()["message"]


def test_runs_are_newest_first_filtered_and_paged(served: Served) -> None:
    runs = served.json("/api/runs")["runs"]
    assert len(runs) == 5 and runs[0]["run_id"] == served.runs.started_run
    assert [r["created_at"] for r in runs] == sorted((r["created_at"] for r in runs), reverse=True)
    failed = served.json("/api/runs?status=FAILURE")["runs"]
    assert {r["run_id"] for r in failed} == {
        served.runs.failed_run,
        served.runs.regional_runs["us"],
    }
    assert all(r["duration"] is not None and r["trigger"] == "manual" for r in failed)
    first = served.json("/api/runs?limit=2")
    assert len(first["runs"]) == 2 and first["next_cursor"]
    rest = served.json(f"/api/runs?limit=10&cursor={first['next_cursor']}")
    ids = [r["run_id"] for r in first["runs"] + rest["runs"]]
    assert ids == [r["run_id"] for r in runs] and rest["next_cursor"] is None
    assert served.json("/api/runs?job=daily")["runs"] == []


def test_runs_reject_bad_parameters(served: Served) -> None:
    response = served.get("/api/runs?status=FAILD")
    assert response.status == 400
    assert response.json()["suggestion"] == "FAILED" or "FAILURE" in response.json()["message"]
    assert served.get("/api/runs?limit=ten").status == 400
    assert served.get("/api/runs?limit=0").status == 400
    assert served.get("/api/runs?cursor=nan").status == 400


def test_run_detail_has_steps_errors_and_the_user_exception(served: Served) -> None:
    data = served.json(f"/api/runs/{served.runs.failed_run}")
    assert data["run"]["status"] == "FAILURE" and data["run"]["duration"] > 0
    steps = {s["step_key"]: s for s in data["steps"]}
    assert data["steps"][0]["step_key"] == "raw__orders"
    assert (
        steps["raw__orders"]["status"] == "SUCCEEDED" and steps["revenue"]["status"] == "SUCCEEDED"
    )
    assert steps["broken"]["status"] == "FAILED"
    assert steps["broken"]["started_at"] <= steps["broken"]["ended_at"]
    assert steps["broken"]["error"]["error_type"] == "ValueError"
    [error] = data["errors"]
    assert error["step_key"] == "broken" and error["message"] == "broken on purpose"
    assert "raise ValueError" in error["traceback"]
    types = {(e["step_key"], e["event_type"]) for e in data["events"]}
    assert ("broken", "STEP_STARTED") in types and ("broken", "STEP_FAILED") in types
    assert data["event_count"] == len(data["events"]) and data["next_cursor"] is None
    assert data["assets"] == ["raw/orders", "broken", "revenue"]


def test_run_detail_has_the_captured_logs_and_pages_events(served: Served) -> None:
    data = served.json(f"/api/runs/{served.runs.ok_run}")
    logs = [line for e in data["events"] for line in e["logs"]]
    assert any(line.endswith("INFO revenue is 15.50") for line in logs)
    assert [s["log_lines"] for s in data["steps"] if s["step_key"] == "revenue"] == [1]
    page = served.json(f"/api/runs/{served.runs.ok_run}?events_limit=1")
    assert len(page["events"]) == 1 and page["next_cursor"] == "1"
    second = served.json(f"/api/runs/{served.runs.ok_run}?events_limit=1&events_cursor=1")
    assert second["events"][0] == data["events"][1]


def test_a_run_in_progress_lists_its_planned_steps(served: Served) -> None:
    data = served.json(f"/api/runs/{served.runs.started_run}")
    assert data["run"]["status"] == "STARTED"
    assert data["steps"] == [
        {
            "step_key": "regional",
            "status": "PENDING",
            "attempts": 0,
            "started_at": None,
            "ended_at": None,
            "duration": None,
            "partition_key": None,
            "error": None,
            "log_lines": 0,
        }
    ]


def test_unknown_run_is_a_404_that_completes_a_prefix(served: Served) -> None:
    run_id = served.runs.failed_run
    response = served.get(f"/api/runs/{run_id[:8]}")
    assert response.status == 404
    body = response.json()
    assert body["suggestion"] == run_id and f"no run '{run_id[:8]}'" in body["message"]
    assert served.get("/api/runs/zzzz").json()["suggestion"] is None


def test_secret_looking_run_config_is_masked(tmp_path: Path) -> None:
    config = {"resources": {"db": {"config": {"password": "hunter2", "host": "db.local", "user": {"env": "DB_USER"}}}}}
    store = SqliteStateStore(tmp_path / "state.db")
    store.create_run(RunRecord("masked-run", "daily", run_config=config, created_at=1.0))
    with UIServer(ui_project.DEFS, store, port=0) as server:
        shown = fetch(server.url + "/api/runs/masked-run").json()["run"]["run_config"]
        listed = fetch(server.url + "/api/runs")
    store.close()
    assert shown["resources"]["db"]["config"] == {"password": "***", "host": "db.local", "user": {"env": "DB_USER"}}
    assert listed.status == 200 and b"masked-run" in listed.body and b"hunter2" not in listed.body


def test_jobs(served: Served) -> None:
    [daily] = served.json("/api/jobs")["jobs"]
    assert daily["name"] == "daily" and daily["kind"] == "assets"
    assert daily["assets"] == ["raw/orders", "broken", "revenue"]
    assert daily["schedules"] == ["nightly"] and daily["sensors"] == ["new_files"]
    assert daily["latest_run"] is None  # the population runs were ad hoc


def test_automation_shows_next_ticks_cursors_and_recent_ticks(served: Served) -> None:
    data = served.json("/api/automation")
    [nightly] = data["schedules"]
    assert (
        nightly["job"] == "daily"
        and nightly["timezone"] == "Europe/Berlin"
        and nightly["cron"] == ["0 2 * * *"]
    )
    times = [t["time"] for t in nightly["next_ticks"]]
    assert len(times) == 5 and times == sorted(times) and times[0] > data["now"]
    assert all("T02:00:00+0" in t["local"] for t in nightly["next_ticks"])
    [sensor] = data["sensors"]
    assert (
        sensor["name"] == "new_files"
        and sensor["cursor"] == "c-1"
        and sensor["trigger"] == "every 60s"
    )
    assert [(t["status"], t["skip_reason"]) for t in sensor["recent_ticks"]] == [
        ("SKIPPED", "no new files")
    ]


def test_backfills_list_and_detail(served: Served) -> None:
    served.store.create_backfill(
        BackfillRecord(
            "bf-1",
            "regional_job",
            partition_keys=("eu", "us", "apac"),
            status=BackfillStatus.IN_PROGRESS,
        )
    )
    served.store.update_backfill(
        "bf-1",
        partition_statuses={"eu": PartitionStatus.MATERIALIZED, "us": PartitionStatus.FAILED},
        partition_run_ids={"eu": "r-eu", "us": "r-us"},
    )
    [summary] = [
        b for b in served.json("/api/backfills")["backfills"] if b["backfill_id"] == "bf-1"
    ]
    assert summary["status"] == "IN_PROGRESS" and summary["partition_count"] == 3
    assert summary["counts"] == {"MATERIALIZED": 1, "FAILED": 1, "IN_PROGRESS": 0, "MISSING": 1}
    detail = served.json("/api/backfills/bf-1?partitions_limit=2")
    assert [(c["key"], c["status"], c["run_id"]) for c in detail["partitions"]["cells"]] == [
        ("eu", "MATERIALIZED", "r-eu"),
        ("us", "FAILED", "r-us"),
    ]
    assert detail["partitions"]["next_cursor"] == "2"
    missing = served.get("/api/backfills/bf-2")
    assert missing.status == 404 and missing.json()["suggestion"] == "bf-1"
    assert served.json("/api/backfills?status=completed")["backfills"] == []


def test_overview(served: Served) -> None:
    data = served.json("/api/overview")
    assert (data["assets"], data["jobs"], data["schedules"], data["sensors"]) == (5, 1, 1, 1)
    assert data["store"] == "SqliteStateStore"
    assert [r["run_id"] for r in data["runs_in_progress"]] == [served.runs.started_run]


def test_unknown_paths_are_json_404s(served: Served) -> None:
    for path in ("/api/asset", "/api/runs/a/b", "/nope", "/api/", "/static/missing.js"):
        response = served.get(path)
        assert response.status == 404, path
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.json()["error"] == "not_found"
    assert served.get("/api/asset").json()["suggestion"] == "assets"


def test_the_page_and_its_assets_are_served(served: Served) -> None:
    page = served.get("/")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert b"<title>aloft</title>" in page.body and b'src="/static/app.js"' in page.body
    for path, kind in (("/static/app.js", "text/javascript"), ("/static/app.css", "text/css")):
        response = served.get(path)
        assert response.status == 200 and response.headers["Content-Type"].startswith(kind)
        assert len(response.body) > 1000
    head = served.get("/api/assets", method="HEAD")
    assert head.status == 200 and head.body == b"" and int(head.headers["Content-Length"]) > 0
