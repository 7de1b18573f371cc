"""Checks of a project's schedules and sensors, and the jobs they bring with them.

``validate_automation`` finds the mistakes Dagster reports when a repository
loads: two schedules or sensors with one name, a target job that does not exist.
``with_automation_jobs`` adds the jobs schedules and sensors were given as
objects but that ``Definitions(jobs=...)`` does not list (Dagster does the same).

Example:
    >>> from aloft import Definitions, define_asset_job
    >>> from aloft.automation.schedule import ScheduleDefinition
    >>> nightly = ScheduleDefinition(job=define_asset_job("nightly"), cron_schedule="@daily")
    >>> with_automation_jobs(Definitions(schedules=[nightly])).job_names
    ['nightly']
"""

from __future__ import annotations

from typing import Any

from aloft.definitions.definitions import IMPLICIT_JOB_NAME, Definitions
from aloft.errors import DefinitionError, did_you_mean

__all__ = ["automation_definitions", "missing_jobs", "validate_automation", "with_automation_jobs"]


def _targets(defs: Definitions) -> list[tuple[str, str | None, Any]]:
    found = []
    for item in (*defs.schedules, *defs.sensors):
        kind = "schedule" if hasattr(item, "cron_schedules") else "sensor"
        found.append((f"{kind} '{getattr(item, 'name', item)}'", getattr(item, "job_name", None), getattr(item, "job", None)))
    return found


def missing_jobs(defs: Definitions) -> list[Any]:
    """The job objects schedules and sensors target that ``Definitions(jobs=...)`` does not list."""
    known = set(defs.job_names)
    extra: dict[str, Any] = {}
    for _, name, job in _targets(defs):
        if job is not None and name is not None and name not in known and name not in extra:
            extra[name] = job
    return list(extra.values())


def with_automation_jobs(defs: Definitions) -> Definitions:
    """``defs`` plus every job object a schedule or sensor targets that ``jobs=`` does not list."""
    extra = {job.name: job for job in missing_jobs(defs)}
    if not extra:
        return defs
    return Definitions(
        assets=list(defs.assets),
        jobs=[*defs.jobs, *extra.values()],
        schedules=list(defs.schedules),
        sensors=list(defs.sensors),
        resources=defs.resources,
        asset_checks=list(defs.asset_checks),
        executor=defs.executor,
        loggers=defs.loggers,
    )


def validate_automation(defs: Definitions) -> None:
    """Raise a ``DefinitionError`` naming the schedule or sensor at fault (and a fix).

    Example:
        >>> from aloft import Definitions
        >>> from aloft.automation.schedule import ScheduleDefinition
        >>> validate_automation(Definitions(schedules=[ScheduleDefinition(job_name="nightyl", cron_schedule="@daily")]))
        Traceback (most recent call last):
        ...
        aloft.errors.DefinitionError: schedule 'nightyl_schedule' targets job 'nightyl', which is not defined. Jobs: none
    """
    seen: dict[str, str] = {}
    for item in (*defs.schedules, *defs.sensors):
        name = getattr(item, "name", None)
        kind = "schedule" if hasattr(item, "cron_schedules") else "sensor"
        if not isinstance(name, str):
            raise DefinitionError(f"Definitions({kind}s=...) got {item!r}, which is not a {kind}")
        if name in seen:
            raise DefinitionError(
                f"{kind} '{name}' has the same name as a {seen[name]}; schedule and sensor names must be unique "
                "(they name EventBridge schedules and cursors)"
            )
        seen[name] = kind
    jobs = set(defs.job_names) | {IMPLICIT_JOB_NAME}
    for label, name, job in _targets(defs):
        if name is None or job is not None or name in jobs:
            continue
        names = sorted(defs.job_names)
        raise DefinitionError(
            f"{label} targets job '{name}', which is not defined." + did_you_mean(name, names)
            + f" Jobs: {', '.join(names) or 'none'}"
        )


def automation_definitions(defs: Definitions) -> Definitions:
    """``defs`` with the jobs automation needs, validated: what the daemon and the handlers load."""
    complete = with_automation_jobs(defs)
    validate_automation(complete)
    return complete
