"""Launching a backfill on Step Functions: a partition manifest in S3, a backfill record, ONE execution.

:class:`BackfillLauncher` does, in this order:

1. stores the backfill record (its requested partitions, all MISSING);
2. streams the partition manifest to the data bucket
   (``tmp/backfills/<id>/partitions.json``, a JSON array with one
   ``{"partition_key", "run_id"}`` item per partition, in the order given),
   a chunk at a time: 10,000 partitions never become one Python string, nor
   one state payload;
3. starts the backfill state machine once, named after the backfill id (a
   retried start finds the same execution), with an input that only says
   where the manifest is (:func:`aloft.compiler.contract.build_backfill_input`).

Run ids are derived from the backfill id and the partition key, so the
manifest, the children's run records and the backfill record agree without
writing 10,000 run records up front: each child creates its own
(:mod:`aloft.cloud.backfill_status`).

Example:
    >>> from aloft.storage.memory import InMemoryStateStore
    >>> class S3:
    ...     def upload_fileobj(self, stream, bucket, key, ExtraArgs=None): self.body = stream.read()
    >>> class Sfn:
    ...     def start_execution(self, **kwargs): return {"executionArn": "arn:x:" + kwargs["name"]}
    >>> job = JobDeployment("daily", "arn:aws:states:us-east-1:1:stateMachine:aloft-daily", ("events",),
    ...                     {"events": "events"})
    >>> deployment = BackfillDeployment("daily", "arn:aws:states:us-east-1:1:stateMachine:aloft-daily-backfill",
    ...                                 ordered=False, job=job)
    >>> s3 = S3()
    >>> launcher = BackfillLauncher(InMemoryStateStore(), Sfn(), s3, {"daily": deployment}, bucket="data")
    >>> backfill = launcher.launch("daily", ["2026-03-01", "2026-03-02"], backfill_id="b1")
    >>> backfill.partition_keys, [item["partition_key"] for item in json.loads(s3.body)]
    (('2026-03-01', '2026-03-02'), ['2026-03-01', '2026-03-02'])
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aloft.cloud.exceptions import CloudError
from aloft.cloud.executions import execution_arn, start_execution_once
from aloft.cloud.launcher import JobDeployment
from aloft.compiler import contract
from aloft.compiler.asl import is_legal_name
from aloft.errors import DefinitionError, did_you_mean
from aloft.execution.backfill_plan import order_partition_keys
from aloft.storage.base import StateStore
from aloft.storage.records import BackfillRecord, BackfillStatus

if TYPE_CHECKING:
    from aloft.compiler.backfill import CompiledBackfill

__all__ = [
    "MANIFEST_PREFIX",
    "BackfillDeployment",
    "BackfillLauncher",
    "ManifestLocation",
    "manifest_chunks",
    "manifest_items",
    "order_partition_keys",
    "partition_run_id",
    "write_partition_manifest",
]

# Objects under tmp/ expire (the data bucket's lifecycle rule): manifests are only read once.
MANIFEST_PREFIX = "tmp/backfills"
TAG_EXECUTION = "aloft/execution_arn"
TAG_MANIFEST = "aloft/manifest"
_RUN_NAMESPACE = uuid.UUID("6f1d2c3b-8e4a-4b7f-9c0d-5a2e1f3b7c90")
_CHUNK_ITEMS = 512


@dataclass(frozen=True)
class BackfillDeployment:
    """A deployed backfill state machine: which job it runs, and whether its partitions are ordered."""

    job_name: str
    state_machine_arn: str
    ordered: bool
    job: JobDeployment

    @classmethod
    def from_compiled(cls, compiled: CompiledBackfill, state_machine_arn: str) -> BackfillDeployment:
        """Build from the compiler's output and the ARN the backfill machine got at deploy time."""
        job = JobDeployment.from_compiled(compiled.job, state_machine_arn="")
        return cls(compiled.job_name, state_machine_arn, compiled.ordered, job)

    def execution_arn(self, backfill_id: str) -> str:
        """The ARN of the backfill's execution (named after the backfill id)."""
        return execution_arn(self.state_machine_arn, backfill_id)


