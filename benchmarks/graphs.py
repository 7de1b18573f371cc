"""Benchmark graphs, written once against the Dagster API.

Every builder takes the API module as a parameter (``dagster`` or ``aloft``) and uses only
names both expose: ``asset``, ``AssetIn``, ``AssetKey``, ``Definitions``, ``materialize``,
``DailyPartitionsDefinition``, ``define_asset_job`` and ``AssetSelection``. The exact same
user code therefore runs on both backends; only the module object differs.

Asset functions are generated programmatically: each builder creates a fresh closure per
asset and decorates it with ``api.asset(name=..., ins={...})``. The parameter names of the
generated functions match the ``ins`` keys, as both APIs require.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import ModuleType
from typing import Any

WIDE_SLEEP_S = 0.01
PARTITION_START = "2025-01-01"


@dataclass
class BenchGraph:
    """A built graph: the assets plus what the harness needs to reason about it."""

    assets: list[Any]
    # name -> names of its upstream assets (data or ordering dependencies)
    upstreams: dict[str, list[str]] = field(default_factory=dict)
    # name -> seconds the asset sleeps when it runs (0 when absent)
    sleeps: dict[str, float] = field(default_factory=dict)
    # name of an asset whose output value is known, and that value
    expected: tuple[str, Any] | None = None

    def critical_path_s(self) -> float:
        """Sum of the sleeps along the longest (by sleep) path through the DAG."""
        memo: dict[str, float] = {}
        for name in _topological(self.upstreams):
            ups = self.upstreams.get(name, [])
            memo[name] = self.sleeps.get(name, 0.0) + max((memo[u] for u in ups), default=0.0)
        return max(memo.values(), default=0.0)


def _topological(upstreams: dict[str, list[str]]) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()
    for root in upstreams:
        if root in seen:
            continue
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            name, expanded = stack.pop()
            if expanded:
                order.append(name)
                continue
            if name in seen:
                continue
            seen.add(name)
            stack.append((name, True))
            stack.extend((u, False) for u in upstreams.get(name, []) if u not in seen)
    return order


# --------------------------------------------------------------------------------------
# Function factories. Each call returns a new function object, so no two assets share one.
# --------------------------------------------------------------------------------------


def _source(value: int) -> Callable[[], int]:
    def source() -> int:
        return value

    return source


def _plus_one() -> Callable[[int], int]:
    def plus_one(up: int) -> int:
        return up + 1

    return plus_one


def _sleep_then_plus_one(seconds: float) -> Callable[[int], int]:
    def sleepy(root: int) -> int:
        time.sleep(seconds)
        return root + 1

    return sleepy


def _sum_of(arity: int) -> Callable[..., int]:
    # The parameter names must match the ``ins`` keys (in0, in1, in2).
    if arity == 1:

        def sum1(in0: int) -> int:
            return in0 + 1

        return sum1
    if arity == 2:

        def sum2(in0: int, in1: int) -> int:
            return in0 + in1 + 1

        return sum2
    if arity == 3:

        def sum3(in0: int, in1: int, in2: int) -> int:
            return in0 + in1 + in2 + 1

        return sum3
    raise ValueError(f"unsupported arity {arity}")


# --------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------


def chain(n: int, api: ModuleType, prefix: str = "chain") -> BenchGraph:
    """``n`` trivial assets in a line; asset ``i`` returns asset ``i-1`` + 1 (the first returns 0)."""
    assets: list[Any] = []
    upstreams: dict[str, list[str]] = {}
    for i in range(n):
        name = f"{prefix}_{i}"
        if i == 0:
            assets.append(api.asset(name=name)(_source(0)))
            upstreams[name] = []
        else:
            up = f"{prefix}_{i - 1}"
            ins = {"up": api.AssetIn(key=api.AssetKey(up))}
            assets.append(api.asset(name=name, ins=ins)(_plus_one()))
            upstreams[name] = [up]
    return BenchGraph(assets=assets, upstreams=upstreams, expected=(f"{prefix}_{n - 1}", n - 1))


def wide(width: int, api: ModuleType, sleep_s: float = WIDE_SLEEP_S) -> BenchGraph:
    """1 -> ``width`` -> 1: a root, ``width`` middle assets that each sleep ``sleep_s``, a sink.

    The middle assets take the root's value as an input; the sink depends on all of them
    through ``deps`` (ordering only, no value loaded), the usual fan-in idiom.
    """
    root = "wide_root"
    sink = "wide_sink"
    assets: list[Any] = [api.asset(name=root)(_source(0))]
    upstreams: dict[str, list[str]] = {root: []}
    sleeps: dict[str, float] = {}
    middle: list[str] = []
    for i in range(width):
        name = f"wide_mid_{i}"
        ins = {"root": api.AssetIn(key=api.AssetKey(root))}
        assets.append(api.asset(name=name, ins=ins)(_sleep_then_plus_one(sleep_s)))
        upstreams[name] = [root]
        sleeps[name] = sleep_s
        middle.append(name)
    assets.append(api.asset(name=sink, deps=[api.AssetKey(m) for m in middle])(_source(width)))
    upstreams[sink] = middle
    return BenchGraph(assets=assets, upstreams=upstreams, sleeps=sleeps, expected=(sink, width))


def layered(
    n: int, api: ModuleType, layers: int = 50, seed: int = 1234, prefix: str = "dag"
) -> BenchGraph:
    """A seeded random layered DAG of ``n`` assets.

    Assets are split evenly over ``layers`` layers; every asset outside the first layer takes
    1-3 distinct random upstreams from any earlier layer, wired with ``ins``.
    """
    rng = random.Random(seed)
    per_layer = max(1, n // layers)
    assets: list[Any] = []
    upstreams: dict[str, list[str]] = {}
    names: list[str] = []
    for i in range(n):
        layer = min(i // per_layer, layers - 1)
        name = f"{prefix}_{i}"
        earlier = layer * per_layer  # assets 0 .. earlier-1 live in earlier layers
        if earlier == 0:
            assets.append(api.asset(name=name)(_source(1)))
            upstreams[name] = []
        else:
            k = rng.randint(1, min(3, earlier))
            picked = [names[j] for j in rng.sample(range(earlier), k)]
            ins = {f"in{j}": api.AssetIn(key=api.AssetKey(up)) for j, up in enumerate(picked)}
            assets.append(api.asset(name=name, ins=ins)(_sum_of(k)))
            upstreams[name] = picked
        names.append(name)
    return BenchGraph(assets=assets, upstreams=upstreams)


def layered_definitions(api: ModuleType, graph: BenchGraph, with_job: bool = True) -> Any:
    """``Definitions`` for a built graph, optionally with one asset job selecting everything."""
    jobs: Sequence[Any] = (
        [api.define_asset_job(name="all_assets", selection=api.AssetSelection.all())]
        if with_job
        else []
    )
    return api.Definitions(assets=graph.assets, jobs=list(jobs))


def daily_partitioned(api: ModuleType, start_date: str = PARTITION_START) -> BenchGraph:
    """One trivial asset partitioned daily from ``start_date``."""
    partitions = api.DailyPartitionsDefinition(start_date=start_date)
    asset = api.asset(name="daily", partitions_def=partitions)(_source(1))
    return BenchGraph(assets=[asset], upstreams={"daily": []}, expected=("daily", 1))


def daily_keys(count: int = 365, start_date: str = PARTITION_START) -> list[str]:
    """The first ``count`` daily partition keys from ``start_date`` (``YYYY-MM-DD``)."""
    first = date.fromisoformat(start_date)
    return [(first + timedelta(days=i)).isoformat() for i in range(count)]
