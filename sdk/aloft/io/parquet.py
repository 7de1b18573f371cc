"""``ParquetIOManager``: DataFrames as Parquet files, locally or on S3."""

from __future__ import annotations

import io
from typing import Any

from pydantic import PrivateAttr

from aloft.io.filesystem import FilesystemIOManager
from aloft.io.path import PathIOManager
from aloft.io.s3 import S3Storage, default_s3_client

__all__ = ["ParquetIOManager"]


class ParquetIOManager(PathIOManager):
    """Stores pandas DataFrames (or pyarrow Tables) as ``.parquet`` under ``base_path``.

    ``base_path`` is a local directory or ``s3://bucket/prefix``. Values load
    back as pandas DataFrames (``load_as="pyarrow"`` gives pyarrow Tables).
    pandas and pyarrow are imported only when a value is stored or loaded.

    Example:
        >>> import tempfile, pandas as pd
        >>> from aloft import asset, materialize
        >>> @asset(io_manager_key="parquet")
        ... def frame() -> pd.DataFrame:
        ...     return pd.DataFrame({"x": [1, 2]})
        >>> io = ParquetIOManager(base_path=tempfile.mkdtemp())
        >>> materialize([frame], resources={"parquet": io}).success
        True
    """

    base_path: str = ".aloft/storage"
    load_as: str = "pandas"
    extension: str = ".parquet"
    region_name: str | None = None
    endpoint_url: str | None = None
    _storage: S3Storage | None = PrivateAttr(default=None)
    _local: FilesystemIOManager | None = PrivateAttr(default=None)

    def with_client(self, client: Any) -> ParquetIOManager:
        """Use ``client`` (a boto3 S3 client) for ``s3://`` paths."""
        self._storage = S3Storage(client)
        return self

    def _is_s3(self) -> bool:
        return self.base_path.startswith("s3://")

    def _base(self) -> str:
        return self.base_path

    def _write(self, path: str, data: bytes) -> None:
        if self._is_s3():
            if self._storage is None:
                self._storage = S3Storage(default_s3_client(self.region_name, self.endpoint_url))
            self._storage.write(path, data)
        else:
            if self._local is None:
                self._local = FilesystemIOManager(base_dir=self.base_path)
            self._local._write(path, data)

    def _read(self, path: str) -> bytes:
        if self._is_s3():
            if self._storage is None:
                self._storage = S3Storage(default_s3_client(self.region_name, self.endpoint_url))
            return self._storage.read(path)
        with open(path, "rb") as handle:
            return handle.read()

    def dump_to_bytes(self, obj: Any) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if isinstance(obj, pa.Table):
            table = obj
        elif hasattr(obj, "to_parquet"):
            buffer = io.BytesIO()
            obj.to_parquet(buffer, index=False)
            return buffer.getvalue()
        else:
            raise TypeError(
                f"ParquetIOManager stores pandas DataFrames or pyarrow Tables, got {type(obj).__name__}; "
                "use another io_manager_key for this asset"
            )
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return sink.getvalue()

    def load_from_bytes(self, data: bytes) -> Any:
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(data))
        return table if self.load_as == "pyarrow" else table.to_pandas()
