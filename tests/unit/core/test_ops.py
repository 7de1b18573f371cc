"""@op, @job, @graph, In, Out and execute_in_process."""

from __future__ import annotations

import pytest

from aloft import (
    Config,
    DefinitionError,
    Definitions,
    OpExecutionContext,
    Out,
    RetryPolicy,
    build_op_context,
    graph,
    job,
    op,
)


@op
def emit() -> list[int]:
    return [1, 2, 3, 4]


@op(out={"evens": Out(), "odds": Out()})
def split(numbers: list[int]) -> tuple[list[int], list[int]]:
    return [n for n in numbers if n % 2 == 0], [n for n in numbers if n % 2]


class ScaleConfig(Config):
    factor: int = 1


@op
def scale(context: OpExecutionContext, config: ScaleConfig, values: list[int]) -> int:
    context.log.info("scaling by %d", config.factor)
    return sum(values) * config.factor


def test_job_with_multiple_outputs_alias_and_config() -> None:
    @job
    def numbers():  # type: ignore[no-untyped-def]
        evens, odds = split(emit())
        scale(evens)
        scale.alias("scale_odds")(odds)

    assert list(numbers.plan.steps) == ["emit", "split", "scale", "scale_odds"]
    result = numbers.execute_in_process(
        run_config={"ops": {"scale": {"config": {"factor": 10}}, "scale_odds": {"config": {"factor": 100}}}}
    )
    assert result.success
    assert result.output_for_node("split", "evens") == [2, 4]
    assert result.output_for_node("scale") == 60
    assert result.output_for_node("scale_odds") == 400


def test_same_op_twice_gets_a_unique_name() -> None:
    @op
    def bump(n: int) -> int:
        return n + 1

    @op
    def zero() -> int:
        return 0

    @job
    def twice():  # type: ignore[no-untyped-def]
        bump(bump(zero()))

    assert twice.execute_in_process().output_for_node("bump_2") == 2


def test_nested_graph_and_to_job() -> None:
    @op
    def one() -> int:
        return 1

    @op
    def double(n: int) -> int:
        return 2 * n

    @graph
    def doubled_twice(n):  # type: ignore[no-untyped-def]
        return double(double(n))

    @job
    def outer():  # type: ignore[no-untyped-def]
        doubled_twice(one())

    result = outer.execute_in_process()
    assert result.output_for_node("doubled_twice.double_2") == 4


def test_failure_and_retry_in_op_jobs() -> None:
    calls: list[int] = []

    @op(retry_policy=RetryPolicy(max_retries=1))
    def flaky() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise TimeoutError("once")
        return 5

    @op
    def fails(n: int) -> int:
        raise ValueError("no")

    @op
    def never(n: int) -> int:
        return n

    @job
    def pipeline():  # type: ignore[no-untyped-def]
        never(fails(flaky()))

    result = pipeline.execute_in_process(raise_on_error=False)
    assert result.get_failed_step_keys() == ["fails"]
    assert result.get_skipped_step_keys() == ["never"]
    assert result.output_for_node("flaky") == 5


def test_direct_invocation_of_ops() -> None:
    assert emit() == [1, 2, 3, 4]
    assert scale(build_op_context(), ScaleConfig(factor=2), [1, 2]) == 6


def test_composition_errors() -> None:
    with pytest.raises(DefinitionError, match="calls no ops"):
        @job
        def empty():  # type: ignore[no-untyped-def]
            pass

    with pytest.raises(DefinitionError, match="pass the output of another op"):
        @job
        def constant():  # type: ignore[no-untyped-def]
            split([1, 2])

    with pytest.raises(DefinitionError, match="missing input"):
        @job
        def missing():  # type: ignore[no-untyped-def]
            split()


def test_op_jobs_live_in_definitions() -> None:
    @job
    def small():  # type: ignore[no-untyped-def]
        emit()

    defs = Definitions(jobs=[small])
    assert defs.get_job_def("small") is small
