"""Infra tests: mark them, and synthesize the example projects ONCE per session (see ``_infra_synth``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _infra_synth import PROJECTS, Project, Synthesis, require_cdk, synthesize


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this directory is an infra test (``-m "not infra"`` deselects them)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.infra)


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesis]:
    """The session's one cloud assembly (skips, with the fix, without Node.js or aws-cdk-lib)."""
    require_cdk()
    yield synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(params=[key for key, _ in PROJECTS])
def project(request: pytest.FixtureRequest, synthesis: Synthesis) -> Project:
    """Each synthesized project in turn."""
    return synthesis.projects[request.param]
