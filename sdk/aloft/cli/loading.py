"""Loading a project's ``Definitions`` from a file or a module, as Dagster's CLI does."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

from aloft.definitions.definitions import Definitions
from aloft.errors import DefinitionError

__all__ = ["DefinitionsLoadError", "load_definitions"]


class DefinitionsLoadError(DefinitionError):
    """The user's definitions could not be imported or found."""


def _user_frame(error: BaseException, user_root: Path) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        path = Path(frame.filename)
        if user_root in path.parents or path.parent == user_root:
            return f"{frame.filename}:{frame.lineno}"
    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    return frames[-1].filename + f":{frames[-1].lineno}" if frames else "?"


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise DefinitionsLoadError(f"definitions file {path} does not exist")
    name = f"aloft_user_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise DefinitionsLoadError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec.loader.exec_module(module)
    return module


def load_definitions(
    *, file: str | None = None, module: str | None = None, root: Path | None = None, attribute: str | None = None
) -> Definitions:
    """Import the user's code and return its ``Definitions``.

    ``module`` may name the attribute too (``pkg.defs:definitions``). Errors
    point at the user's file and line.
    """
    root = (root or Path.cwd()).resolve()
    if module and ":" in module:
        module, attribute = module.split(":", 1)
    origin = file or module or "definitions"
    try:
        if file:
            loaded = _import_file((root / file) if not Path(file).is_absolute() else Path(file))
        elif module:
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
            loaded = importlib.import_module(module)
        else:
            raise DefinitionsLoadError(
                "no definitions given: pass -f FILE.py or -m MODULE, or set [tool.aloft] module = "
                "'package.definitions' in pyproject.toml"
            )
    except DefinitionsLoadError:
        raise
    except DefinitionError as err:
        raise DefinitionsLoadError(f"{err}\n  (raised while loading {_user_frame(err, root)})") from err
    except ModuleNotFoundError as err:
        if module and err.name and (module == err.name or module.startswith(f"{err.name}.")):
            # The definitions module itself is missing: no user file to point at.
            raise DefinitionsLoadError(
                f"cannot import {module}: no module {err.name!r} under {root}; check [tool.aloft] "
                "module (or -m) and that it is run from the project's root"
            ) from err
        raise DefinitionsLoadError(
            f"importing {origin} failed at {_user_frame(err, root)}: {type(err).__name__}: {err}"
        ) from err
    except Exception as err:
        raise DefinitionsLoadError(
            f"importing {origin} failed at {_user_frame(err, root)}: {type(err).__name__}: {err}"
        ) from err
    if attribute:
        value = getattr(loaded, attribute, None)
        if not isinstance(value, Definitions):
            raise DefinitionsLoadError(f"{origin}:{attribute} is not a Definitions object")
        return value
    found = [(n, v) for n, v in vars(loaded).items() if isinstance(v, Definitions)]
    if len(found) == 1:
        return found[0][1]
    if not found:
        raise DefinitionsLoadError(
            f"{origin} defines no Definitions object; add `defs = Definitions(assets=[...])`"
        )
    names = ", ".join(sorted(n for n, _ in found))
    raise DefinitionsLoadError(f"{origin} defines several Definitions ({names}); name one with -m {origin}:NAME")
