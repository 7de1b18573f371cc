"""Graphs and jobs the compiler tests share (plain dicts of upstreams, and Definitions)."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from aloft import Definitions, RetryPolicy, asset, define_asset_job
from aloft.definitions.asset import AssetsDefinition
from aloft.definitions.policies import Backoff, Jitter

Parents = dict[str, list[str]]

CHAIN: Parents = {"a": [], "b": ["a"], "c": ["b"], "d": ["c"]}
DIAMOND: Parents = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}
N_GRAPH: Parents = {"a": [], "b": [], "c": ["a"], "d": ["a", "b"]}
NESTED: Parents = {
    "src": [],
    "l1": ["src"],
    "l2": ["l1"],
    "r1": ["src"],
    "r2a": ["r1"],
    "r2b": ["r1"],
    "r3": ["r2a", "r2b"],
    "sink": ["l2", "r3"],
    "alone": [],
}


def wide(width: int) -> Parents:
    """One source, ``width`` parallel steps, one sink."""
    graph: Parents = {"source": []}
    for i in range(width):
        graph[f"w{i:02d}"] = ["source"]
    graph["sink"] = [f"w{i:02d}" for i in range(width)]
    return graph


def random_dag(n: int, seed: int, *, max_parents: int = 3, window: int = 12) -> Parents:
    """A random DAG: each step depends on up to ``max_parents`` of the ``window`` steps before it."""
    rng = random.Random(seed)
    graph: Parents = {}
    for i in range(n):
        earlier = list(range(max(0, i - window), i))
        count = rng.randint(0, min(max_parents, len(earlier)))
        graph[f"s{i:05d}"] = [f"s{j:05d}" for j in sorted(rng.sample(earlier, count))]
    return graph


def assets_for(
    parents: Mapping[str, Sequence[str]],
    *,
    retry: Mapping[str, RetryPolicy] | None = None,
    partitions_def: object = None,
) -> list[AssetsDefinition]:
    """One ``@asset`` per step, depending on its upstreams by ``deps`` (no data passed)."""
    retry = retry or {}
    built = []
    for name, ups in parents.items():
        built.append(
            asset(
                name=name,
                deps=list(ups),
                retry_policy=retry.get(name),
                partitions_def=partitions_def,
            )(lambda: None)
        )
    return built


def job_definitions(
    parents: Mapping[str, Sequence[str]], job: str = "job", **kwargs: object
) -> Definitions:
    """Definitions with one job selecting every asset of ``parents``."""
    return Definitions(
        assets=assets_for(parents, **kwargs), jobs=[define_asset_job(job, selection="*")]
    )  # type: ignore[arg-type]


RETRY_POLICIES = {
    "b": RetryPolicy(max_retries=3, delay=2, backoff=Backoff.EXPONENTIAL, jitter=Jitter.FULL),
    "c": RetryPolicy(max_retries=2),
}
