"""Series-parallel decomposition, chain covers and layouts, checked by simulation."""

from __future__ import annotations

import itertools
import random

import pytest
from compiler_graphs import CHAIN, DIAMOND, N_GRAPH, NESTED, random_dag, wide
from layout_simulation import simulate

from aloft.compiler.exceptions import CompileError
from aloft.compiler.layout import (
    ParallelBlock,
    SequenceBlock,
    StepBlock,
    block_keys,
    layered_layout,
    series_parallel_layout,
    split_layout,
)
from aloft.compiler.topology import (
    Leaf,
    Parallel,
    Prime,
    Series,
    StepGraph,
    chain_cover,
    critical_path,
    decompose,
)


def graph_of(parents: dict[str, list[str]]) -> StepGraph:
    return StepGraph.from_parents(parents)


def test_chain_is_one_series() -> None:
    assert decompose(graph_of(CHAIN)) == Series((Leaf("a"), Leaf("b"), Leaf("c"), Leaf("d")))


def test_diamond_is_fork_join() -> None:
    assert decompose(graph_of(DIAMOND)) == Series(
        (Leaf("a"), Parallel((Leaf("b"), Leaf("c"))), Leaf("d"))
    )


def test_n_graph_is_not_series_parallel() -> None:
    assert decompose(graph_of(N_GRAPH)) == Prime(("a", "b", "c", "d"))


def test_nested_fork_join_and_disconnected_step() -> None:
    tree = decompose(graph_of(NESTED))
    assert tree == Parallel(
        (
            Series(
                (
                    Leaf("src"),
                    Parallel(
                        (
                            Series((Leaf("l1"), Leaf("l2"))),
                            Series((Leaf("r1"), Parallel((Leaf("r2a"), Leaf("r2b"))), Leaf("r3"))),
                        )
                    ),
                    Leaf("sink"),
                )
            ),
            Leaf("alone"),
        )
    )


def test_wide_fan_out_fan_in() -> None:
    tree = decompose(graph_of(wide(30)))
    assert isinstance(tree, Series) and len(tree.items) == 3
    assert isinstance(tree.items[1], Parallel) and len(tree.items[1].items) == 30


def test_transitive_edge_does_not_break_a_series() -> None:
    assert decompose(graph_of({"a": [], "b": ["a"], "c": ["a", "b"]})) == Series(
        (Leaf("a"), Leaf("b"), Leaf("c"))
    )


def test_fork_without_join_is_series_parallel() -> None:
    tree = decompose(graph_of({"a": [], "b": ["a"], "c": ["a"], "d": ["b"]}))
    assert tree == Series((Leaf("a"), Parallel((Series((Leaf("b"), Leaf("d"))), Leaf("c")))))


def test_cycle_and_unknown_upstream_are_compile_errors() -> None:
    with pytest.raises(CompileError, match="cycle"):
        graph_of({"a": ["b"], "b": ["a"]})
    with pytest.raises(CompileError, match="not a step"):
        graph_of({"a": ["zzz"]})


def test_chain_cover_uses_direct_edges_and_covers_every_step() -> None:
    graph = graph_of(random_dag(300, seed=4))
    chains = chain_cover(graph, graph.order)
    assert sorted(k for c in chains for k in c) == sorted(graph.order)
    for chain in chains:
        for before, after in itertools.pairwise(chain):
            assert before in graph.parents[after]


def test_n_graph_layout_gates_only_the_step_with_an_upstream_in_another_branch() -> None:
    layout = series_parallel_layout(graph_of(N_GRAPH))
    assert layout == ParallelBlock(
        (
            SequenceBlock((StepBlock("a"), StepBlock("c"))),
            SequenceBlock((StepBlock("b"), StepBlock("d", ("a", "b")))),
        )
    )


def _durations(graph: StepGraph, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    return {key: rng.uniform(0.02, 0.2) for key in graph.order}


@pytest.mark.parametrize("seed", range(12))
def test_series_parallel_layout_is_exact_on_random_dags(seed: int) -> None:
    """Every step starts exactly when its last upstream finishes: no false dependency, none missing."""
    graph = graph_of(random_dag(80 + 10 * seed, seed=seed, window=6 + seed))
    durations = _durations(graph, seed)
    start, finish = simulate([series_parallel_layout(graph)], durations)
    for key in graph.order:
        expected = max((finish[p] for p in graph.parents[key]), default=0.0)
        assert start[key] == pytest.approx(expected), key
    assert max(finish.values()) == pytest.approx(critical_path(graph, durations))


@pytest.mark.parametrize("capacity", [1, 7, 40])
def test_split_layout_is_exact_across_parts(capacity: int) -> None:
    graph = graph_of(random_dag(200, seed=capacity))
    durations = _durations(graph, capacity)
    parts = split_layout(graph, capacity)
    assert all(sum(len(list(block_keys(b))) for b in part) <= capacity for part in parts)
    start, finish = simulate([ParallelBlock(tuple(part)) for part in parts], durations)
    for key in graph.order:
        assert start[key] == pytest.approx(
            max((finish[p] for p in graph.parents[key]), default=0.0)
        ), key


def test_layered_layout_adds_false_dependencies() -> None:
    """The baseline waits for the slowest step of each level (why aloft does not compile that way)."""
    graph = graph_of(N_GRAPH)
    durations = {"a": 0.1, "b": 1.0, "c": 1.0, "d": 0.1}
    _, finish = simulate([layered_layout(graph)], durations)
    assert critical_path(graph, durations) == pytest.approx(1.1)
    assert max(finish.values()) == pytest.approx(2.0)


def test_decomposition_of_a_large_graph_is_exact() -> None:  # timed by benchmarks/bench_compiler.py
    graph = graph_of(random_dag(3000, seed=1))
    durations = _durations(graph, 1)
    _, finish = simulate([series_parallel_layout(graph)], durations)
    assert set(finish) == set(graph.order)
    assert max(finish.values()) == pytest.approx(critical_path(graph, durations))
