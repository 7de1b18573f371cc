"""``S3PickleIOManager``: pickles outputs to S3 (the cloud default)."""

from __future__ import annotations

import pickle
from typing import Any

from pydantic import PrivateAttr

from aloft.io.path import PathIOManager

__all__ = ["S3PickleIOManager", "S3Storage"]


class S3Storage:
    """Reads and writes whole objects by ``s3://bucket/key`` URL with an injectable client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @staticmethod
    def split(url: str) -> tuple[str, str]:
        """``s3://bucket/a/b`` -> ``("bucket", "a/b")``."""
        if not url.startswith("s3://"):
            raise ValueError(f"not an S3 URL: {url!r} (expected s3://bucket/key)")
        bucket, _, key = url[len("s3://") :].partition("/")
        return bucket, key

    def write(self, url: str, data: bytes) -> None:
        bucket, key = self.split(url)
        self.client.put_object(Bucket=bucket, Key=key, Body=data, ServerSideEncryption="AES256")

    def read(self, url: str) -> bytes:
        bucket, key = self.split(url)
        try:
            body: bytes = self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(url) from None
        return body


def default_s3_client(region_name: str | None = None, endpoint_url: str | None = None) -> Any:
    """A boto3 S3 client (boto3 is imported only when S3 is actually used)."""
    import boto3

    return boto3.client("s3", region_name=region_name, endpoint_url=endpoint_url)


class S3PickleIOManager(PathIOManager):
    """Pickles each output to ``s3://<s3_bucket>/<s3_prefix>/<asset key>[/<partition>]``.

    Objects are written with server-side encryption. The client is created on
    first use (or injected with :meth:`with_client`, e.g. in tests).

    Example:
        >>> io_manager = S3PickleIOManager(s3_bucket="my-data", s3_prefix="aloft")
        >>> io_manager._path_for(["orders"])
        's3://my-data/aloft/orders'
    """

    s3_bucket: str
    s3_prefix: str = "aloft"
    region_name: str | None = None
    endpoint_url: str | None = None
    _storage: S3Storage | None = PrivateAttr(default=None)

    def with_client(self, client: Any) -> S3PickleIOManager:
        """Use ``client`` (a boto3 S3 client) instead of creating one."""
        self._storage = S3Storage(client)
        return self

    def _s3(self) -> S3Storage:
        if self._storage is None:
            self._storage = S3Storage(default_s3_client(self.region_name, self.endpoint_url))
        return self._storage

    def _base(self) -> str:
        return f"s3://{self.s3_bucket}/{self.s3_prefix.strip('/')}"

    def _write(self, path: str, data: bytes) -> None:
        self._s3().write(path, data)

    def _read(self, path: str) -> bytes:
        return self._s3().read(path)

    def dump_to_bytes(self, obj: Any) -> bytes:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    def load_from_bytes(self, data: bytes) -> Any:
        return pickle.loads(data)
