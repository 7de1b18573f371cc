"""Building the Lambda code locally, without Docker.

Two bundles, both built by ``pip install --target ... --platform manylinux2014_x86_64
--implementation cp --python-version 3.12 --only-binary=:all:`` on the machine
that synthesizes (so binary wheels match Lambda's Amazon Linux, whatever the host):

* the **runtime bundle** (the functions' code): aloft's runtime dependencies,
  the ``aloft`` package, the handlers in ``functions/`` and the user's project
  package. It must stay small (a benchmark keeps it under 15 MB) because every
  function cold-starts from it;
* the **dependencies layer**: the user's own requirements (pandas, ...), only
  when the project declares some.

Packages the Lambda Python runtime already provides (boto3 and botocore with
their own dependencies) are removed from both: they are most of the size, and
a second copy of urllib3 next to the runtime's botocore is a known source of
breakage.

This module plans the work as plain data (:class:`BundlePlan`) so it can be
tested and benchmarked without CDK; :class:`LocalPipBundling` is the thin
``ILocalBundling`` that CDK calls.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "PACKAGED_APP",
    "PROVIDED_BY_LAMBDA_RUNTIME",
    "BundleError",
    "BundlePlan",
    "aloft_source_root",
    "build_bundle",
    "functions_dir",
    "runtime_requirements",
]

# What aloft_cdk ships besides its modules: the CDK app (app.py, cdk.json, package.json and
# its lock) and the Lambda handlers. In a checkout these are links to infra/ and functions/;
# a wheel carries copies, so `pip install aloft[infra]` can deploy without a checkout.
PACKAGED_APP = Path(__file__).resolve().parent / "cdk-app"

# Provided by the Lambda Python runtime (boto3 and botocore's own dependencies); bundling them
# only adds size, and a second urllib3 next to the runtime's botocore is a known breakage.
PROVIDED_BY_LAMBDA_RUNTIME = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "dateutil", "six"}
)
# aloft's [aws] extra also carries the emulator used by tests and `aloft dev`: never shipped.
# PyYAML only reads the CLI's run-config files (imported lazily there); its C extension alone
# is 2.7 MB of the 15 MB the runtime bundle may weigh.
NOT_FOR_LAMBDA = frozenset({"moto", "pyyaml"}) | PROVIDED_BY_LAMBDA_RUNTIME
# Never copied from source trees into a bundle.
_IGNORED = shutil.ignore_patterns(
    "__pycache__", "*.pyc", ".aloft", ".pytest_cache", ".mypy_cache", "*.egg-info"
)
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


class BundleError(RuntimeError):
    """Bundling failed; the message says what to change."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def aloft_source_root() -> Path | None:
    """The checkout aloft runs from (``pyproject.toml``, ``sdk/aloft``), or None for a wheel install."""
    import aloft

    root = Path(aloft.__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    in_checkout = (root / "sdk" / "aloft").is_dir() and pyproject.is_file()
    if (
        in_checkout
        and tomllib.loads(pyproject.read_text()).get("project", {}).get("name") == "aloft"
    ):
        return root
    return None


def functions_dir() -> Path:
    """The Lambda handlers: ``functions/`` of the checkout, or their copy inside an installed aloft_cdk."""
    found = (PACKAGED_APP / "functions").resolve()
    if not (found / "run_step" / "handler.py").is_file():
        raise BundleError(
            f"aloft's Lambda handlers are missing (expected {found}/run_step/handler.py): "
            "reinstall aloft with `pip install 'aloft[infra]'`, or deploy from a checkout"
        )
    return found


def _requirement_lines(root: Path | None) -> list[str]:
    """aloft's requirements with their markers: from pyproject.toml (fresh) or installed metadata."""
    pyproject = root / "pyproject.toml" if root is not None else None
    if pyproject is not None and pyproject.is_file():
        project = tomllib.loads(pyproject.read_text()).get("project", {})
        if project.get("name") == "aloft":
            lines = list(project.get("dependencies", []))
            for extra, deps in project.get("optional-dependencies", {}).items():
                lines += [f'{dep}; extra == "{extra}"' for dep in deps]
            return lines
    from importlib.metadata import requires

    return list(requires("aloft") or [])


def runtime_requirements(
    root: Path | None = None, *, extras: Iterable[str] = ("aws",)
) -> list[str]:
    """What the Lambda functions need installed: aloft's core and ``[aws]`` dependencies.

    Emulators and what the Lambda runtime already provides are left out.

    Example:
        >>> reqs = runtime_requirements()
        >>> any(r.startswith("pydantic") for r in reqs), any(r.startswith("moto") for r in reqs)
        (True, False)
    """
    wanted = set(extras)
    result = []
    for line in _requirement_lines(root or aloft_source_root()):  # None: the installed metadata
        requirement, _, marker = line.partition(";")
        extra = _EXTRA_MARKER.search(marker)
        if marker.strip() and (extra is None or extra.group(1) not in wanted):
            continue
        match = _NAME.match(requirement)
        if match is None or _canonical(match.group(1)) in NOT_FOR_LAMBDA:
            continue
        # Nested self-references such as aloft[aws,data] are resolved by listing extras instead.
        if _canonical(match.group(1)) == "aloft":
            continue
        requirement = requirement.strip()
        if _canonical(match.group(1)) == "aws-lambda-powertools" and "[" not in requirement:
            # Every function is deployed with X-Ray tracing on and the handlers trace with
            # powertools' Tracer, which needs the X-Ray SDK of its [tracer] extra.
            requirement = requirement.replace(match.group(1), f"{match.group(1)}[tracer]", 1)
        result.append(requirement)
    return sorted(set(result))


@dataclass(frozen=True, kw_only=True)
class BundlePlan:
    """What goes into one bundle.

    ``requirements`` are pip specifiers installed for Lambda's platform;
    ``copies`` are ``(source, name)`` pairs copied to ``<out>/<subdir>/<name>``.
    ``subdir`` is ``python`` for a layer, empty for function code.

    Example:
        >>> BundlePlan(requirements=("croniter>=2",), python_version="3.12").pip_command("out")[-1]
        'croniter>=2'
    """

    requirements: tuple[str, ...] = ()
    requirements_file: Path | None = None
    copies: tuple[tuple[Path, str], ...] = ()
    python_version: str = "3.12"
    platform: str = "manylinux2014_x86_64"
    subdir: str = ""

    def pip_command(self, target: str | Path) -> list[str]:
        """The ``pip install`` that fetches wheels for Lambda's platform into ``target``."""
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-input", "--no-compile", "--target", str(target),
            "--platform", self.platform, "--implementation", "cp",
            "--python-version", self.python_version, "--only-binary=:all:",
        ]  # fmt: skip
        if self.requirements_file is not None:
            command += ["--requirement", str(self.requirements_file)]
        return command + list(self.requirements)

    @classmethod
    def runtime(
        cls, *, project_root: Path, definitions_module: str, python_version: str = "3.12"
    ) -> BundlePlan:
        """The functions' code: aloft, its runtime dependencies, the handlers and the user's package."""
        import aloft

        copies: list[tuple[Path, str]] = [(Path(aloft.__file__).resolve().parent, "aloft")]
        copies += [
            (path, path.name)
            for path in sorted(functions_dir().iterdir())
            if path.suffix == ".py" or (path.is_dir() and path.name != "__pycache__")
        ]
        copies.append(_user_package(project_root, definitions_module))
        return cls(
            requirements=tuple(runtime_requirements(aloft_source_root())),
            copies=tuple(copies),
            python_version=python_version,
        )

    @classmethod
    def dependencies_layer(
        cls,
        *,
        requirements: Sequence[str],
        requirements_file: Path | None = None,
        python_version: str = "3.12",
    ) -> BundlePlan:
        """The user's requirements, as a Lambda layer (``python/`` inside the zip)."""
        return cls(
            requirements=tuple(requirements),
            requirements_file=requirements_file,
            python_version=python_version,
            subdir="python",
        )


