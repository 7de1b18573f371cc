"""Infra benchmarks: how long ``aloft synth`` takes, how big and how fast the Lambda bundle is.

    .venv/bin/python benchmarks/bench_infra.py            # table on stdout, JSON in results/infra.json
    .venv/bin/python benchmarks/bench_infra.py --json

Measured:

* ``synth``: ``aloft synth`` of ``examples/quickstart`` through the pinned CDK CLI,
  with bundling and cdk-nag, as a user runs it (target <= 30 s). Run twice: the
  first builds the Lambda bundle with pip (wheels from pip's cache once warm), the
  second finds it in CDK's asset cache... only if nothing changed, so both are shown;
* ``bundle``: the ``run_step`` code bundle without the user's dependencies, unzipped
  and zipped (target <= 15 MB);
* ``handler import``: importing ``run_step/handler.py`` in a fresh Python 3.12 (Lambda's
  version) with only the bundle and the runtime-provided boto3 on ``sys.path``, as on
  Lambda: no ``.pyc`` files (the bundle ships none and ``/var/task`` is read-only) and,
  for reference, with them (target <= 0.3 s). Measured twice: as tests, the local cloud
  and this benchmark import it (no Lambda environment, so no X-Ray), and with the
  variables Lambda sets (``LAMBDA_TASK_ROOT``...), where the handler builds powertools'
  Tracer and X-Ray patches botocore: the import a cold start really pays. Every other
  handler is timed the same way. Skipped without a Python 3.12 here.

Needs Node.js, ``infra/node_modules`` (``npm ci --prefix infra``) and ``aloft[infra]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
INFRA = ROOT / "infra"
RESULTS = HERE / "results"
CACHE = RESULTS / ".cache"  # results/ is gitignored

TARGETS = {
    "synth_seconds": 30.0,
    "bundle_mb": 15.0,
    "handler_import_seconds": 0.3,
    "handler_import_in_lambda_seconds": 0.3,
}

_ALOFT = (
    "import sys; from unittest import mock; import aloft.cli.main as m; "
    "mods = tuple(dict.fromkeys((*m.COMMAND_MODULES, 'aloft.cli.deploy'))); "
    "mock.patch.object(m, 'COMMAND_MODULES', mods).start(); sys.exit(m.main(sys.argv[1:]))"
)


def _python312() -> Path | None:
    """A Python 3.12 interpreter (Lambda's runtime version), from PATH or pyenv."""
    found = shutil.which("python3.12")
    candidates = [Path(found)] if found else []
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(pyenv_root.glob("versions/3.12*/bin/python3.12"), reverse=True)
    for candidate in candidates:
        try:
            out = subprocess.run([str(candidate), "-c", "import sys; print(sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == "(3, 12)":
            return candidate
    return None


def bench_synth(project_dir: Path) -> dict[str, Any]:
    """Wall time of ``aloft synth`` (twice) in ``project_dir``."""
    runs = []
    env = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true"}
    for _ in range(2):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _ALOFT, "synth"], cwd=project_dir, env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        runs.append(round(time.perf_counter() - started, 2))
        if done.returncode != 0:
            return {"error": done.stderr[-3000:], "runs": runs}
    return {"synth_seconds": max(runs), "runs": runs}


def bench_bundle(out: Path) -> dict[str, Any]:
    """Build the runtime bundle of the quickstart (no user requirements) and weigh it."""
    sys.path.insert(0, str(INFRA))
    from aloft_cdk.bundling import BundlePlan, build_bundle

    plan = BundlePlan.runtime(
        project_root=ROOT, definitions_module="examples.quickstart.definitions"
    )
    started = time.perf_counter()
    build_bundle(plan, out)
    seconds = time.perf_counter() - started
    files = [p for p in out.rglob("*") if p.is_file()]
    unzipped = sum(p.stat().st_size for p in files)
    archive = out.parent / "bundle.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in files:
            zipped.write(path, path.relative_to(out))
    largest = sorted(
        ((sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir() else p.stat().st_size, p.name)
         for p in out.iterdir()),
        reverse=True,
    )[:6]  # fmt: skip
    return {
        "bundle_mb": round(unzipped / 1e6, 2),
        "bundle_zip_mb": round(archive.stat().st_size / 1e6, 2),
        "bundle_files": len(files),
        "bundle_build_seconds": round(seconds, 2),
        "largest": {name: round(size / 1e6, 2) for size, name in largest},
    }


def _runtime_shim(python: Path) -> Path:
    """boto3/botocore as the Lambda runtime provides them (cached under benchmarks/results/.cache)."""
    shim = CACHE / "lambda-runtime-boto3"
    if not (shim / "boto3").is_dir():
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--target", str(shim), "boto3"], check=True)  # fmt: skip
    return shim


# What the Lambda service sets in every execution environment (stand-in values): with them the
# handlers build powertools' Tracer, which imports the X-Ray SDK and patches botocore.
LAMBDA_ENVIRONMENT = {
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_LAMBDA_FUNCTION_NAME": "aloft-bench",
    "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.2:2000",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
}
HANDLERS = ("run_step", "gate", "run_status", "sensor", "schedule_tick", "automation")


def _import_once(
    python: Path, paths: list[Path], module: str, *, bytecode: bool, in_lambda: bool = False
) -> float:
    code = (
        "import sys, time; sys.path[:0] = " + repr([str(p) for p in paths]) + "; "
        f"t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        **(LAMBDA_ENVIRONMENT if in_lambda else {}),
    }
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [str(python), "-I", "-S", "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return float(done.stdout.strip().splitlines()[-1])


def _handler_module(bundle: Path, role: str) -> str:
    return f"{role}.handler" if (bundle / role / "handler.py").is_file() else role


def bench_handler_import(bundle: Path, *, repeat: int = 5) -> dict[str, Any]:
    """Best and median time to import each handler from the bundle in a fresh interpreter."""
    module = _handler_module(bundle, "run_step")
    python = _python312()
    if python is None:
        # The bundle's binary wheels are built for cp312: another interpreter cannot import it.
        return {
            "skipped": "no Python 3.12 on this machine (PATH or pyenv) to import the cp312 bundle with"
        }
    shim = _runtime_shim(python)
    paths = [bundle, shim]
    for cache in bundle.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    cold = [_import_once(python, paths, module, bytecode=False) for _ in range(repeat)]
    in_lambda = [
        _import_once(python, paths, module, bytecode=False, in_lambda=True) for _ in range(repeat)
    ]
    others = {
        role: {
            "outside_lambda": round(min(_import_once(python, paths, _handler_module(bundle, role), bytecode=False) for _ in range(3)), 3),
            "in_lambda": round(min(_import_once(python, paths, _handler_module(bundle, role), bytecode=False, in_lambda=True) for _ in range(3)), 3),
        }
        for role in HANDLERS
        if role != "run_step"
    }  # fmt: skip
    _import_once(python, paths, module, bytecode=True)  # writes .pyc files
    warm = [_import_once(python, paths, module, bytecode=True) for _ in range(repeat)]
    breakdown = _import_breakdown(python, paths, module)
    return {
        # Best of `repeat` fresh interpreters: the least disturbed by other load on the machine.
        "handler_import_seconds": round(min(cold), 3),
        "handler_import_median_seconds": round(statistics.median(cold), 3),
        "handler_import_in_lambda_seconds": round(min(in_lambda), 3),
        "handler_import_in_lambda_median_seconds": round(statistics.median(in_lambda), 3),
        "handler_import_with_pyc_seconds": round(min(warm), 3),
        "other_handlers_seconds": others,
        "interpreter": "python3.12 (Lambda's version), bundle + runtime boto3 only, no .pyc as on Lambda",
        "slowest_imports_ms": breakdown,
    }


def _import_breakdown(python: Path, paths: list[Path], module: str) -> dict[str, float]:
    """What the handler module imports directly, by cumulative import time (``-X importtime``)."""
    code = "import sys; sys.path[:0] = " + repr([str(p) for p in paths]) + f"; import {module}"
    done = subprocess.run([str(python), "-I", "-S", "-X", "importtime", "-c", code], capture_output=True,
                          text=True, env={"AWS_REGION": "eu-west-1"}, check=False)  # fmt: skip
    direct: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        # importtime indents by two spaces per level: level 1 = imported by the handler itself.
        if cumulative.strip().isdigit() and len(name) - len(name.lstrip()) == 3:
            direct[name.strip()] = round(int(cumulative) / 1000, 1)
    return dict(sorted(direct.items(), key=lambda kv: -kv[1])[:8])


def main(argv: list[str] | None = None) -> int:
    """Run every infra benchmark and print (and save) the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--skip-synth", action="store_true", help="only the bundle and import benchmarks"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="aloft-bench-infra-") as tmp:
        bundle = Path(tmp) / "bundle"
        results["bundle"] = bench_bundle(bundle)
        results["handler_import"] = bench_handler_import(bundle)
    if not args.skip_synth:
        if shutil.which("node") is None or not (INFRA / "node_modules" / ".bin" / "cdk").exists():
            results["synth"] = {"skipped": "needs Node.js and `npm ci --prefix infra`"}
        else:
            results["synth"] = bench_synth(ROOT)
    figures = {
        key: value for part in results.values() for key, value in part.items() if key in TARGETS
    }
    results["targets"] = {
        key: {
            "value": figures.get(key),
            "target": target,
            "met": None if key not in figures else figures[key] <= target,
        }
        for key, target in TARGETS.items()
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "infra.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    if args.json:
        print(json.dumps(results, indent=2, sort_keys=True))
    else:
        for key, target in results["targets"].items():
            mark = {True: "ok", False: "MISSED", None: "n/a"}[target["met"]]
            print(f"{key:<28} {target['value']!s:>8}  (target <= {target['target']})  {mark}")
        print(
            json.dumps(
                {k: v for k, v in results.items() if k != "targets"}, indent=2, sort_keys=True
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
