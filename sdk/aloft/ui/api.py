"""The UI's read-only JSON API, independent of HTTP: a path and its query in, a JSON-ready dict out.

Every answer is bounded: lists take ``limit`` (capped) and ``cursor``, and
return ``next_cursor`` (None on the last page). Unknown paths, assets, runs
and backfills raise :class:`~aloft.ui.exceptions.NotFound` (with a close
match when there is one); malformed parameters raise
:class:`~aloft.ui.exceptions.BadRequest`. Nothing here writes to the store.

| path | what |
| --- | --- |
| ``/api/overview`` | counts, the store, runs in progress |
| ``/api/assets`` | every asset (group, deps, latest materialization, partition counts) and the graph layout |
| ``/api/assets/<a/b>`` | one asset: definition, latest, history (``history_limit``, ``history_cursor``), partitions (``partitions_limit``, ``partitions_cursor``, ``partitions_status``), checks |
| ``/api/runs`` | runs, newest first (``job``, ``status``, ``limit``, ``cursor``) |
| ``/api/runs/<id>`` | one run: steps, timeline, events with logs (``events_limit``, ``events_cursor``), errors |
| ``/api/jobs`` | jobs, their assets, schedules, sensors and latest run |
| ``/api/automation`` | schedules (next ticks), sensors (cursor, recent ticks), declarative automation |
| ``/api/backfills``, ``/api/backfills/<id>`` | backfills and their partitions |

Example:
    >>> from aloft import Definitions, asset
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> @asset
    ... def orders() -> int: return 1
    >>> api = UIApi(Definitions(assets=[orders]), InMemoryStateStore())
    >>> [a["key"] for a in api.get("/api/assets")["assets"]]
    ['orders']
    >>> api.get("/api/assets/ordrs")
    Traceback (most recent call last):
    ...
    aloft.ui.exceptions.NotFound: no asset 'ordrs' in the definitions or the state store. Did you mean 'orders'?
"""

from __future__ import annotations

import difflib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import unquote

from aloft.asset_graph import AssetGraph
from aloft.definitions.asset import AssetsDefinition
from aloft.definitions.asset_key import AssetKey
from aloft.definitions.definitions import Definitions
from aloft.definitions.jobs import AssetJobDefinition
from aloft.errors import did_you_mean
from aloft.storage.base import StateStore
from aloft.storage.records import (
    BackfillRecord,
    BackfillStatus,
    MaterializationRecord,
    PartitionStatus,
    RunRecord,
    RunStatus,
    StepEvent,
)
from aloft.storage.serialization import (
    check_result_to_dict,
    event_to_dict,
    run_to_display_dict,
    tick_to_dict,
)
from aloft.ui.exceptions import BadRequest, NotFound
from aloft.ui.layout import GraphLayout, layout_asset_graph
from aloft.ui.metadata import metadata_entries
from aloft.ui.partitions import PartitionGrid, partition_grid, requested_grid
from aloft.ui.steps import blank_step, step_summaries

__all__ = ["QueryParams", "UIApi"]

Query = Mapping[str, Sequence[str]]

# Caps on every list the API returns; the defaults are what the pages ask for.
MAX_RUNS = 1000
MAX_EVENTS = 5000
MAX_HISTORY = 200
MAX_PARTITIONS = 10_000
MAX_BACKFILLS = 200
ACTIVE_RUNS_LIMIT = 200
RECENT_TICKS = 10
NEXT_TICKS = 5
SHORT_TEXT = 200
SELECTION_PREVIEW = 20

# Tags that say which schedule, sensor or backfill started a run.
_ORIGIN_TAGS = ("aloft/schedule_name", "aloft/sensor_name", "aloft/backfill_id", "aloft/backfill")


