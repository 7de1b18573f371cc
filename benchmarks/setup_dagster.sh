#!/usr/bin/env bash
# Create benchmarks/.venv-dagster with a pinned Dagster for the side-by-side benchmarks.
# Idempotent: does nothing if the pinned version is already installed.
#
#   bash benchmarks/setup_dagster.sh
#
# Environment overrides:
#   PYTHON          interpreter used to create the venv (default: the base interpreter
#                   of the project .venv, so both sides run the same CPython; else python3.11/python3)
#   DAGSTER_VERSION Dagster version to pin (default below)
set -euo pipefail

DAGSTER_VERSION="${DAGSTER_VERSION:-1.13.28}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$here/.venv-dagster"

if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then
        PYTHON="$("$root/.venv/bin/python" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')"
    elif command -v python3.11 >/dev/null 2>&1; then
        PYTHON=python3.11
    else
        PYTHON=python3
    fi
fi

installed_version() {
    "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("dagster"))' 2>/dev/null || true
}

if [[ -x "$venv/bin/python" && "$(installed_version)" == "$DAGSTER_VERSION" ]]; then
    echo "dagster $DAGSTER_VERSION already installed in ${venv#"$root"/}"
    exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
    echo "creating ${venv#"$root"/} with $PYTHON"
    "$PYTHON" -m venv "$venv"
fi

"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "dagster==$DAGSTER_VERSION"

echo "installed dagster $(installed_version) into ${venv#"$root"/}"
