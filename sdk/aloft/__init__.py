"""aloft: Dagster's programming model, serverless on AWS.

This module is the whole public API. Everything else is reachable but not
promised. Heavy dependencies (boto3, pandas, pyarrow) load only when used.

Example:
    >>> from aloft import asset, materialize
    >>> @asset
    ... def hello() -> str:
    ...     return "world"
    >>> materialize([hello]).success
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aloft.automation import AutomationCondition as AutomationCondition
    from aloft.automation import DefaultScheduleStatus as DefaultScheduleStatus
    from aloft.automation import DefaultSensorStatus as DefaultSensorStatus
    from aloft.automation import FreshnessPolicy as FreshnessPolicy
    from aloft.automation import RunFailureSensorContext as RunFailureSensorContext
    from aloft.automation import RunRequest as RunRequest
    from aloft.automation import RunStatusSensorContext as RunStatusSensorContext
    from aloft.automation import S3ObjectEvent as S3ObjectEvent
    from aloft.automation import S3SensorDefinition as S3SensorDefinition
    from aloft.automation import ScheduleDefinition as ScheduleDefinition
    from aloft.automation import ScheduleEvaluationContext as ScheduleEvaluationContext
    from aloft.automation import SensorDefinition as SensorDefinition
    from aloft.automation import SensorEvaluationContext as SensorEvaluationContext
    from aloft.automation import SensorResult as SensorResult
    from aloft.automation import SkipReason as SkipReason
    from aloft.automation import asset_sensor as asset_sensor
    from aloft.automation import build_run_status_sensor_context as build_run_status_sensor_context
    from aloft.automation import build_schedule_context as build_schedule_context
    from aloft.automation import (
        build_schedule_from_partitioned_job as build_schedule_from_partitioned_job,
    )
    from aloft.automation import build_sensor_context as build_sensor_context
    from aloft.automation import run_failure_sensor as run_failure_sensor
    from aloft.automation import run_status_sensor as run_status_sensor
    from aloft.automation import s3_sensor as s3_sensor
    from aloft.automation import schedule as schedule
    from aloft.automation import sensor as sensor
    from aloft.definitions.asset import AssetIn as AssetIn
    from aloft.definitions.asset import AssetOut as AssetOut
    from aloft.definitions.asset import AssetsDefinition as AssetsDefinition
    from aloft.definitions.asset import AssetSpec as AssetSpec
    from aloft.definitions.asset import asset as asset
    from aloft.definitions.asset import multi_asset as multi_asset
    from aloft.definitions.asset_key import AssetKey as AssetKey
    from aloft.definitions.config import Config as Config
    from aloft.definitions.config import EnvVar as EnvVar
    from aloft.definitions.config import RunConfig as RunConfig
    from aloft.definitions.definitions import Definitions as Definitions
    from aloft.definitions.jobs import AssetJobDefinition as AssetJobDefinition
    from aloft.definitions.jobs import define_asset_job as define_asset_job
    from aloft.definitions.metadata import MetadataValue as MetadataValue
    from aloft.definitions.metadata import TableColumn as TableColumn
    from aloft.definitions.metadata import TableRecord as TableRecord
    from aloft.definitions.metadata import TableSchema as TableSchema
    from aloft.definitions.node import ResourceParam as ResourceParam
    from aloft.definitions.op import In as In
    from aloft.definitions.op import JobDefinition as JobDefinition
    from aloft.definitions.op import OpDefinition as OpDefinition
    from aloft.definitions.op import Out as Out
    from aloft.definitions.op import graph as graph
    from aloft.definitions.op import job as job
    from aloft.definitions.op import op as op
    from aloft.definitions.policies import Backoff as Backoff
    from aloft.definitions.policies import Jitter as Jitter
    from aloft.definitions.policies import RetryPolicy as RetryPolicy
    from aloft.definitions.resources import ConfigurableResource as ConfigurableResource
    from aloft.definitions.results import MaterializeResult as MaterializeResult
    from aloft.definitions.results import Output as Output
    from aloft.definitions.selection import AssetSelection as AssetSelection
    from aloft.errors import AloftError as AloftError
    from aloft.errors import DefinitionError as DefinitionError
    from aloft.errors import ExecutionError as ExecutionError
    from aloft.errors import RunConfigError as RunConfigError
    from aloft.errors import StepExecutionError as StepExecutionError
    from aloft.execution.backfill import BackfillResult as BackfillResult
    from aloft.execution.backfill import backfill as backfill
    from aloft.execution.context import AssetExecutionContext as AssetExecutionContext
    from aloft.execution.context import OpExecutionContext as OpExecutionContext
    from aloft.execution.context import build_asset_context as build_asset_context
    from aloft.execution.context import build_op_context as build_op_context
    from aloft.execution.materialize import materialize as materialize
    from aloft.execution.materialize import materialize_to_memory as materialize_to_memory
    from aloft.execution.result import ExecuteInProcessResult as ExecuteInProcessResult
    from aloft.io.base import ConfigurableIOManager as ConfigurableIOManager
    from aloft.io.base import InputContext as InputContext
    from aloft.io.base import IOManager as IOManager
    from aloft.io.base import OutputContext as OutputContext
    from aloft.io.filesystem import FilesystemIOManager as FilesystemIOManager
    from aloft.io.memory import InMemoryIOManager as InMemoryIOManager
    from aloft.io.parquet import ParquetIOManager as ParquetIOManager
    from aloft.io.s3 import S3PickleIOManager as S3PickleIOManager
    from aloft.partitions import AddDynamicPartitionsRequest as AddDynamicPartitionsRequest
    from aloft.partitions import AllPartitionMapping as AllPartitionMapping
    from aloft.partitions import BackfillPolicy as BackfillPolicy
    from aloft.partitions import DailyPartitionsDefinition as DailyPartitionsDefinition
    from aloft.partitions import DeleteDynamicPartitionsRequest as DeleteDynamicPartitionsRequest
    from aloft.partitions import DynamicPartitionsDefinition as DynamicPartitionsDefinition
    from aloft.partitions import HourlyPartitionsDefinition as HourlyPartitionsDefinition
    from aloft.partitions import IdentityPartitionMapping as IdentityPartitionMapping
    from aloft.partitions import LastPartitionMapping as LastPartitionMapping
    from aloft.partitions import MonthlyPartitionsDefinition as MonthlyPartitionsDefinition
    from aloft.partitions import MultiPartitionKey as MultiPartitionKey
    from aloft.partitions import MultiPartitionsDefinition as MultiPartitionsDefinition
    from aloft.partitions import (
        MultiToSingleDimensionPartitionMapping as MultiToSingleDimensionPartitionMapping,
    )
    from aloft.partitions import PartitionKeyRange as PartitionKeyRange
    from aloft.partitions import PartitionMapping as PartitionMapping
    from aloft.partitions import PartitionsDefinition as PartitionsDefinition
    from aloft.partitions import StaticPartitionMapping as StaticPartitionMapping
    from aloft.partitions import StaticPartitionsDefinition as StaticPartitionsDefinition
    from aloft.partitions import TimeWindow as TimeWindow
    from aloft.partitions import TimeWindowPartitionMapping as TimeWindowPartitionMapping
    from aloft.partitions import TimeWindowPartitionsDefinition as TimeWindowPartitionsDefinition
    from aloft.partitions import WeeklyPartitionsDefinition as WeeklyPartitionsDefinition

__version__ = "0.1.0"

# Names are imported on first use (PEP 562) so that `import aloft` stays light;
# the TYPE_CHECKING block above is the same list, for type checkers and readers.
_EXPORTS: dict[str, str] = {
    "ScheduleDefinition": "aloft.automation",
    "schedule": "aloft.automation",
    "build_schedule_from_partitioned_job": "aloft.automation",
    "ScheduleEvaluationContext": "aloft.automation",
    "build_schedule_context": "aloft.automation",
    "DefaultScheduleStatus": "aloft.automation",
    "DefaultSensorStatus": "aloft.automation",
    "sensor": "aloft.automation",
    "SensorDefinition": "aloft.automation",
    "SensorEvaluationContext": "aloft.automation",
    "build_sensor_context": "aloft.automation",
    "SensorResult": "aloft.automation",
    "RunRequest": "aloft.automation",
    "SkipReason": "aloft.automation",
    "asset_sensor": "aloft.automation",
    "run_status_sensor": "aloft.automation",
    "run_failure_sensor": "aloft.automation",
    "RunStatusSensorContext": "aloft.automation",
    "RunFailureSensorContext": "aloft.automation",
    "build_run_status_sensor_context": "aloft.automation",
    "s3_sensor": "aloft.automation",
    "S3SensorDefinition": "aloft.automation",
    "S3ObjectEvent": "aloft.automation",
    "AutomationCondition": "aloft.automation",
    "FreshnessPolicy": "aloft.automation",
    "AssetIn": "aloft.definitions.asset",
    "AssetOut": "aloft.definitions.asset",
    "AssetsDefinition": "aloft.definitions.asset",
    "AssetSpec": "aloft.definitions.asset",
    "asset": "aloft.definitions.asset",
    "multi_asset": "aloft.definitions.asset",
    "AssetKey": "aloft.definitions.asset_key",
    "Config": "aloft.definitions.config",
    "EnvVar": "aloft.definitions.config",
    "RunConfig": "aloft.definitions.config",
    "Definitions": "aloft.definitions.definitions",
    "AssetJobDefinition": "aloft.definitions.jobs",
    "define_asset_job": "aloft.definitions.jobs",
    "MetadataValue": "aloft.definitions.metadata",
    "TableColumn": "aloft.definitions.metadata",
    "TableRecord": "aloft.definitions.metadata",
    "TableSchema": "aloft.definitions.metadata",
    "ResourceParam": "aloft.definitions.node",
    "In": "aloft.definitions.op",
    "JobDefinition": "aloft.definitions.op",
    "OpDefinition": "aloft.definitions.op",
    "Out": "aloft.definitions.op",
    "graph": "aloft.definitions.op",
    "job": "aloft.definitions.op",
    "op": "aloft.definitions.op",
    "Backoff": "aloft.definitions.policies",
    "Jitter": "aloft.definitions.policies",
    "RetryPolicy": "aloft.definitions.policies",
    "ConfigurableResource": "aloft.definitions.resources",
    "MaterializeResult": "aloft.definitions.results",
    "Output": "aloft.definitions.results",
    "AssetSelection": "aloft.definitions.selection",
    "AloftError": "aloft.errors",
    "DefinitionError": "aloft.errors",
    "ExecutionError": "aloft.errors",
    "RunConfigError": "aloft.errors",
    "StepExecutionError": "aloft.errors",
    "BackfillResult": "aloft.execution.backfill",
    "backfill": "aloft.execution.backfill",
    "AssetExecutionContext": "aloft.execution.context",
    "OpExecutionContext": "aloft.execution.context",
    "build_asset_context": "aloft.execution.context",
    "build_op_context": "aloft.execution.context",
    "materialize": "aloft.execution.materialize",
    "materialize_to_memory": "aloft.execution.materialize",
    "ExecuteInProcessResult": "aloft.execution.result",
    "ConfigurableIOManager": "aloft.io.base",
    "InputContext": "aloft.io.base",
    "IOManager": "aloft.io.base",
    "OutputContext": "aloft.io.base",
    "FilesystemIOManager": "aloft.io.filesystem",
    "InMemoryIOManager": "aloft.io.memory",
    "ParquetIOManager": "aloft.io.parquet",
    "S3PickleIOManager": "aloft.io.s3",
    "AddDynamicPartitionsRequest": "aloft.partitions",
    "AllPartitionMapping": "aloft.partitions",
    "BackfillPolicy": "aloft.partitions",
    "DailyPartitionsDefinition": "aloft.partitions",
    "DeleteDynamicPartitionsRequest": "aloft.partitions",
    "DynamicPartitionsDefinition": "aloft.partitions",
    "HourlyPartitionsDefinition": "aloft.partitions",
    "IdentityPartitionMapping": "aloft.partitions",
    "LastPartitionMapping": "aloft.partitions",
    "MonthlyPartitionsDefinition": "aloft.partitions",
    "MultiPartitionKey": "aloft.partitions",
    "MultiPartitionsDefinition": "aloft.partitions",
    "MultiToSingleDimensionPartitionMapping": "aloft.partitions",
    "PartitionKeyRange": "aloft.partitions",
    "PartitionMapping": "aloft.partitions",
    "PartitionsDefinition": "aloft.partitions",
    "StaticPartitionMapping": "aloft.partitions",
    "StaticPartitionsDefinition": "aloft.partitions",
    "TimeWindow": "aloft.partitions",
    "TimeWindowPartitionMapping": "aloft.partitions",
    "TimeWindowPartitionsDefinition": "aloft.partitions",
    "WeeklyPartitionsDefinition": "aloft.partitions",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'aloft' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
