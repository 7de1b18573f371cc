"""Resources: ``ConfigurableResource`` with ``EnvVar`` fields resolved at run time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, TypeAdapter, ValidationError

from aloft.definitions.config import EnvVar
from aloft.errors import DefinitionError, RunConfigError

__all__ = ["ConfigurableResource", "resolve_resource"]


class ConfigurableResource(BaseModel):
    """A configurable connection to an external system, injected into assets by parameter name.

    Fields given as ``EnvVar("NAME")`` are read from the environment when a
    run starts (so definitions load without secrets, and secrets never reach
    the state machine input).

    Example:
        >>> from aloft import asset, materialize, EnvVar
        >>> class Warehouse(ConfigurableResource):
        ...     dsn: str
        ...     def query(self, sql: str) -> str:
        ...         return f"{self.dsn}: {sql}"
        >>> @asset
        ... def report(warehouse: Warehouse) -> str:
        ...     return warehouse.query("select 1")
        >>> materialize([report], resources={"warehouse": Warehouse(dsn="duckdb://")}).success
        True
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    _env_fields: dict[str, EnvVar] = PrivateAttr(default_factory=dict)

    def __init__(self, **data: Any) -> None:
        env_fields = {name: value for name, value in data.items() if isinstance(value, EnvVar)}
        if not env_fields:
            super().__init__(**data)
            return
        unknown = set(data) - set(type(self).model_fields)
        if unknown:
            raise DefinitionError(
                f"{type(self).__name__} has no field {sorted(unknown)[0]!r}; "
                f"its fields are {sorted(type(self).model_fields)}"
            )
        # Validate what is known now; EnvVar fields are validated when resolved.
        values: dict[str, Any] = {}
        for name, field in type(self).model_fields.items():
            if name in env_fields:
                values[name] = str(env_fields[name])
            elif name in data:
                values[name] = TypeAdapter(field.annotation or Any).validate_python(data[name])
            elif field.is_required():
                raise DefinitionError(f"{type(self).__name__} needs a value for field {name!r}")
            else:
                values[name] = field.get_default(call_default_factory=True)
        constructed = type(self).model_construct(**values)
        object.__setattr__(self, "__dict__", constructed.__dict__)
        object.__setattr__(self, "__pydantic_fields_set__", set(data))
        object.__setattr__(self, "__pydantic_extra__", None)
        object.__setattr__(self, "__pydantic_private__", {"_env_fields": env_fields})

    def resolved(self) -> ConfigurableResource:
        """A copy whose ``EnvVar`` fields hold the environment's values (validated)."""
        if not self._env_fields:
            return self
        values = {name: getattr(self, name) for name in type(self).model_fields}
        for name, var in self._env_fields.items():
            value = var.get_value()
            if value is None:
                raise RunConfigError(
                    f"environment variable {var.env_var_name} is not set; "
                    f"{type(self).__name__}.{name} reads it (set it before the run starts)",
                    path=f"resources.{name}",
                )
            values[name] = value
        try:
            return type(self).model_validate(values)
        except ValidationError as err:
            raise RunConfigError(f"{type(self).__name__}: {err}") from err

    def setup_for_execution(self, context: Any) -> None:
        """Called once per run before the first use; override to open connections."""

    def teardown_after_execution(self, context: Any) -> None:
        """Called once per run after the last use; override to close connections."""

    def get_resource(self) -> Any:
        """The object handed to user code (the resource itself by default)."""
        return self


def resolve_resource(value: Any, config: Mapping[str, Any] | None = None) -> Any:
    """The run-time form of a resource value: EnvVars read, run config applied."""
    if isinstance(value, ConfigurableResource):
        if config:
            # A field given as an EnvVar stays one (its stored value is the variable's name).
            current = {name: value._env_fields.get(name, getattr(value, name)) for name in type(value).model_fields}
            current.update(config)
            value = type(value)(**current)
        return value.resolved()
    return value