def _user_package(root: Path, module: str) -> tuple[Path, str]:
    """The top-level package (or module file) of the user's definitions."""
    top = module.split(".")[0]
    for candidate, name in ((root / top, top), (root / f"{top}.py", f"{top}.py")):
        if candidate.exists():
            return candidate, name
    raise BundleError(
        f"the definitions module {module!r} is not under the project root {root}: expected "
        f"{root / top}/ or {root / top}.py. Set [tool.aloft] module to a package of this project."
    )


def build_bundle(plan: BundlePlan, output_dir: str | Path) -> Path:
    """Run ``plan`` into ``output_dir`` (created if needed) and return the directory."""
    out = Path(output_dir) / plan.subdir if plan.subdir else Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if plan.requirements or plan.requirements_file:
        completed = subprocess.run(
            plan.pip_command(out), capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            raise BundleError(
                "pip could not fetch Lambda wheels (manylinux2014_x86_64, "
                f"cp{plan.python_version.replace('.', '')}): every requirement needs a binary wheel "
                f"for that platform.\n{completed.stderr.strip()[-2000:]}"
            )
        _remove_runtime_provided(out)
    for source, name in plan.copies:
        destination = out / name
        if source.is_dir():
            shutil.copytree(source, destination, ignore=_IGNORED, dirs_exist_ok=True)
        else:
            shutil.copy2(source, destination)
    return Path(output_dir)


def _remove_runtime_provided(out: Path) -> None:
    """Drop packages the Lambda runtime provides, pulled in transitively (pynamodb -> botocore)."""
    for entry in list(out.iterdir()):
        stem = (
            entry.name.split("-")[0] if entry.name.endswith((".dist-info", ".data")) else entry.name
        )
        if _canonical(stem.removesuffix(".py")) in PROVIDED_BY_LAMBDA_RUNTIME:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    bin_dir = out / "bin"
    if bin_dir.is_dir():  # console scripts are useless inside Lambda
        shutil.rmtree(bin_dir)
    # Type stubs and pip's install records are never read at run time.
    for path in [*out.rglob("*.pyi"), *out.glob("*.dist-info/RECORD")]:
        path.unlink()


def local_bundling(plan: BundlePlan) -> Any:
    """The ``ILocalBundling`` CDK calls to build ``plan`` on this machine (imports jsii lazily)."""
    import jsii
    from aws_cdk import ILocalBundling

    @jsii.implements(ILocalBundling)
    class LocalPipBundling:
        """Builds the bundle with pip on the host; returning True tells CDK not to use Docker."""

        def try_bundle(self, output_dir: str, *_args: Any, **_options: Any) -> bool:
            build_bundle(plan, output_dir)
            return True

    return LocalPipBundling()
