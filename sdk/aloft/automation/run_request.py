"""What schedules and sensors return: ``RunRequest``, ``SkipReason``, ``SensorResult``.

Example:
    >>> RunRequest(run_key="orders.csv", partition_key="2024-03-01").partition_key
    '2024-03-01'
    >>> SkipReason("no new files").skip_message
    'no new files'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from aloft.definitions.asset_key import AssetKey, CoercibleToAssetKey
from aloft.errors import DefinitionError

__all__ = [
    "DefaultScheduleStatus",
    "DefaultSensorStatus",
    "RunRequest",
    "SensorResult",
    "SkipReason",
]


class DefaultScheduleStatus(str, Enum):
    """Whether a schedule starts running when deployed (EventBridge schedule ENABLED) or stopped."""

    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class DefaultSensorStatus(str, Enum):
    """Whether a sensor starts running when deployed or stopped."""

    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


def _coerce_run_config(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    to_dict = getattr(value, "to_config_dict", None)
    if callable(to_dict):
        result: dict[str, Any] = to_dict()
        return result
    if isinstance(value, Mapping):
        return dict(value)
    raise DefinitionError(f"RunRequest run_config must be a dict or RunConfig, got {type(value).__name__}")


@dataclass(frozen=True, init=False)
class RunRequest:
    """Ask for one run of the target job (or of ``asset_selection``).

    ``run_key`` makes the request idempotent for its sensor or schedule: a second
    request with the same key launches nothing (duplicated S3 events, retried ticks).

    Example:
        >>> request = RunRequest(run_key="s3://drops/a.csv", run_config={"ops": {}}, tags={"source": "s3"})
        >>> request.tags["source"]
        's3'
        >>> RunRequest(asset_selection=["orders"]).asset_selection
        (AssetKey(['orders']),)
    """

    run_key: str | None
    run_config: Mapping[str, Any]
    tags: Mapping[str, str]
    job_name: str | None
    asset_selection: tuple[AssetKey, ...] | None
    partition_key: str | None

    def __init__(
        self,
        run_key: str | None = None,
        run_config: Mapping[str, Any] | Any = None,
        tags: Mapping[str, str] | None = None,
        job_name: str | None = None,
        asset_selection: Sequence[CoercibleToAssetKey] | None = None,
        partition_key: str | None = None,
    ) -> None:
        if run_key is not None and not isinstance(run_key, str):
            raise DefinitionError(f"RunRequest run_key must be a string, got {run_key!r}")
        if partition_key is not None and not isinstance(partition_key, str):
            raise DefinitionError(f"RunRequest partition_key must be a string, got {partition_key!r}")
        object.__setattr__(self, "run_key", run_key)
        object.__setattr__(self, "run_config", _coerce_run_config(run_config))
        object.__setattr__(self, "tags", {str(k): str(v) for k, v in (tags or {}).items()})
        object.__setattr__(self, "job_name", job_name)
        object.__setattr__(
            self,
            "asset_selection",
            None if asset_selection is None else tuple(AssetKey.from_coercible(k) for k in asset_selection),
        )
        object.__setattr__(self, "partition_key", partition_key)

    def with_defaults(
        self, *, run_key: str | None = None, tags: Mapping[str, str] | None = None
    ) -> RunRequest:
        """A copy with ``run_key`` filled in when missing and ``tags`` added under the request's own.

        Example:
            >>> RunRequest(tags={"a": "1"}).with_defaults(run_key="k", tags={"a": "0", "b": "2"}).tags
            {'a': '1', 'b': '2'}
        """
        return RunRequest(
            run_key=self.run_key if self.run_key is not None else run_key,
            run_config=self.run_config,
            tags={**(tags or {}), **self.tags},
            job_name=self.job_name,
            asset_selection=self.asset_selection,
            partition_key=self.partition_key,
        )

    def __hash__(self) -> int:
        return hash((self.run_key, self.job_name, self.partition_key, self.asset_selection))


@dataclass(frozen=True)
class SkipReason:
    """Why an evaluation asked for no run (shown on the tick).

    Example:
        >>> SkipReason().skip_message is None
        True
    """

    skip_message: str | None = None


@dataclass(frozen=True, init=False)
class SensorResult:
    """Everything one sensor evaluation decided: runs, or a skip reason; a new cursor; dynamic partitions.

    Example:
        >>> result = SensorResult(run_requests=[RunRequest(run_key="a")], cursor="a")
        >>> len(result.run_requests), result.cursor
        (1, 'a')
        >>> SensorResult(skip_reason="nothing new").skip_reason
        SkipReason(skip_message='nothing new')
    """

    run_requests: tuple[RunRequest, ...]
    skip_reason: SkipReason | None
    cursor: str | None
    dynamic_partitions_requests: tuple[Any, ...]

    def __init__(
        self,
        run_requests: Iterable[RunRequest] | None = None,
        skip_reason: SkipReason | str | None = None,
        cursor: str | None = None,
        dynamic_partitions_requests: Iterable[Any] | None = None,
    ) -> None:
        requests = tuple(run_requests or ())
        for request in requests:
            if not isinstance(request, RunRequest):
                raise DefinitionError(f"SensorResult run_requests must be RunRequest objects, got {request!r}")
        reason = SkipReason(skip_reason) if isinstance(skip_reason, str) else skip_reason
        if requests and reason is not None:
            raise DefinitionError("SensorResult cannot have both run_requests and a skip_reason")
        if cursor is not None and not isinstance(cursor, str):
            raise DefinitionError(f"SensorResult cursor must be a string, got {type(cursor).__name__}")
        object.__setattr__(self, "run_requests", requests)
        object.__setattr__(self, "skip_reason", reason)
        object.__setattr__(self, "cursor", cursor)
        object.__setattr__(self, "dynamic_partitions_requests", tuple(dynamic_partitions_requests or ()))
