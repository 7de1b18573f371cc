"""One local cloud (moto) for the whole end-to-end session: provisioning and the ASL grammar load once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aloft.cloud.local import LocalCloud


@pytest.fixture(scope="session")
def cloud() -> Iterator[LocalCloud]:
    from e2e_definitions import defs

    with LocalCloud(defs, instant_retries=True) as local:
        yield local
