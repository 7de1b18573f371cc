"""materialize / the executor / the step runner: values, metadata, failures, retries, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from aloft import (
    AssetExecutionContext,
    AssetKey,
    AssetOut,
    AssetSpec,
    FilesystemIOManager,
    MaterializeResult,
    MetadataValue,
    Output,
    RetryPolicy,
    StepExecutionError,
    asset,
    materialize,
    materialize_to_memory,
    multi_asset,
)
from aloft.storage.memory import InMemoryStateStore
from aloft.storage.records import RunStatus, StepEventType


def test_values_flow_and_result_api() -> None:
    @asset
    def numbers() -> list[int]:
        return [1, 2, 3]

    @asset
    def total(numbers: list[int]) -> int:
        return sum(numbers)

    result = materialize([numbers, total])
    assert result.success
    assert result.output_for_node("total") == 6
    assert result.asset_value("numbers") == [1, 2, 3]
    events = result.get_asset_materialization_events()
    assert [e.asset_key for e in events] == [AssetKey("numbers"), AssetKey("total")]
    assert result.dagster_run.status is RunStatus.SUCCESS
    assert result.get_step_success_events() == ["numbers", "total"]


def test_output_metadata_from_every_source() -> None:
    @asset
    def rows(context: AssetExecutionContext) -> Output[list[int]]:
        context.add_output_metadata({"from_context": 1})
        return Output([1, 2], metadata={"row_count": 2, "preview": MetadataValue.md("| a |")})

    result = materialize([rows])
    (materialization,) = result.asset_materializations_for_node("rows")
    metadata = materialization.metadata
    assert metadata["row_count"] == MetadataValue.int(2)
    assert metadata["preview"].type == "md"
    assert metadata["from_context"].value == 1
    assert metadata["path"].type == "path"  # added by the filesystem I/O manager


def test_materialize_result_stores_no_value(tmp_path) -> None:  # type: ignore[no-untyped-def]
    @asset
    def external_file() -> MaterializeResult:
        return MaterializeResult(metadata={"written": True})

    io = FilesystemIOManager(base_dir=str(tmp_path))
    result = materialize([external_file], resources={"io_manager": io})
    assert result.asset_materializations_for_node("external_file")[0].metadata["written"].value is True
    assert not (tmp_path / "external_file").exists()


def test_failure_skips_downstream_and_finishes_independent_branches() -> None:
    @asset
    def source() -> int:
        return 1

    @asset
    def broken(source: int) -> int:
        raise ValueError("bad row 7")

    @asset
    def after_broken(broken: int) -> int:
        return broken

    @asset
    def further(after_broken: int) -> int:
        return after_broken

    @asset
    def independent(source: int) -> int:
        return source + 1

    store = InMemoryStateStore()
    result = materialize([source, broken, after_broken, further, independent], instance=store, raise_on_error=False)
    assert not result.success
    assert result.get_failed_step_keys() == ["broken"]
    assert sorted(result.get_skipped_step_keys()) == ["after_broken", "further"]
    assert result.output_for_node("independent") == 2
    run = store.get_run(result.run_id)
    assert run is not None and run.status is RunStatus.FAILURE
    failed = [e for e in store.get_step_events(result.run_id) if e.event_type is StepEventType.FAILED]
    assert failed[0].error is not None and failed[0].error.error_type == "ValueError"
    assert "bad row 7" in failed[0].error.traceback


def test_raise_on_error_keeps_the_user_exception_as_cause() -> None:
    @asset
    def explode() -> int:
        raise KeyError("missing column")

    with pytest.raises(StepExecutionError, match="asset 'explode' failed: KeyError") as info:
        materialize([explode])
    assert isinstance(info.value.__cause__, KeyError)


def test_retry_policy_retries_then_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[int] = []

    @asset(retry_policy=RetryPolicy(max_retries=2, delay=0.01))
    def flaky(context: AssetExecutionContext) -> int:
        attempts.append(context.retry_number)
        if len(attempts) < 3:
            raise ConnectionError("transient")
        return 7

    store = InMemoryStateStore()
    result = materialize([flaky], instance=store)
    assert result.output_for_node("flaky") == 7
    assert attempts == [0, 1, 2]
    kinds = [e.event_type for e in store.get_step_events(result.run_id)]
    assert kinds.count(StepEventType.RETRIED) == 2
    assert kinds[-1] is StepEventType.SUCCEEDED


def test_retry_policy_exhausted_fails() -> None:
    @asset(retry_policy=RetryPolicy(max_retries=1))
    def always() -> int:
        raise RuntimeError("nope")

    result = materialize([always], raise_on_error=False)
    assert result.outcomes["always"].attempt == 2
    assert not result.success


def test_independent_assets_run_concurrently() -> None:
    barrier = threading.Barrier(3, timeout=5)

    def waiter(name: str):  # type: ignore[no-untyped-def]
        @asset(name=name)
        def wait_for_peers() -> str:
            barrier.wait()  # deadlocks (and times out) unless all three run at once
            return name

        return wait_for_peers

    result = materialize([waiter("a"), waiter("b"), waiter("c")])
    assert result.success


def test_a_wide_fan_out_runs_all_at_once() -> None:
    # Every middle asset waits for all the others: only a run that starts all 20 together
    # passes the barrier (timing stays in benchmarks/, where wide_1_300_1 measures it).
    barrier = threading.Barrier(20, timeout=5)

    @asset
    def root() -> int:
        return 1

    def middle(index: int):  # type: ignore[no-untyped-def]
        @asset(name=f"m{index}")
        def sleeper(root: int) -> int:
            barrier.wait()
            return root

        return sleeper

    mids = [middle(i) for i in range(20)]
    result = materialize_to_memory([root, *mids])
    assert result.success and not barrier.broken


def test_context_log_is_captured_with_the_step() -> None:
    @asset
    def chatty(context: AssetExecutionContext) -> int:
        context.log.info("processing %s", "batch-1")
        context.log.warning("slow")
        return 1

    store = InMemoryStateStore()
    result = materialize([chatty], instance=store)
    succeeded = next(e for e in store.get_step_events(result.run_id) if e.event_type is StepEventType.SUCCEEDED)
    assert any("INFO processing batch-1" in line for line in succeeded.logs)
    assert any("WARNING slow" in line for line in succeeded.logs)


def test_multi_asset_tuple_and_generator_outputs() -> None:
    @multi_asset(outs={"evens": AssetOut(), "odds": AssetOut()})
    def split() -> tuple[list[int], list[int]]:
        return [0, 2], [1, 3]

    @multi_asset(outs={"first": AssetOut(), "second": AssetOut()})
    def generated() -> Iterator[Output[int]]:
        yield Output(1, output_name="first")
        yield Output(2, output_name="second", metadata={"n": 2})

    @asset
    def combined(evens: list[int], second: int) -> int:
        return sum(evens) + second

    result = materialize([split, generated, combined])
    assert result.output_for_node("combined") == 4
    assert {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()} == {
        "evens", "odds", "first", "second", "combined"}


def test_wrong_number_of_multi_outputs_fails_clearly() -> None:
    @multi_asset(outs={"a": AssetOut(), "b": AssetOut()})
    def short() -> tuple[int]:
        return (1,)  # type: ignore[return-value]

    result = materialize([short], raise_on_error=False)
    assert result.outcomes["short"].error is not None
    assert "returned 1 values for 2 outputs" in result.outcomes["short"].error.message


def test_selection_loads_unselected_upstreams_from_storage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    calls: list[str] = []

    @asset
    def upstream() -> int:
        calls.append("upstream")
        return 10

    @asset
    def downstream(upstream: int) -> int:
        calls.append("downstream")
        return upstream + 1

    io = {"io_manager": FilesystemIOManager(base_dir=str(tmp_path))}
    materialize([upstream, downstream], resources=io)
    calls.clear()
    result = materialize([upstream, downstream], resources=io, selection="downstream")
    assert calls == ["downstream"]
    assert result.output_for_node("downstream") == 11


def test_loading_a_never_materialized_upstream_says_what_to_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    @asset
    def never() -> int:
        return 1

    @asset
    def needs(never: int) -> int:
        return never

    io = {"io_manager": FilesystemIOManager(base_dir=str(tmp_path))}
    result = materialize([never, needs], resources=io, selection="needs", raise_on_error=False)
    error = result.outcomes["needs"].error
    assert error is not None and "no stored value for 'never'" in error.message
    assert "aloft materialize --select never" in error.message


def test_external_asset_is_loaded_never_run(tmp_path) -> None:  # type: ignore[no-untyped-def]
    io = FilesystemIOManager(base_dir=str(tmp_path))
    (tmp_path / "vendor").write_bytes(__import__("pickle").dumps([5, 6]))

    @asset
    def total(vendor: list[int]) -> int:
        return sum(vendor)

    result = materialize([AssetSpec("vendor"), total], resources={"io_manager": io})
    assert result.output_for_node("total") == 11
    assert list(result.outcomes) == ["total"]


def test_materialize_to_memory_replaces_io_managers() -> None:
    @asset(io_manager_key="warehouse_io")
    def frame() -> list[int]:
        return [1]

    result = materialize_to_memory([frame], resources={"warehouse_io": object()})
    assert result.output_for_node("frame") == [1]


def test_required_output_missing() -> None:
    @multi_asset(outs={"a": AssetOut(), "b": AssetOut()})
    def only_a() -> Iterator[Output[int]]:
        yield Output(1, output_name="a")

    result = materialize([only_a], raise_on_error=False)
    assert "did not produce required output(s) ['b']" in result.outcomes["only_a"].error.message  # type: ignore[union-attr]