class UIApi:
    """Answers the UI's ``GET /api/...`` requests from the definitions and the state store.

    Views of the definitions (the graph layout, the assets of each job) are
    computed once; store reads happen on every request, so the pages show
    runs as they progress.
    """

    def __init__(
        self, definitions: Definitions, store: StateStore, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.definitions = definitions
        self.store = store
        self._clock = clock

    # -- routing ---------------------------------------------------------------------------

    def get(self, path: str, query: Query | None = None) -> dict[str, Any]:
        """Answer ``GET path?query`` (``query`` as ``urllib.parse.parse_qs`` returns it)."""
        params = QueryParams(query or {})
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if len(parts) < 2 or parts[0] != "api":
            raise NotFound(f"no API endpoint at '{path}'; the API lives under /api/")
        resource, rest = parts[1], parts[2:]
        if resource == "assets":
            return self.assets() if not rest else self.asset("/".join(rest), params)
        if resource == "runs" and len(rest) <= 1:
            return self.runs(params) if not rest else self.run(rest[0], params)
        if resource == "backfills" and len(rest) <= 1:
            return self.backfills(params) if not rest else self.backfill(rest[0], params)
        if not rest and resource in ("overview", "jobs", "automation"):
            view: Callable[[], dict[str, Any]] = getattr(self, resource)
            return view()
        endpoints = ["overview", "assets", "runs", "jobs", "automation", "backfills"]
        raise NotFound(
            f"no API endpoint at '{path}'." + did_you_mean(resource, endpoints),
            suggestion=_closest(resource, endpoints),
        )

    # -- cached views of the definitions ------------------------------------------------------

    @cached_property
    def graph(self) -> AssetGraph:
        """The asset graph of the definitions."""
        return self.definitions.get_asset_graph()

    @cached_property
    def layout(self) -> GraphLayout:
        """The drawing of the asset graph (computed once)."""
        return layout_asset_graph(self.graph)

    @cached_property
    def _keys(self) -> tuple[AssetKey, ...]:
        return self.graph.toposort()

    @cached_property
    def _levels(self) -> dict[AssetKey, int]:
        return {key: level for level, keys in enumerate(self.graph.levels()) for key in keys}

    @cached_property
    def _job_assets(self) -> dict[str, tuple[str, ...]]:
        jobs: dict[str, tuple[str, ...]] = {}
        for job in self.definitions.jobs:
            if isinstance(job, AssetJobDefinition):
                keys = job.selection.resolve(self.graph)
                jobs[job.name] = tuple(
                    k.to_user_string() for k in self.graph.toposort() if k in keys
                )
        return jobs

    @cached_property
    def _jobs_of_asset(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for name, keys in sorted(self._job_assets.items()):
            for key in keys:
                result.setdefault(key, []).append(name)
        return result

    # -- overview ----------------------------------------------------------------------------

    def overview(self) -> dict[str, Any]:
        """What the header shows: counts of definitions and the runs in progress."""
        active = self._active_runs()
        return {
            "assets": len(self._keys),
            "jobs": len(self.definitions.jobs),
            "schedules": len(self.definitions.schedules),
            "sensors": len(self.definitions.sensors),
            "store": type(self.store).__name__,
            "runs_in_progress": [_run_summary(run) for run in active],
            "now": self._clock(),
        }

    # -- assets ------------------------------------------------------------------------------

    def assets(self) -> dict[str, Any]:
        """Every asset with its latest materialization and partition counts, and the graph drawing."""
        latest = self.store.latest_materializations(list(self._keys))
        active = self._active_runs()
        assets = []
        groups: dict[str, int] = {}
        for key in self._keys:
            summary = self._asset_summary(key, latest.get(key), active, short=True)
            groups[summary["group"]] = groups.get(summary["group"], 0) + 1
            assets.append(summary)
        return {
            "assets": assets,
            "groups": [{"name": name, "count": count} for name, count in sorted(groups.items())],
            "graph": self.layout.to_json(),
        }

    def asset(self, key_text: str, params: QueryParams) -> dict[str, Any]:
        """One asset: its definition, latest materialization, history, partitions and checks."""
        key = self._parse_key(key_text)
        history_limit = params.integer("history_limit", 20, 1, MAX_HISTORY)
        before = params.number("history_cursor")
        history = self.store.materialization_history(key, limit=history_limit, before=before)
        defined = self.graph.has(key)
        if not defined and not history and before is None:
            names = [k.to_user_string() for k in self._keys]
            raise NotFound(
                f"no asset '{key_text}' in the definitions or the state store.{did_you_mean(key_text, names)}",
                suggestion=_closest(key_text, names),
            )
        latest = self.store.latest_materialization(key)
        active = self._active_runs()
        assets_def = self.graph.get(key) if defined else None
        grid = None
        if assets_def is not None and assets_def.partitions_def is not None:
            grid = self._grid(key, assets_def, active)
        result: dict[str, Any] = {
            "asset": self._asset_summary(key, latest, active, short=False, grid=grid)
            if defined
            else {"key": key.to_user_string(), "path": list(key.path), "defined": False},
            "latest": None if latest is None else _materialization(latest, short=False),
            "history": {
                "materializations": [_materialization(r, short=False) for r in history],
                "next_cursor": _time_cursor(history, history_limit, lambda r: r.timestamp),
            },
            "partitions": None,
            "checks": [
                check_result_to_dict(r) | {"metadata": metadata_entries(r.metadata)}
                for _, r in sorted(self.store.latest_check_results(key).items())
            ],
        }
        if assets_def is not None:
            result["definition"] = self._definition(key, assets_def)
        if assets_def is not None and grid is not None:
            result["partitions"] = _grid_page(
                grid[0], params, "partitions", repr(assets_def.partitions_def), grid[1]
            )
        return result

    def _parse_key(self, text: str) -> AssetKey:
        try:
            return AssetKey.from_user_string(text)
        except ValueError as err:
            names = [k.to_user_string() for k in self._keys]
            raise NotFound(
                f"'{text}' is not an asset key ({err}).{did_you_mean(text, names)}",
                suggestion=_closest(text, names),
            ) from None

    def _asset_summary(
        self,
        key: AssetKey,
        latest: MaterializationRecord | None,
        active: Sequence[RunRecord],
        *,
        short: bool,
        grid: tuple[PartitionGrid, str | None] | None = None,
    ) -> dict[str, Any]:
        assets_def = self.graph.get(key)
        output = assets_def.output_for_key(key)
        name = key.to_user_string()
        description = output.description or (
            assets_def.node.description if len(assets_def.keys) == 1 else None
        )
        running = [run for run in active if name in run.selection]
        summary: dict[str, Any] = {
            "key": name,
            "path": list(key.path),
            "defined": True,
            "group": output.group_name,
            "description": _short(description, 500) if short else description,
            "kinds": sorted(assets_def.kinds),
            "owners": list(assets_def.owners),
            "is_external": assets_def.is_external,
            "code_version": output.code_version,
            "level": self._levels.get(key, 0),
            "upstream": [k.to_user_string() for k in self.graph.upstream(key)],
            "downstream": [k.to_user_string() for k in self.graph.downstream(key)],
            "latest": None if latest is None else _materialization(latest, short=short),
            "runs_in_progress": [run.run_id for run in running],
            "partitions": None,
        }
        if assets_def.partitions_def is not None:
            partitions, error = grid or self._grid(key, assets_def, active)
            summary["partitions"] = {
                "definition": _short(repr(assets_def.partitions_def), SHORT_TEXT),
                "total": len(partitions),
                "counts": partitions.counts(),
                "error": error,
            }
        return summary

    def _grid(
        self, key: AssetKey, assets_def: AssetsDefinition, active: Sequence[RunRecord]
    ) -> tuple[PartitionGrid, str | None]:
        """The asset's partition grid (and why its keys could not be listed, if so)."""
        try:
            keys = [
                str(k)
                for k in assets_def.partitions_def.get_partition_keys(
                    dynamic_partitions_store=self.store
                )
            ]
            error = None
        except Exception as err:  # a definition that cannot list its keys here: show the error
            keys, error = [], f"{type(err).__name__}: {err}"
        name = key.to_user_string()
        running = [run for run in active if name in run.selection]
        return partition_grid(keys, self.store.partition_status_records(key), running), error

    def _definition(self, key: AssetKey, assets_def: AssetsDefinition) -> dict[str, Any]:
        output = assets_def.output_for_key(key)
        automation = [
            policy.label
            for policy in (assets_def.automation_condition, assets_def.freshness_policy)
            if policy is not None and hasattr(policy, "label")
        ]
        retry = assets_def.retry_policy
        return {
            "step": assets_def.node_name,
            "io_manager_key": output.io_manager_key,
            "metadata": metadata_entries(_definition_metadata(output.metadata)),
            "tags": dict(output.tags),
            "automation": automation,
            "retry_policy": None if retry is None else repr(retry),
            "partitions_def": None
            if assets_def.partitions_def is None
            else repr(assets_def.partitions_def),
            "jobs": self._jobs_of_asset.get(key.to_user_string(), []),
            "other_keys_of_step": [k.to_user_string() for k in assets_def.keys if k != key],
        }

    # -- runs --------------------------------------------------------------------------------

    def _active_runs(self) -> list[RunRecord]:
        runs = [
            run
            for status in (RunStatus.STARTED, RunStatus.QUEUED)
            for run in self.store.list_runs(status=status, limit=ACTIVE_RUNS_LIMIT)
        ]
        return sorted(runs, key=lambda r: r.created_at, reverse=True)

    def runs(self, params: QueryParams) -> dict[str, Any]:
        """Runs newest first, optionally of one job and/or in one status, a page at a time."""
        limit = params.integer("limit", 50, 1, MAX_RUNS)
        status = params.choice("status", RunStatus)
        job = params.text("job")
        runs = self.store.list_runs(
            job_name=job, status=status, limit=limit, before=params.number("cursor")
        )
        return {
            "runs": [_run_summary(run) for run in runs],
            "next_cursor": _time_cursor(runs, limit, lambda r: r.created_at),
            "jobs": self.definitions.job_names,
            "statuses": [s.value for s in RunStatus],
        }

    def run(self, run_id: str, params: QueryParams) -> dict[str, Any]:
        """One run: its steps (with a timeline), its events and logs, a page at a time, and its errors."""
        run = self.store.get_run(run_id)
        if run is None:
            recent = [r.run_id for r in self.store.list_runs(limit=100)]
            prefixed = [r for r in recent if r.startswith(run_id)] if run_id else []
            suggestion = prefixed[0] if len(prefixed) == 1 else _closest(run_id, recent)
            hint = f" Did you mean '{suggestion}'?" if suggestion else ""
            raise NotFound(f"no run '{run_id}' in the state store.{hint}", suggestion=suggestion)
        events = self.store.get_step_events(run.run_id)
        limit = params.integer("events_limit", 1000, 1, MAX_EVENTS)
        offset = params.integer("events_cursor", 0, 0, None)
        page = events[offset : offset + limit]
        errors = [
            {
                "step_key": e.step_key,
                "attempt": e.attempt,
                "timestamp": e.timestamp,
                **event_to_dict(e)["error"],
            }
            for e in events
            if e.error is not None
        ]
        return {
            "run": run_to_display_dict(run) | {"duration": _duration(run), "origin": _origin(run)},
            "assets": [name for name in run.selection if self._is_asset(name)],
            "steps": self._steps(run, events),
            "events": [event_to_dict(e) for e in page],
            "event_count": len(events),
            "next_cursor": str(offset + limit) if offset + limit < len(events) else None,
            "errors": errors,
        }

    def _steps(self, run: RunRecord, events: Sequence[StepEvent]) -> list[dict[str, Any]]:
        steps = step_summaries(events)
        if not run.status.is_finished:
            seen = {s["step_key"] for s in steps}
            for name in self._planned_steps(run):
                if name not in seen:
                    seen.add(name)
                    steps.append(blank_step(name, "PENDING"))
        return steps

    def _is_asset(self, name: str) -> bool:
        try:
            return self.graph.has(AssetKey.from_user_string(name))
        except ValueError:
            return False

    def _planned_steps(self, run: RunRecord) -> list[str]:
        names = []
        for entry in run.selection:
            try:
                key = AssetKey.from_user_string(entry)
            except ValueError:
                continue
            if self.graph.has(key):
                names.append(self.graph.get(key).node_name)
            else:
                names.append(entry)  # an op job's step
        return names

    # -- jobs and automation -------------------------------------------------------------------

    def jobs(self) -> dict[str, Any]:
        """Every job: kind, assets (or ops), partitions, the schedules and sensors that target it, its latest run."""
        targets: dict[str, dict[str, list[str]]] = {}
        for kind, items in (
            ("schedules", self.definitions.schedules),
            ("sensors", self.definitions.sensors),
        ):
            for item in items:
                job_name = getattr(item, "job_name", None)
                if job_name:
                    targets.setdefault(job_name, {"schedules": [], "sensors": []})[kind].append(
                        str(item.name)
                    )
        jobs = []
        for job in sorted(self.definitions.jobs, key=lambda j: j.name):
            latest = self.store.list_runs(job_name=job.name, limit=1)
            entry: dict[str, Any] = {
                "name": job.name,
                "description": job.description,
                "tags": dict(job.tags),
                "latest_run": _run_summary(latest[0]) if latest else None,
                **targets.get(job.name, {"schedules": [], "sensors": []}),
            }
            if isinstance(job, AssetJobDefinition):
                assets = self._job_assets.get(job.name, ())
                partitions = job.partitions_def or self._shared_partitions(assets)
                entry |= {
                    "kind": "assets",
                    "assets": list(assets),
                    "ops": [],
                    "partitions_def": None
                    if partitions is None
                    else _short(repr(partitions), SHORT_TEXT),
                }
            else:
                steps = getattr(getattr(job, "plan", None), "steps", {})
                entry |= {"kind": "ops", "assets": [], "ops": list(steps), "partitions_def": None}
            jobs.append(entry)
        return {"jobs": jobs}

    def _shared_partitions(self, assets: Sequence[str]) -> Any:
        for name in assets:
            partitions_def = self.graph.get(AssetKey.from_user_string(name)).partitions_def
            if partitions_def is not None:
                return partitions_def
        return None

    def automation(self) -> dict[str, Any]:
        """Schedules with their next ticks, sensors with their cursors, both with recent ticks."""
        from aloft.automation.cron import next_ticks

        now = datetime.fromtimestamp(self._clock(), UTC)
        schedules = []
        for item in sorted(self.definitions.schedules, key=lambda s: str(s.name)):
            crons = list(
                getattr(item, "cron_schedules", ()) or [getattr(item, "cron_schedule", "")]
            )
            try:
                upcoming = [
                    {"time": tick.timestamp(), "local": tick.isoformat()}
                    for tick in next_ticks(item, now, NEXT_TICKS)
                ]
                error = None
            except Exception as err:  # an unreadable cron: show the problem, keep the page
                upcoming, error = [], f"{type(err).__name__}: {err}"
            schedules.append(
                {
                    "name": item.name,
                    "job": getattr(item, "job_name", None),
                    "cron": crons,
                    "timezone": getattr(item, "execution_timezone", "UTC"),
                    "default_status": _value(getattr(item, "default_status", None)),
                    "description": getattr(item, "description", None),
                    "next_ticks": upcoming,
                    "error": error,
                    "recent_ticks": self._ticks(item.name),
                }
            )
        sensors = []
        for item in sorted(self.definitions.sensors, key=lambda s: str(s.name)):
            sensor_type = getattr(item, "sensor_type", "standard")
            if sensor_type == "s3":
                trigger = f"s3://{getattr(item, 'bucket', '')}/{getattr(item, 'prefix', '')}*{getattr(item, 'suffix', '')}"
            else:
                trigger = f"every {getattr(item, 'minimum_interval_seconds', '?')}s"
            sensors.append(
                {
                    "name": item.name,
                    "type": sensor_type,
                    "job": getattr(item, "job_name", None),
                    "trigger": trigger,
                    "default_status": _value(getattr(item, "default_status", None)),
                    "description": getattr(item, "description", None),
                    "cursor": _short(self.store.get_sensor_cursor(item.name), 2000),
                    "recent_ticks": self._ticks(item.name),
                }
            )
        return {
            "schedules": schedules,
            "sensors": sensors,
            "conditions": self._conditions(),
            "now": now.timestamp(),
        }

    def _ticks(self, name: str) -> list[dict[str, Any]]:
        ticks = []
        for tick in self.store.list_ticks(name, limit=RECENT_TICKS):
            entry = tick_to_dict(tick)
            entry["cursor"] = _short(entry["cursor"], SHORT_TEXT)
            ticks.append(entry)
        return ticks

    def _conditions(self) -> dict[str, Any]:
        from aloft.automation.evaluator import AUTOMATION_CURSOR, AutomationState, automated_assets

        assets = automated_assets(self.definitions)
        if not assets:
            return {"assets": [], "last_evaluation": None, "error": None}
        try:
            state = AutomationState.from_cursor(self.store.get_sensor_cursor(AUTOMATION_CURSOR))
            error = None
        except Exception as err:  # a cursor written by another version
            state, error = AutomationState(), f"{type(err).__name__}: {err}"
        rows = []
        for key, labels in assets.items():
            name = key.to_user_string()
            rows.append(
                {
                    "asset": name,
                    "conditions": list(labels),
                    "last_requested": state.requested.get(name),
                    "reasons": {
                        ident: reason
                        for ident, reason in sorted(state.reasons.items())
                        if ident.split("|")[0] == name
                    },
                }
            )
        return {"assets": rows, "last_evaluation": state.last_evaluation, "error": error}

    # -- backfills ---------------------------------------------------------------------------

    def backfills(self, params: QueryParams) -> dict[str, Any]:
        """Backfills, newest first (``status``, ``limit``)."""
        limit = params.integer("limit", 20, 1, MAX_BACKFILLS)
        status = params.choice("status", BackfillStatus)
        records = self.store.list_backfills(status=status, limit=limit)
        return {"backfills": [_backfill_summary(b) for b in records]}

    def backfill(self, backfill_id: str, params: QueryParams) -> dict[str, Any]:
        """One backfill and a page of its partitions."""
        record = self.store.get_backfill(backfill_id)
        if record is None:
            recent = [b.backfill_id for b in self.store.list_backfills(limit=MAX_BACKFILLS)]
            suggestion = _closest(backfill_id, recent)
            raise NotFound(
                f"no backfill '{backfill_id}' in the state store.{did_you_mean(backfill_id, recent)}",
                suggestion=suggestion,
            )
        grid = requested_grid(
            record.partition_keys, record.partition_statuses, record.partition_run_ids
        )
        summary = _backfill_summary(record)
        return {
            "backfill": summary,
            "partitions": _grid_page(grid, params, "partitions", None, None),
        }


# -- helpers ----------------------------------------------------------------------------------


class QueryParams:
    """Typed access to a request's query parameters; a malformed value is a :class:`BadRequest`.

    Example:
        >>> params = QueryParams({"limit": ["20"], "status": ["failure"]})
        >>> params.integer("limit", 50, 1, 1000), params.choice("status", RunStatus).value
        (20, 'FAILURE')
        >>> params.integer("limit", 50, 1, 10)
        10
    """

    def __init__(self, query: Query) -> None:
        self._query = query

    def text(self, name: str) -> str | None:
        """The last value given for ``name`` (None when absent or empty)."""
        values = self._query.get(name)
        return values[-1] if values and values[-1] != "" else None

    def integer(self, name: str, default: int, minimum: int, maximum: int | None) -> int:
        """A whole number of at least ``minimum``, lowered to ``maximum`` (a cap, not an error)."""
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise BadRequest(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise BadRequest(f"{name} must be at least {minimum}, got {value}")
        return value if maximum is None else min(value, maximum)

    def number(self, name: str) -> float | None:
        """A finite number (a time cursor), or None."""
        raw = self.text(name)
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise BadRequest(
                f"{name} must be a number (a cursor from next_cursor), got {raw!r}"
            ) from None
        if not math.isfinite(value):
            raise BadRequest(f"{name} must be finite, got {raw!r}")
        return value

    def choice(self, name: str, options: Any) -> Any:
        """A member of the enum ``options``, case-insensitive, or None; a close match in the error."""
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return options(raw.upper())
        except ValueError:
            names = [o.value for o in options]
            raise BadRequest(
                f"{name} must be one of {', '.join(names)}, got {raw!r}."
                + did_you_mean(raw.upper(), names),
                suggestion=_closest(raw.upper(), names),
            ) from None


def _closest(name: str, candidates: Sequence[str]) -> str | None:
    """The close match ``did_you_mean`` names, or None."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _short(text: str | None, width: int) -> str | None:
    if text is None or len(text) <= width:
        return text
    return text[: width - 3] + "..."


def _value(enum: Any) -> Any:
    return getattr(enum, "value", enum)


def _time_cursor(records: Sequence[Any], limit: int, stamp: Callable[[Any], float]) -> str | None:
    """The cursor of the next page: the time of the last record, when the page was full."""
    return repr(stamp(records[-1])) if len(records) == limit and records else None


def _materialization(record: MaterializationRecord, *, short: bool) -> dict[str, Any]:
    return {
        "asset_key": record.asset_key.to_user_string(),
        "run_id": record.run_id,
        "step_key": record.step_key,
        "timestamp": record.timestamp,
        "partition_key": record.partition_key,
        "code_version": record.code_version,
        "data_version": record.data_version,
        "storage_location": record.storage_location,
        "attempt": record.attempt,
        "metadata": metadata_entries(record.metadata, max_chars=SHORT_TEXT, max_rows=5)
        if short
        else metadata_entries(record.metadata),
    }


def _definition_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    from aloft.definitions.metadata import normalize_metadata

    try:
        return {label: value.to_json() for label, value in normalize_metadata(metadata).items()}
    except TypeError:  # not JSON-able: show the text of each value
        return {label: {"type": "text", "value": str(value)} for label, value in metadata.items()}


def _duration(run: RunRecord) -> float | None:
    if run.started_at is None or run.ended_at is None:
        return None
    return run.ended_at - run.started_at


def _origin(run: RunRecord) -> str | None:
    for tag in _ORIGIN_TAGS:
        if tag in run.tags:
            return run.tags[tag]
    return None


def _run_summary(run: RunRecord) -> dict[str, Any]:
    data = run_to_display_dict(run)
    data["selection_count"] = len(run.selection)
    data["selection"] = data["selection"][:SELECTION_PREVIEW]
    data["duration"] = _duration(run)
    data["origin"] = _origin(run)
    return data


def _backfill_summary(record: BackfillRecord) -> dict[str, Any]:
    counts = dict.fromkeys((s.value for s in PartitionStatus), 0)
    for key in record.partition_keys:
        counts[record.status_of(key).value] += 1
    keys = record.partition_keys
    return {
        "backfill_id": record.backfill_id,
        "job_name": record.job_name,
        "status": record.status.value,
        "selection": list(record.selection[:SELECTION_PREVIEW]),
        "tags": dict(record.tags),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "partition_count": len(keys),
        "first_partition": keys[0] if keys else None,
        "last_partition": keys[-1] if keys else None,
        "counts": counts,
    }


def _grid_page(
    grid: PartitionGrid, params: QueryParams, prefix: str, definition: str | None, error: str | None
) -> dict[str, Any]:
    limit = params.integer(f"{prefix}_limit", 1000, 1, MAX_PARTITIONS)
    offset = params.integer(f"{prefix}_cursor", 0, 0, None)
    status = params.choice(f"{prefix}_status", PartitionStatus)
    cells, following = grid.page(offset, limit, status)
    return {
        "definition": definition,
        "error": error,
        "total": len(grid),
        "counts": grid.counts(),
        "ranges": grid.ranges(),
        "status_filter": None if status is None else status.value,
        "cells": cells,
        "next_cursor": None if following is None else str(following),
    }
