"""Zero-overhead simulation of a layout: when would each step start if steps took ``durations``?

Semantics of the blocks, as the compiled state machine runs them: a sequence
starts an item when the previous one finished; a parallel starts all branches
together and finishes with the last; a gated step also waits for its gate's
upstreams, wherever they run. Gates make the recursion depend on finish times
of other branches, so the simulation iterates to a fixed point.
"""

from __future__ import annotations

from collections.abc import Mapping

from aloft.compiler.layout import Block, ParallelBlock, SequenceBlock, StepBlock


def simulate(
    layouts: list[Block], durations: Mapping[str, float]
) -> tuple[dict[str, float], dict[str, float]]:
    """Start and finish time of every step; ``layouts`` all start at time 0 (parts of a split job)."""
    finish: dict[str, float] = {}
    start: dict[str, float] = {}
    for _ in range(len(durations) + 2):
        before = dict(finish)

        def run(block: Block, at: float) -> float:
            if isinstance(block, StepBlock):
                ready = at
                if block.gate_upstream is not None:
                    ready = max([ready, *(finish.get(u, 0.0) for u in block.gate_upstream)])
                start[block.key] = ready
                finish[block.key] = ready + durations[block.key]
                return finish[block.key]
            if isinstance(block, SequenceBlock):
                for item in block.items:
                    at = run(item, at)
                return at
            assert isinstance(block, ParallelBlock)
            return max(run(branch, at) for branch in block.branches)

        for layout in layouts:
            run(layout, 0.0)
        if finish == before:
            return start, finish
    raise AssertionError("the layout did not converge: a gate waits on itself")
