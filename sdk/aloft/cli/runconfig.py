"""Reading ``--config FILE`` (YAML or JSON) for a run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aloft.errors import RunConfigError

__all__ = ["read_run_config"]


def read_run_config(path: str | None) -> dict[str, Any]:
    """The run config in ``path`` (``.json``, ``.yaml`` or ``.yml``), or ``{}``."""
    if not path:
        return {}
    file = Path(path)
    if not file.is_file():
        raise RunConfigError(f"config file {path} does not exist")
    text = file.read_text()
    try:
        if file.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
    except Exception as err:
        raise RunConfigError(f"config file {path} is not valid {file.suffix.lstrip('.').upper()}: {err}") from err
    if not isinstance(data, dict):
        raise RunConfigError(f"config file {path} must hold a mapping like {{'ops': {{...}}}}")
    return data