def partition_run_id(backfill_id: str, partition_key: str) -> str:
    """The run id of one partition of a backfill (the same inputs always give the same id).

    Example:
        >>> partition_run_id("b1", "2026-03-01") == partition_run_id("b1", "2026-03-01")
        True
    """
    return str(uuid.uuid5(_RUN_NAMESPACE, f"{backfill_id}\n{partition_key}"))


def manifest_items(
    backfill_id: str, partition_keys: Iterable[str], *, ordered: bool
) -> Iterator[dict[str, Any]]:
    """The items of a partition manifest, one per key, lazily.

    Example:
        >>> [item["after_run_id"] is None for item in manifest_items("b1", ["a", "b"], ordered=True)]
        [True, False]
    """
    before: str | None = None
    for key in partition_keys:
        run_id = partition_run_id(backfill_id, key)
        yield contract.backfill_item(key, run_id, ordered=ordered, after_run_id=before)
        before = run_id


def manifest_chunks(items: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    """A JSON array of ``items`` as byte chunks of a few hundred items each.

    Example:
        >>> b"".join(manifest_chunks([{"a": 1}, {"a": 2}]))
        b'[{"a":1},\\n{"a":2}]\\n'
    """
    yield b"["
    batch: list[str] = []
    first = True
    for item in items:
        batch.append(json.dumps(item, separators=(",", ":"), sort_keys=True))
        if len(batch) == _CHUNK_ITEMS:
            yield (("" if first else ",\n") + ",\n".join(batch)).encode()
            batch.clear()
            first = False
    if batch:
        yield (("" if first else ",\n") + ",\n".join(batch)).encode()
    yield b"]\n"


class _ChunkStream(io.RawIOBase):
    """A read-only file over byte chunks: what boto3's ``upload_fileobj`` streams from."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        self.size += count
        return count


@dataclass(frozen=True)
class ManifestLocation:
    """Where a partition manifest was written, with its item count and size."""

    bucket: str
    key: str
    items: int
    size: int

    @property
    def url(self) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{self.key}"


def write_partition_manifest(
    s3: Any, bucket: str, key: str, items: Iterable[Mapping[str, Any]]
) -> ManifestLocation:
    """Stream a partition manifest to S3 (multipart above 8 MB, as ``upload_fileobj`` does)."""
    count = 0

    def counted() -> Iterator[Mapping[str, Any]]:
        nonlocal count
        for item in items:
            count += 1
            yield item

    stream = _ChunkStream(manifest_chunks(counted()))
    reader = io.BufferedReader(stream, buffer_size=1 << 16)
    s3.upload_fileobj(reader, bucket, key, ExtraArgs={"ContentType": "application/json"})
    return ManifestLocation(bucket, key, count, stream.size)


class BackfillLauncher:
    """Records a backfill, writes its partition manifest and starts its one execution."""

    def __init__(
        self,
        store: StateStore,
        sfn: Any,
        s3: Any,
        deployments: Mapping[str, BackfillDeployment],
        *,
        bucket: str,
        prefix: str = MANIFEST_PREFIX,
    ) -> None:
        self.store = store
        self.sfn = sfn
        self.s3 = s3
        self.deployments = deployments  # a live view: backfills may be deployed later
        self.bucket = bucket
        self.prefix = prefix.rstrip("/")

    def deployment(self, job_name: str) -> BackfillDeployment:
        """The backfill deployment of a job, or a clear error."""
        found = self.deployments.get(job_name)
        if found is None:
            raise DefinitionError(
                f"job '{job_name}' has no deployed backfill state machine."
                + did_you_mean(job_name, self.deployments)
            )
        return found

    def launch(
        self,
        job_name: str,
        partition_keys: Sequence[str],
        *,
        selection: Iterable[str] | None = None,
        backfill_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> BackfillRecord:
        """Start a backfill of ``partition_keys`` (valid keys, in partition order for an ordered job).

        ``selection`` (asset or step keys) backfills a subset of the job; a
        ``backfill_id`` that is already stored returns that backfill, unless its launch
        failed before the execution started (manifest upload, StartExecution): then the
        stored backfill is launched again.
        """
        deployment = self.deployment(job_name)
        keys = list(dict.fromkeys(partition_keys))
        if not keys:
            raise CloudError(f"a backfill of job '{job_name}' needs at least one partition key")
        chosen = deployment.job.step_keys(selection) if selection else []
        backfill_id = backfill_id or uuid.uuid4().hex
        if not is_legal_name(backfill_id):
            raise CloudError(
                f"backfill id {backfill_id!r} cannot name an execution (<= 80 characters, no spaces or "
                "special characters)"
            )
        existing = self.store.get_backfill(backfill_id)
        if existing is not None:
            if existing.status is BackfillStatus.FAILED and not self._execution_exists(
                deployment.execution_arn(backfill_id)
            ):
                return self._relaunch(deployment, existing)
            return existing
        manifest_key = f"{self.prefix}/{backfill_id}/partitions.json"
        record = BackfillRecord(
            backfill_id=backfill_id,
            job_name=job_name,
            partition_keys=tuple(keys),
            selection=deployment.job.assets_of(chosen) if chosen else (),
            tags={
                **(tags or {}),
                TAG_MANIFEST: f"s3://{self.bucket}/{manifest_key}",
                TAG_EXECUTION: deployment.execution_arn(backfill_id),
            },
        )
        self.store.create_backfill(record)
        self._submit(deployment, record)
        return record

    def _relaunch(self, deployment: BackfillDeployment, record: BackfillRecord) -> BackfillRecord:
        """A launch that failed before its execution started (manifest upload, StartExecution): try again.

        The stored record says what to run; its status goes back to REQUESTED.
        """
        self.store.transition_backfill(
            record.backfill_id, expected=BackfillStatus.FAILED, status=BackfillStatus.REQUESTED
        )
        self._submit(deployment, record)
        return self.store.get_backfill(record.backfill_id) or record

    def _submit(self, deployment: BackfillDeployment, record: BackfillRecord) -> None:
        """Write the manifest and start the execution; on failure the backfill is FAILED (a retry relaunches it)."""
        backfill_id = record.backfill_id
        manifest_key = f"{self.prefix}/{backfill_id}/partitions.json"
        chosen = deployment.job.step_keys(record.selection) if record.selection else []
        document = contract.build_backfill_input(
            backfill_id,
            bucket=self.bucket,
            manifest_key=manifest_key,
            results_prefix=f"{self.prefix}/{backfill_id}/results",
            selection=record.selection,
            skip=[k for k in deployment.job.steps if chosen and k not in chosen],
        )
        try:
            write_partition_manifest(
                self.s3,
                self.bucket,
                manifest_key,
                manifest_items(backfill_id, record.partition_keys, ordered=deployment.ordered),
            )
            self._start(deployment, backfill_id, document)
        except Exception:
            self.store.update_backfill(backfill_id, status=BackfillStatus.FAILED)
            raise

    def _execution_exists(self, arn: str) -> bool:
        try:
            self.sfn.describe_execution(executionArn=arn)
        except Exception as err:
            if getattr(err, "response", {}).get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return False
            raise
        return True

    def _start(self, deployment: BackfillDeployment, name: str, document: Mapping[str, Any]) -> str:
        arn, _ = start_execution_once(self.sfn, deployment.state_machine_arn, name, document)
        return arn

    def resume(self, backfill_id: str, *, tags: Mapping[str, str] | None = None) -> BackfillRecord:
        """A new backfill of the partitions ``backfill_id`` did not materialize (failed or never run)."""
        from aloft.execution.backfill_plan import partitions_to_resume

        parent = self.store.get_backfill(backfill_id)
        if parent is None:
            raise CloudError(f"no backfill '{backfill_id}'")
        if not parent.status.is_finished:
            raise CloudError(
                f"backfill '{backfill_id}' is {parent.status.value}; wait for it to finish before resuming"
            )
        remaining = partitions_to_resume(parent)
        if not remaining:
            raise CloudError(f"backfill '{backfill_id}' materialized every partition; nothing to resume")
        return self.launch(
            parent.job_name,
            remaining,
            selection=parent.selection or None,
            tags={**parent.tags, **(tags or {}), "aloft/resumed_from": backfill_id},
        )

