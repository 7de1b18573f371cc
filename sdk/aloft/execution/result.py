"""``ExecuteInProcessResult``: what ``materialize`` and ``execute_in_process`` return."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aloft.definitions.asset_key import AssetKey, CoercibleToAssetKey
from aloft.definitions.metadata import MetadataValue
from aloft.errors import AloftError, did_you_mean
from aloft.execution.step import StepOutcome, StepStatus
from aloft.storage.base import StateStore
from aloft.storage.records import MaterializationRecord, RunRecord

__all__ = ["AssetMaterialization", "AssetMaterializationEvent", "ExecuteInProcessResult"]


@dataclass(frozen=True)
class AssetMaterialization:
    """An asset (partition) was materialized, with this metadata."""

    asset_key: AssetKey
    metadata: Mapping[str, MetadataValue]
    partition: str | None = None

    @classmethod
    def from_record(cls, record: MaterializationRecord) -> AssetMaterialization:
        """Build from a stored record."""
        metadata = {label: MetadataValue.from_json(v) for label, v in record.metadata.items()}
        return cls(record.asset_key, metadata, record.partition_key)


@dataclass(frozen=True)
class AssetMaterializationEvent:
    """A materialization event of a run (Dagster's event shape: ``.asset_key``, ``.materialization``)."""

    step_key: str
    materialization: AssetMaterialization

    @property
    def asset_key(self) -> AssetKey:
        """The materialized asset."""
        return self.materialization.asset_key

    @property
    def event_type_value(self) -> str:
        """Dagster's event type name."""
        return "ASSET_MATERIALIZATION"


class ExecuteInProcessResult:
    """The outcome of an in-process run.

    Example:
        >>> from aloft import asset, materialize
        >>> @asset
        ... def one() -> int: return 1
        >>> result = materialize([one])
        >>> result.success, result.output_for_node("one")
        (True, 1)
    """

    def __init__(self, run: RunRecord, outcomes: Mapping[str, StepOutcome], store: StateStore) -> None:
        self.run = run
        self.outcomes = dict(outcomes)
        self.store = store

    @property
    def success(self) -> bool:
        """Whether every step succeeded."""
        return all(o.status is StepStatus.SUCCESS for o in self.outcomes.values())

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.run.run_id

    @property
    def dagster_run(self) -> RunRecord:
        """Dagster compatibility: the run record."""
        return self.run

    def _outcome(self, node_name: str) -> StepOutcome:
        if node_name not in self.outcomes:
            raise AloftError(f"no step '{node_name}' in this run." + did_you_mean(node_name, self.outcomes))
        return self.outcomes[node_name]

    def output_for_node(self, node_name: str, output_name: str = "result") -> Any:
        """The value a step returned for ``output_name``."""
        outcome = self._outcome(node_name)
        if output_name not in outcome.values:
            raise AloftError(
                f"step '{node_name}' has no stored output '{output_name}' (status {outcome.status.value})"
            )
        return outcome.values[output_name]

    def asset_value(self, asset_key: CoercibleToAssetKey) -> Any:
        """The value produced for an asset in this run."""
        key = AssetKey.from_coercible(asset_key)
        for outcome in self.outcomes.values():
            for record in outcome.materializations:
                if record.asset_key == key:
                    output = record.step_key
                    values = self.outcomes[output].values
                    return values["result"] if len(values) == 1 and "result" in values else values.get(
                        key.to_python_identifier(), values.get(key.path[-1])
                    )
        raise AloftError(f"asset '{key.to_user_string()}' was not materialized in this run")

    def asset_materializations_for_node(self, node_name: str) -> list[AssetMaterialization]:
        """The materializations a step produced."""
        return [AssetMaterialization.from_record(r) for r in self._outcome(node_name).materializations]

    def get_asset_materialization_events(self) -> list[AssetMaterializationEvent]:
        """Every materialization of the run, in step order."""
        return [
            AssetMaterializationEvent(outcome.step_key, AssetMaterialization.from_record(record))
            for outcome in self.outcomes.values()
            for record in outcome.materializations
        ]

    def get_step_success_events(self) -> list[str]:
        """The keys of the steps that succeeded."""
        return [k for k, o in self.outcomes.items() if o.status is StepStatus.SUCCESS]

    def get_failed_step_keys(self) -> list[str]:
        """The keys of the steps that failed."""
        return [k for k, o in self.outcomes.items() if o.status is StepStatus.FAILURE]

    def get_skipped_step_keys(self) -> list[str]:
        """The keys of the steps that were skipped."""
        return [k for k, o in self.outcomes.items() if o.status is StepStatus.SKIPPED]

    def __repr__(self) -> str:
        return f"<ExecuteInProcessResult run={self.run_id} success={self.success} steps={len(self.outcomes)}>"
