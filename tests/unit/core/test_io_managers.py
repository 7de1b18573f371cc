"""I/O managers: filesystem, in-memory, S3 (moto), Parquet (local and S3), custom, routing."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from aloft import (
    ConfigurableIOManager,
    FilesystemIOManager,
    InMemoryIOManager,
    InputContext,
    OutputContext,
    ParquetIOManager,
    S3PickleIOManager,
    asset,
    materialize,
)


@asset(key_prefix="sales")
def orders() -> list[int]:
    return [1, 2, 3]


@asset(key_prefix="sales")
def order_total(orders: list[int]) -> int:
    return sum(orders)


def test_filesystem_paths_follow_the_asset_key(tmp_path: Path) -> None:
    io = FilesystemIOManager(base_dir=str(tmp_path))
    result = materialize([orders, order_total], resources={"io_manager": io})
    assert pickle.loads((tmp_path / "sales" / "orders").read_bytes()) == [1, 2, 3]
    assert result.output_for_node("sales__order_total") == 6
    assert not list(tmp_path.rglob(".*"))  # no temporary files left behind


def test_filesystem_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    io = FilesystemIOManager(base_dir=str(tmp_path))
    target = tmp_path / "value"
    io._write(str(target), b"old")

    def crash(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        io._write(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["value"]


def test_default_filesystem_dir_is_project_local(in_tmp: Path) -> None:
    assert FilesystemIOManager()._base() == ".aloft/storage"


def test_in_memory_keeps_values_between_runs_of_one_manager() -> None:
    io = InMemoryIOManager()
    materialize([orders], resources={"io_manager": io})
    result = materialize([orders, order_total], resources={"io_manager": io}, selection="sales/order_total")
    assert result.output_for_node("sales__order_total") == 6
    fresh = materialize([orders, order_total], resources={"io_manager": InMemoryIOManager()},
                        selection="sales/order_total", raise_on_error=False)
    assert "no value stored in memory" in fresh.outcomes["sales__order_total"].error.message  # type: ignore[union-attr]


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="data")
        yield client


def test_s3_pickle_round_trip_with_encryption(s3: Any) -> None:
    io = S3PickleIOManager(s3_bucket="data", s3_prefix="runs").with_client(s3)
    result = materialize([orders, order_total], resources={"io_manager": io})
    head = s3.head_object(Bucket="data", Key="runs/sales/orders")
    assert head["ServerSideEncryption"] == "AES256"
    assert result.output_for_node("sales__order_total") == 6
    path = result.asset_materializations_for_node("sales__orders")[0].metadata["path"].value
    assert path == "s3://data/runs/sales/orders"


def test_s3_missing_object_is_a_clear_error(s3: Any) -> None:
    io = S3PickleIOManager(s3_bucket="data").with_client(s3)
    result = materialize([orders, order_total], resources={"io_manager": io},
                         selection="sales/order_total", raise_on_error=False)
    assert "no stored value for 'sales/orders' at s3://data/aloft/sales/orders" in (
        result.outcomes["sales__order_total"].error.message)  # type: ignore[union-attr]


@asset(io_manager_key="parquet")
def frame() -> pd.DataFrame:
    return pd.DataFrame({"region": ["EU", "NA"], "revenue": [1.5, 2.5]})


@asset
def frame_total(frame: pd.DataFrame) -> float:
    return float(frame["revenue"].sum())


def test_parquet_local_and_routing(tmp_path: Path) -> None:
    resources = {
        "parquet": ParquetIOManager(base_path=str(tmp_path / "pq")),
        "io_manager": FilesystemIOManager(base_dir=str(tmp_path / "pickles")),
    }
    result = materialize([frame, frame_total], resources=resources)
    assert (tmp_path / "pq" / "frame.parquet").is_file()
    assert (tmp_path / "pickles" / "frame_total").is_file()
    assert result.output_for_node("frame_total") == 4.0
    loaded = ParquetIOManager(base_path=str(tmp_path / "pq")).load_from_bytes(
        (tmp_path / "pq" / "frame.parquet").read_bytes())
    assert list(loaded.columns) == ["region", "revenue"]


def test_parquet_on_s3(s3: Any) -> None:
    resources = {"parquet": ParquetIOManager(base_path="s3://data/pq").with_client(s3)}
    result = materialize([frame, frame_total], resources=resources)
    assert s3.head_object(Bucket="data", Key="pq/frame.parquet")["ContentLength"] > 0
    assert result.output_for_node("frame_total") == 4.0


def test_parquet_rejects_non_frames(tmp_path: Path) -> None:
    @asset(io_manager_key="parquet")
    def not_a_frame() -> int:
        return 1

    result = materialize([not_a_frame], resources={"parquet": ParquetIOManager(base_path=str(tmp_path))},
                         raise_on_error=False)
    assert "stores pandas DataFrames or pyarrow Tables, got int" in result.outcomes["not_a_frame"].error.message  # type: ignore[union-attr]


def test_custom_configurable_io_manager() -> None:
    stored: dict[str, Any] = {}

    class DictIO(ConfigurableIOManager):
        namespace: str

        def handle_output(self, context: OutputContext, obj: Any) -> None:
            stored[f"{self.namespace}:{'/'.join(context.get_identifier())}"] = obj
            context.add_output_metadata({"stored_in": self.namespace})

        def load_input(self, context: InputContext) -> Any:
            return stored[f"{self.namespace}:{'/'.join(context.upstream_output.get_identifier())}"]

    result = materialize([orders, order_total], resources={"io_manager": DictIO(namespace="ns")})
    assert stored == {"ns:sales/orders": [1, 2, 3], "ns:sales/order_total": 6}
    assert result.asset_materializations_for_node("sales__orders")[0].metadata["stored_in"].value == "ns"


def test_a_resource_that_is_not_an_io_manager() -> None:
    @asset(io_manager_key="oops")
    def value() -> int:
        return 1

    result = materialize([value], resources={"oops": 42}, raise_on_error=False)
    assert "resource 'oops' is not an I/O manager" in result.outcomes["value"].error.message  # type: ignore[union-attr]
