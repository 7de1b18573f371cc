"""Partitions: time-window, static, multi-dimensional and dynamic partitions definitions,
partition mappings between assets, and backfill policies. Pure: no I/O, no clock unless
``current_time`` is omitted.

Example:
    >>> from datetime import datetime
    >>> from aloft.partitions import DailyPartitionsDefinition
    >>> DailyPartitionsDefinition("2026-01-01").get_last_partition_key(datetime(2026, 11, 21))
    '2026-11-20'
"""

from __future__ import annotations

from aloft.partitions.backfill_policy import BackfillPolicy as BackfillPolicy
from aloft.partitions.backfill_policy import BackfillPolicyType as BackfillPolicyType
from aloft.partitions.backfill_policy import chunk_partition_keys as chunk_partition_keys
from aloft.partitions.base import DynamicPartitionsStore as DynamicPartitionsStore
from aloft.partitions.base import PartitionKeyRange as PartitionKeyRange
from aloft.partitions.base import PartitionsDefinition as PartitionsDefinition
from aloft.partitions.dynamic import AddDynamicPartitionsRequest as AddDynamicPartitionsRequest
from aloft.partitions.dynamic import (
    DeleteDynamicPartitionsRequest as DeleteDynamicPartitionsRequest,
)
from aloft.partitions.dynamic import DynamicPartitionsDefinition as DynamicPartitionsDefinition
from aloft.partitions.errors import PartitionKeyError as PartitionKeyError
from aloft.partitions.errors import PartitionMappingError as PartitionMappingError
from aloft.partitions.errors import PartitionsDefinitionError as PartitionsDefinitionError
from aloft.partitions.mapping import AllPartitionMapping as AllPartitionMapping
from aloft.partitions.mapping import IdentityPartitionMapping as IdentityPartitionMapping
from aloft.partitions.mapping import LastPartitionMapping as LastPartitionMapping
from aloft.partitions.mapping import (
    MultiToSingleDimensionPartitionMapping as MultiToSingleDimensionPartitionMapping,
)
from aloft.partitions.mapping import PartitionMapping as PartitionMapping
from aloft.partitions.mapping import StaticPartitionMapping as StaticPartitionMapping
from aloft.partitions.mapping import TimeWindowPartitionMapping as TimeWindowPartitionMapping
from aloft.partitions.mapping import UpstreamPartitionsResult as UpstreamPartitionsResult
from aloft.partitions.mapping import infer_partition_mapping as infer_partition_mapping
from aloft.partitions.mapping import validate_partition_mapping as validate_partition_mapping
from aloft.partitions.multi import MultiPartitionKey as MultiPartitionKey
from aloft.partitions.multi import MultiPartitionsDefinition as MultiPartitionsDefinition
from aloft.partitions.multi import PartitionDimensionDefinition as PartitionDimensionDefinition
from aloft.partitions.multi import PartitionDimensionKey as PartitionDimensionKey
from aloft.partitions.static import StaticPartitionsDefinition as StaticPartitionsDefinition
from aloft.partitions.time_window import DailyPartitionsDefinition as DailyPartitionsDefinition
from aloft.partitions.time_window import HourlyPartitionsDefinition as HourlyPartitionsDefinition
from aloft.partitions.time_window import MonthlyPartitionsDefinition as MonthlyPartitionsDefinition
from aloft.partitions.time_window import ScheduleType as ScheduleType
from aloft.partitions.time_window import TimeWindow as TimeWindow
from aloft.partitions.time_window import (
    TimeWindowPartitionsDefinition as TimeWindowPartitionsDefinition,
)
from aloft.partitions.time_window import WeeklyPartitionsDefinition as WeeklyPartitionsDefinition

__all__ = [
    "AddDynamicPartitionsRequest",
    "AllPartitionMapping",
    "BackfillPolicy",
    "BackfillPolicyType",
    "DailyPartitionsDefinition",
    "DeleteDynamicPartitionsRequest",
    "DynamicPartitionsDefinition",
    "DynamicPartitionsStore",
    "HourlyPartitionsDefinition",
    "IdentityPartitionMapping",
    "LastPartitionMapping",
    "MonthlyPartitionsDefinition",
    "MultiPartitionKey",
    "MultiPartitionsDefinition",
    "MultiToSingleDimensionPartitionMapping",
    "PartitionDimensionDefinition",
    "PartitionDimensionKey",
    "PartitionKeyError",
    "PartitionKeyRange",
    "PartitionMapping",
    "PartitionMappingError",
    "PartitionsDefinition",
    "PartitionsDefinitionError",
    "ScheduleType",
    "StaticPartitionMapping",
    "StaticPartitionsDefinition",
    "TimeWindow",
    "TimeWindowPartitionMapping",
    "TimeWindowPartitionsDefinition",
    "UpstreamPartitionsResult",
    "WeeklyPartitionsDefinition",
    "chunk_partition_keys",
    "infer_partition_mapping",
    "validate_partition_mapping",
]
