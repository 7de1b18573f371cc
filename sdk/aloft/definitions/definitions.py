"""``Definitions``: everything a project defines, validated once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aloft.definitions.asset import AssetsDefinition, AssetSpec
from aloft.definitions.asset_key import AssetKey
from aloft.definitions.jobs import AssetJobDefinition, define_asset_job
from aloft.errors import DefinitionError, did_you_mean

if TYPE_CHECKING:
    from aloft.asset_graph import AssetGraph
    from aloft.definitions.op import JobDefinition

__all__ = ["IMPLICIT_JOB_NAME", "Definitions"]

IMPLICIT_JOB_NAME = "__ASSET_JOB"
DEFAULT_IO_MANAGER_KEY = "io_manager"


def _normalize_assets(assets: Iterable[Any]) -> list[AssetsDefinition]:
    result: list[AssetsDefinition] = []
    for item in assets:
        if isinstance(item, AssetsDefinition):
            result.append(item)
        elif isinstance(item, AssetSpec):
            result.append(AssetsDefinition.from_spec(item))
        else:
            raise DefinitionError(
                f"Definitions(assets=...) got {item!r}; pass @asset/@multi_asset functions or AssetSpec"
            )
    return result


class Definitions:
    """The assets, jobs, schedules, sensors and resources of a project.

    Construction validates the asset graph, every resource key and every
    job's selection, so a mistake surfaces when the project is loaded.

    Example:
        >>> from aloft import asset, define_asset_job
        >>> @asset
        ... def numbers() -> list[int]: return [1, 2]
        >>> defs = Definitions(assets=[numbers], jobs=[define_asset_job("all_numbers")])
        >>> defs.get_job_def("all_numbers").name
        'all_numbers'
    """

    def __init__(
        self,
        assets: Iterable[AssetsDefinition | AssetSpec] | None = None,
        jobs: Iterable[AssetJobDefinition | JobDefinition] | None = None,
        schedules: Iterable[Any] | None = None,
        sensors: Iterable[Any] | None = None,
        resources: Mapping[str, Any] | None = None,
        asset_checks: Iterable[Any] | None = None,
        executor: Any = None,
        loggers: Mapping[str, Any] | None = None,
    ) -> None:
        self.assets: tuple[AssetsDefinition, ...] = tuple(_normalize_assets(assets or ()))
        self.jobs: tuple[AssetJobDefinition | JobDefinition, ...] = tuple(jobs or ())
        self.schedules: tuple[Any, ...] = tuple(schedules or ())
        self.sensors: tuple[Any, ...] = tuple(sensors or ())
        self.resources: dict[str, Any] = dict(resources or {})
        self.asset_checks: tuple[Any, ...] = tuple(asset_checks or ())
        self.executor = executor
        self.loggers = dict(loggers or {})
        if self.schedules or self.sensors:
            from aloft.automation.validation import missing_jobs

            # As in Dagster, a job given to a schedule or sensor belongs to the project.
            self.jobs = (*self.jobs, *missing_jobs(self))
        self._validate()

    # -- validation ----------------------------------------------------------------------
    def _validate(self) -> None:
        graph = self.get_asset_graph()
        available = set(self.resources) | {DEFAULT_IO_MANAGER_KEY}
        for assets_def in graph.assets_defs:
            node = assets_def.node
            label = f"asset '{assets_def.keys[0].to_user_string()}'" if assets_def.keys else node.name
            for key in sorted(node.resource_keys):
                if key not in available:
                    raise DefinitionError(
                        f"{label} needs resource '{key}', which is not provided."
                        + did_you_mean(key, available)
                        + f" Pass it in Definitions(resources={{'{key}': ...}}) or materialize(resources=...)."
                    )
            for output in node.outputs:
                if output.io_manager_key not in available:
                    raise DefinitionError(
                        f"{label} uses io_manager_key '{output.io_manager_key}', which is not a resource."
                        + did_you_mean(output.io_manager_key, available)
                    )
        names: set[str] = set()
        for job in self.jobs:
            if job.name in names:
                raise DefinitionError(f"two jobs are named '{job.name}'; job names must be unique")
            names.add(job.name)
            if isinstance(job, AssetJobDefinition):
                try:
                    job.selection.resolve(graph)
                except DefinitionError as err:
                    raise DefinitionError(f"job '{job.name}': {err}") from None
        self._validate_partition_mappings(graph)
        if self.schedules or self.sensors:
            from aloft.automation.validation import validate_automation

            validate_automation(self)

    def _validate_partition_mappings(self, graph: AssetGraph) -> None:
        try:
            from aloft.partitions.mapping import validate_partition_mapping
        except ImportError:  # partitions not available in this build
            return
        for assets_def in graph.assets_defs:
            for node_input in assets_def.node.inputs:
                if node_input.asset_key is None or not graph.has(node_input.asset_key):
                    continue
                upstream = graph.get(node_input.asset_key)
                if assets_def.partitions_def is None and upstream.partitions_def is None:
                    continue
                validate_partition_mapping(
                    assets_def.keys[0].to_user_string(),
                    node_input.asset_key.to_user_string(),
                    node_input.partition_mapping,
                    assets_def.partitions_def,
                    upstream.partitions_def,
                )

    # -- views -----------------------------------------------------------------------------
    def get_asset_graph(self) -> AssetGraph:
        """The validated asset graph (built once)."""
        return self._asset_graph

    @cached_property
    def _asset_graph(self) -> AssetGraph:
        from aloft.asset_graph import AssetGraph

        return AssetGraph.from_assets(self.assets)

    def get_job_def(self, name: str) -> AssetJobDefinition | JobDefinition:
        """A job by name; the implicit ``__ASSET_JOB`` selects every asset."""
        for job in self.jobs:
            if job.name == name:
                return job
        if name == IMPLICIT_JOB_NAME:
            return define_asset_job(IMPLICIT_JOB_NAME.strip("_"), selection=None)
        names = [job.name for job in self.jobs]
        raise DefinitionError(
            f"no job named '{name}'." + did_you_mean(name, names) + f" Jobs: {sorted(names) or 'none'}"
        )

    @property
    def job_names(self) -> list[str]:
        """The names of the jobs, sorted."""
        return sorted(job.name for job in self.jobs)

    def resolve_job_keys(self, name: str) -> set[AssetKey]:
        """The asset keys an asset job materializes."""
        job = self.get_job_def(name)
        if not isinstance(job, AssetJobDefinition):
            raise DefinitionError(f"job '{name}' is an op job; it materializes no assets")
        return job.selection.resolve(self.get_asset_graph())

    def get_schedule_def(self, name: str) -> Any:
        """A schedule by name."""
        return self._by_name(self.schedules, name, "schedule")

    def get_sensor_def(self, name: str) -> Any:
        """A sensor by name."""
        return self._by_name(self.sensors, name, "sensor")

    @staticmethod
    def _by_name(items: Sequence[Any], name: str, kind: str) -> Any:
        for item in items:
            if item.name == name:
                return item
        names = [item.name for item in items]
        raise DefinitionError(f"no {kind} named '{name}'." + did_you_mean(name, names))

    @staticmethod
    def merge(*defs: Definitions) -> Definitions:
        """Combine several Definitions; a resource key given twice with different values is an error.

        Example:
            >>> Definitions.merge(Definitions(), Definitions()).assets
            ()
        """
        resources: dict[str, Any] = {}
        for d in defs:
            for key, value in d.resources.items():
                if key in resources and resources[key] is not value:
                    raise DefinitionError(
                        f"Definitions.merge: resource '{key}' is defined differently in two Definitions"
                    )
                resources[key] = value
        return Definitions(
            assets=[a for d in defs for a in d.assets],
            jobs=[j for d in defs for j in d.jobs],
            schedules=[s for d in defs for s in d.schedules],
            sensors=[s for d in defs for s in d.sensors],
            resources=resources,
            asset_checks=[c for d in defs for c in d.asset_checks],
        )

    def __repr__(self) -> str:
        return (
            f"<Definitions {len(self.assets)} asset definitions, {len(self.jobs)} jobs, "
            f"{len(self.schedules)} schedules, {len(self.sensors)} sensors>"
        )
