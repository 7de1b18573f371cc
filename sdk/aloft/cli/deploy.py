"""``aloft synth``, ``aloft diff``, ``aloft deploy`` and ``aloft bootstrap``: the project on AWS.

Each command checks what it can in this process first (settings, the user's
definitions, the compiled jobs, schedules and sensors) so mistakes are reported
with the user's file and line, then runs the CDK CLI pinned in
``infra/package.json`` (installed by ``npm ci --prefix infra``) on ``infra/app.py``
with the project's settings as context:

    aloft synth                     # cdk.out/ in the project, cdk-nag checked
    aloft deploy --stage prod       # [tool.aloft] name/region, stage overridden
    aloft bootstrap                 # once per account and region

Example:
    >>> cdk_context({"root": "/p", "stage": "prod", "region": None})
    ['-c', 'aloft:root=/p', '-c', 'aloft:stage=prod']
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aloft.cli.loading import load_definitions
from aloft.cli.project import ProjectSettings, find_project
from aloft.errors import AloftError

__all__ = ["APP_FILES", "DeployError", "cdk_command", "cdk_context", "locate_infra", "register"]

# The CDK CLI that `npm ci --prefix infra` installs from infra/package-lock.json.
CDK_BIN = Path("node_modules") / ".bin" / "cdk"
NODE_HELP = (
    "Node.js 18 or newer is required by the AWS CDK CLI and was not found on PATH. Install it "
    "(https://nodejs.org/en/download, or `apt install nodejs npm`, or `brew install node`), "
    "then install the pinned CDK CLI with `npm ci --prefix {infra}`."
)
CDK_HELP = (
    "The pinned AWS CDK CLI is not installed in {infra}/node_modules. Install it with "
    "`npm ci --prefix {infra}` (or `make infra/node_modules`); do not install aws-cdk globally: "
    "aloft needs the 2.x version pinned in infra/package-lock.json."
)


class DeployError(AloftError):
    """A deployment cannot start: a missing tool or a bad setting; the message says how to fix it."""


def register(commands: Any) -> None:
    """Add ``aloft synth``, ``aloft diff``, ``aloft deploy`` and ``aloft bootstrap``."""
    for name, description in (
        (
            "synth",
            "synthesize the project's CloudFormation template into cdk.out/ (cdk-nag checked)",
        ),
        ("diff", "show what `aloft deploy` would change in the deployed stack"),
        ("deploy", "deploy the project to AWS with the pinned CDK CLI"),
        ("bootstrap", "prepare an AWS account and region for CDK deployments (once)"),
    ):
        parser = commands.add_parser(name, help=description, description=description)
        parser.add_argument(
            "--stage", help="stage to deploy (default: [tool.aloft] stage, else dev)"
        )
        parser.add_argument(
            "--region", help="AWS region (default: [tool.aloft] region, else the AWS profile's)"
        )
        parser.add_argument("--profile", help="AWS named profile for credentials")
        parser.add_argument(
            "--print-command",
            action="store_true",
            help="print the CDK command instead of running it",
        )
        if name in ("synth", "diff"):
            parser.add_argument(
                "--no-bundle",
                action="store_true",
                help="skip building the Lambda code (template checks only)",
            )
        if name == "deploy":
            parser.add_argument(
                "--yes",
                action="store_true",
                help="do not ask before IAM/security changes (--require-approval never)",
            )
        parser.add_argument(
            "cdk_args", nargs=argparse.REMAINDER, help="extra arguments for the CDK CLI, after --"
        )
        parser.set_defaults(handler=_run, cdk_command=name)


# The files of the CDK app the CLI runs; aloft_cdk ships them in its cdk-app/ directory.
APP_FILES = ("app.py", "cdk.json", "package.json", "package-lock.json")


def locate_infra(project_root: Path | None = None) -> Path:
    """The CDK app directory the CDK CLI runs in (it holds ``app.py``, ``cdk.json``, ``node_modules``).

    ``$ALOFT_INFRA_DIR`` wins; then the ``infra/`` of the checkout aloft runs from;
    for aloft installed from a wheel, ``<project>/.aloft/cdk``, written from the
    app that ``aloft_cdk`` ships (its CDK CLI is installed there by ``npm ci --prefix``).
    """
    override = os.environ.get("ALOFT_INFRA_DIR")
    if override:
        return Path(override).resolve()
    import aloft

    infra = Path(aloft.__file__).resolve().parents[2] / "infra"
    if (infra / "app.py").is_file():
        return infra
    spec = importlib.util.find_spec("aloft_cdk")
    packaged = Path(spec.origin).parent / "cdk-app" if spec is not None and spec.origin else None
    if packaged is None or not all((packaged / name).is_file() for name in APP_FILES):
        raise DeployError(
            "cannot find aloft's CDK app: install aloft with its infra extra "
            "(`pip install 'aloft[infra]'`), or set ALOFT_INFRA_DIR to a checkout's infra/ directory"
        )
    target = (project_root or Path.cwd()).resolve() / ".aloft" / "cdk"
    target.mkdir(parents=True, exist_ok=True)
    for name in APP_FILES:
        content = (packaged / name).read_bytes()
        if not (target / name).is_file() or (target / name).read_bytes() != content:
            (target / name).write_bytes(content)
    return target


def _import_infra(infra: Path, module: str) -> Any:
    if str(infra) not in sys.path:
        sys.path.insert(0, str(infra))
    return importlib.import_module(module)


def cdk_context(values: Mapping[str, str | None]) -> list[str]:
    """``-c aloft:<key>=<value>`` for every value that is set."""
    args: list[str] = []
    for key, value in values.items():
        if value is not None:
            args += ["-c", f"aloft:{key}={value}"]
    return args


def cdk_command(
    action: str,
    *,
    infra: Path,
    root: Path,
    stack_name: str,
    context: Mapping[str, str | None],
    profile: str | None = None,
    approve: bool = False,
    extra: Sequence[str] = (),
) -> list[str]:
    """The CDK CLI invocation for ``action`` (run with ``cwd=infra`` so ``cdk.json`` applies)."""
    app = f"{shlex.quote(sys.executable)} {shlex.quote(str(infra / 'app.py'))}"
    command = [str(infra / CDK_BIN), action, "--app", app, "--no-notices"]
    if action != "bootstrap":
        command += ["--output", str(root / "cdk.out")]
    command += cdk_context(context)
    if profile:
        command += ["--profile", profile]
    if action == "synth":
        command += ["--quiet"]
    if action in ("diff", "deploy"):
        command.append(stack_name)
    if action == "deploy" and approve:
        command += ["--require-approval", "never"]
    return command + [arg for arg in extra if arg != "--"]


def _check_tools(infra: Path) -> None:
    if shutil.which("node") is None:
        raise DeployError(NODE_HELP.format(infra=infra))
    if not (infra / CDK_BIN).exists():
        raise DeployError(CDK_HELP.format(infra=infra))


def _settings(project: ProjectSettings, args: argparse.Namespace, infra: Path) -> Any:
    settings_module = _import_infra(infra, "aloft_cdk.settings")
    table = {"module": project.module, "file": project.file, "name": project.name, **project.extra}
    overrides = {"stage": args.stage, "region": args.region}
    try:
        return settings_module.DeploySettings.from_pyproject(
            {k: v for k, v in table.items() if v is not None},
            root=project.root,
            overrides=overrides,
        )
    except settings_module.SettingsError as err:
        raise DeployError(str(err)) from None


def _preflight(settings: Any, infra: Path) -> None:
    """Load and compile what will be deployed, so errors name the user's file and line, not Node's."""
    definitions = load_definitions(module=settings.definitions, root=settings.root)
    sources = _import_infra(infra, "aloft_cdk.sources")
    settings_module = _import_infra(infra, "aloft_cdk.settings")
    try:
        sources.ProjectSources.from_definitions(definitions, settings)
    except (settings_module.SettingsError, sources.SourceUnavailable) as err:
        raise DeployError(str(err)) from None


def _run(args: argparse.Namespace) -> int:
    project = find_project()
    if args.file or args.module:
        # -f/-m on the command line name the definitions instead of [tool.aloft].
        project = ProjectSettings(
            root=project.root,
            module=args.module,
            file=args.file,
            name=project.name,
            extra=project.extra,
        )
    infra = locate_infra(project.root)
    settings = _settings(project, args, infra)
    _preflight(settings, infra)
    _check_tools(infra)
    command = cdk_command(
        args.cdk_command,
        infra=infra,
        root=settings.root,
        stack_name=settings.stack_name,
        context={
            "root": str(settings.root),
            "definitions": settings.definitions,
            "stage": args.stage,
            "region": args.region,
        },
        profile=args.profile,
        approve=getattr(args, "yes", False),
        extra=args.cdk_args,
    )
    if args.print_command:
        print(shlex.join(command))
        return 0
    env = {
        **os.environ,
        **({"ALOFT_SKIP_BUNDLING": "1"} if getattr(args, "no_bundle", False) else {}),
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": os.environ.get(
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20"
        ),
    }
    print(
        f"aloft: {args.cdk_command} {settings.stack_name} ({settings.definitions})", file=sys.stderr
    )
    completed = subprocess.run(command, cwd=infra, env=env, check=False)
    if completed.returncode == 0 and args.cdk_command == "synth":
        print(
            f"aloft: template written to {settings.root / 'cdk.out' / (settings.stack_name + '.template.json')}"
        )
    return completed.returncode
