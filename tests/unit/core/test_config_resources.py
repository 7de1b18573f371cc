"""Config, RunConfig, ConfigurableResource and EnvVar."""

from __future__ import annotations

import pytest

from aloft import (
    AssetExecutionContext,
    Config,
    ConfigurableResource,
    DefinitionError,
    EnvVar,
    RunConfig,
    RunConfigError,
    asset,
    build_asset_context,
    materialize,
)
from aloft.storage.memory import InMemoryStateStore


class FilterConfig(Config):
    min_score: float = 0.5
    label: str = "default"


@asset
def filtered_sales(config: FilterConfig) -> tuple[float, str]:
    return config.min_score, config.label


def test_config_defaults_dict_and_runconfig() -> None:
    assert materialize([filtered_sales]).output_for_node("filtered_sales") == (0.5, "default")
    as_dict = {"ops": {"filtered_sales": {"config": {"min_score": 0.9}}}}
    assert materialize([filtered_sales], run_config=as_dict).output_for_node("filtered_sales") == (0.9, "default")
    typed = RunConfig(ops={"filtered_sales": FilterConfig(min_score=0.1, label="x")})
    assert materialize([filtered_sales], run_config=typed).output_for_node("filtered_sales") == (0.1, "x")


def test_invalid_run_config_names_the_path_and_leaves_no_run() -> None:
    store = InMemoryStateStore()
    bad = {"ops": {"filtered_sales": {"config": {"min_score": "high"}}}}
    with pytest.raises(RunConfigError) as info:
        materialize([filtered_sales], run_config=bad, instance=store)
    assert info.value.path == "ops.filtered_sales.config.min_score"
    assert "ops.filtered_sales.config.min_score" in str(info.value)
    assert store.list_runs() == []


def test_unknown_config_field_and_unknown_op() -> None:
    with pytest.raises(RunConfigError, match="ops.filtered_sales.config.min_scor"):
        materialize([filtered_sales], run_config={"ops": {"filtered_sales": {"config": {"min_scor": 1}}}})
    with pytest.raises(RunConfigError, match="ops.filtered_sale, which is not.*Did you mean 'filtered_sales'"):
        materialize([filtered_sales], run_config={"ops": {"filtered_sale": {"config": {}}}})
    with pytest.raises(RunConfigError, match="unknown run config section 'op'"):
        materialize([filtered_sales], run_config={"op": {}})


class Warehouse(ConfigurableResource):
    dsn: str
    port: int = 5432

    def describe(self) -> str:
        return f"{self.dsn}:{self.port}"


@asset
def report(warehouse: Warehouse) -> str:
    return warehouse.describe()


def test_resource_injected_by_parameter() -> None:
    result = materialize([report], resources={"warehouse": Warehouse(dsn="db")})
    assert result.output_for_node("report") == "db:5432"


def test_envvar_is_read_at_run_time_not_definition_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALOFT_TEST_DSN", raising=False)
    resource = Warehouse(dsn=EnvVar("ALOFT_TEST_DSN"), port=EnvVar("ALOFT_TEST_PORT"))  # type: ignore[arg-type]
    monkeypatch.setenv("ALOFT_TEST_DSN", "from-env")
    monkeypatch.setenv("ALOFT_TEST_PORT", "6000")
    assert materialize([report], resources={"warehouse": resource}).output_for_node("report") == "from-env:6000"
    monkeypatch.setenv("ALOFT_TEST_DSN", "changed")
    assert materialize([report], resources={"warehouse": resource}).output_for_node("report") == "changed:6000"


def test_missing_envvar_fails_before_the_run_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALOFT_TEST_MISSING", raising=False)
    store = InMemoryStateStore()
    resource = Warehouse(dsn=EnvVar("ALOFT_TEST_MISSING"))  # type: ignore[arg-type]
    with pytest.raises(RunConfigError, match="environment variable ALOFT_TEST_MISSING is not set"):
        materialize([report], resources={"warehouse": resource}, instance=store)
    assert store.list_runs() == []


def test_envvar_with_a_bad_value_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALOFT_TEST_PORT", "not-a-number")
    resource = Warehouse(dsn="x", port=EnvVar("ALOFT_TEST_PORT"))  # type: ignore[arg-type]
    with pytest.raises(RunConfigError, match="Warehouse"):
        materialize([report], resources={"warehouse": resource})


def test_resource_validation_at_definition_time() -> None:
    with pytest.raises(DefinitionError, match="has no field 'dns'"):
        Warehouse(dns=EnvVar("X"))  # type: ignore[call-arg]
    with pytest.raises(Exception, match="dsn"):
        Warehouse()  # type: ignore[call-arg]


def test_resource_config_from_run_config() -> None:
    result = materialize(
        [report],
        resources={"warehouse": Warehouse(dsn="db")},
        run_config={"resources": {"warehouse": {"config": {"port": 1}}}},
    )
    assert result.output_for_node("report") == "db:1"


def test_required_resource_keys_through_context_and_lifecycle() -> None:
    events: list[str] = []

    class Tracked(ConfigurableResource):
        name: str

        def setup_for_execution(self, context: object) -> None:
            events.append("setup")

        def teardown_after_execution(self, context: object) -> None:
            events.append("teardown")

    @asset(required_resource_keys={"tracked"})
    def uses(context: AssetExecutionContext) -> str:
        events.append("run")
        return str(context.resources.tracked.name)

    assert materialize([uses], resources={"tracked": Tracked(name="t")}).output_for_node("uses") == "t"
    assert events == ["setup", "run", "teardown"]


def test_plain_objects_are_resources_too() -> None:
    from aloft import ResourceParam

    @asset
    def plain(client: ResourceParam[dict[str, int]]) -> int:
        return client["x"]

    assert materialize([plain], resources={"client": {"x": 3}}).output_for_node("plain") == 3


def test_build_asset_context_resources_resolve_envvars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALOFT_TEST_DSN", "ctx")
    context = build_asset_context(resources={"warehouse": Warehouse(dsn=EnvVar("ALOFT_TEST_DSN"))})  # type: ignore[arg-type]
    assert context.resources.warehouse.dsn == "ctx"
    with pytest.raises(Exception, match="resource 'warehous' is not available.*Did you mean 'warehouse'"):
        _ = context.resources.warehous
