"""``pip install 'aloft[infra]'`` deploys without a checkout: the wheel carries aloft_cdk, its app, the handlers.

The wheel is built once (pip, isolated build: needs the package index or pip's cache;
skipped with the reason when it cannot), installed into a directory, and used from a
fresh interpreter that sees that directory before the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from _infra_synth import INFRA, REPO

from aloft.cli.deploy import APP_FILES

_OFFLINE = ("Could not find a version", "No matching distribution", "connection", "Network")


def _handlers() -> list[str]:
    tracked = subprocess.run(
        ["git", "ls-files", "functions"], cwd=REPO, capture_output=True, text=True, check=False
    )
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    return sorted(line for line in tracked.stdout.splitlines() if line.endswith(".py"))


# Never copied for the build: pip builds in the source tree and would leave build/ and egg-info.
_NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv*", "node_modules", "cdk.out", "build", "dist", "*.egg-info", "__pycache__",
    ".aloft", ".*_cache", "results",
)  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "aloft"
    shutil.copytree(REPO, source, symlinks=True, ignore=_NOT_SOURCES)
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        if any(marker in done.stderr for marker in _OFFLINE):
            pytest.skip(f"pip cannot build the wheel here (offline?): {done.stderr[-300:]}")
        pytest.fail(done.stderr[-3000:])
    (found,) = out.glob("aloft-*.whl")
    return found


def test_the_wheel_carries_the_construct_the_cdk_app_and_every_handler(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"aloft_cdk/__init__.py", "aloft_cdk/project.py", "aloft_cdk/bundling.py"} <= names
    for name in APP_FILES:
        data = zipfile.ZipFile(wheel).read(f"aloft_cdk/cdk-app/{name}")
        assert data == (INFRA / name).read_bytes(), f"the wheel's {name} differs from infra/{name}"
    for handler in _handlers():
        packaged = f"aloft_cdk/cdk-app/{handler}"
        assert packaged in names, f"{handler} is not in the wheel"
        assert zipfile.ZipFile(wheel).read(packaged) == (REPO / handler).read_bytes()
    assert not [n for n in names if "node_modules" in n or "__pycache__" in n]


_PROBE = """
import json, sys
from pathlib import Path
import aloft, aloft_cdk
from aloft_cdk.bundling import BundlePlan, aloft_source_root, functions_dir, runtime_requirements
from aloft.cli.deploy import locate_infra

project = Path(sys.argv[1])
plan = BundlePlan.runtime(project_root=project, definitions_module="shopdefs.definitions")
print(json.dumps({
    "aloft": aloft.__file__,
    "aloft_cdk": aloft_cdk.__file__,
    "checkout": None if aloft_source_root() is None else str(aloft_source_root()),
    "functions": str(functions_dir()),
    "copies": {name: str(source) for source, name in plan.copies},
    "requirements": runtime_requirements(),
    "infra": str(locate_infra(project)),
}))
"""


def test_an_installed_aloft_bundles_from_itself_and_writes_the_cdk_app_into_the_project(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    project = tmp_path / "project"
    (project / "shopdefs").mkdir(parents=True)
    (project / "shopdefs" / "__init__.py").write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("ALOFT_INFRA_DIR", "PYTHONPATH")}
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(site)!r}); " + _PROBE, str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["aloft"].startswith(str(site)) and found["aloft_cdk"].startswith(str(site))
    assert found["checkout"] is None
    assert found["functions"] == str(site / "aloft_cdk" / "cdk-app" / "functions")
    assert found["copies"]["aloft"] == str(site / "aloft")
    assert found["copies"]["run_step"] == str(
        site / "aloft_cdk" / "cdk-app" / "functions" / "run_step"
    )
    assert found["copies"]["shopdefs"] == str(project / "shopdefs")
    assert any(r.startswith("pydantic") for r in found["requirements"])
    assert any(r.startswith("aws-lambda-powertools[tracer]") for r in found["requirements"])
    assert not any(r.startswith(("moto", "boto3")) for r in found["requirements"])
    infra = Path(found["infra"])
    assert infra == project / ".aloft" / "cdk"
    for name in APP_FILES:
        assert (infra / name).read_bytes() == (INFRA / name).read_bytes(), name
