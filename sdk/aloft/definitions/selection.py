"""``AssetSelection``: which assets a job or a command targets, and its string form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aloft.definitions.asset import AssetsDefinition
from aloft.definitions.asset_key import AssetKey
from aloft.errors import DefinitionError, did_you_mean

if TYPE_CHECKING:
    from aloft.asset_graph import AssetGraph

__all__ = ["AssetSelection", "CoercibleToAssetSelection"]

CoercibleToAssetSelection = Any  # str | AssetSelection | Sequence[str | AssetKey | AssetsDefinition]


class AssetSelection:
    """A composable description of a set of assets, resolved against an asset graph.

    Example:
        >>> from aloft import asset, Definitions
        >>> @asset
        ... def raw_orders() -> int: return 1
        >>> @asset(group_name="processed")
        ... def revenue(raw_orders: int) -> int: return raw_orders
        >>> graph = Definitions(assets=[raw_orders, revenue]).get_asset_graph()
        >>> sorted(k.to_user_string() for k in AssetSelection.keys("revenue").upstream().resolve(graph))
        ['raw_orders', 'revenue']
        >>> sorted(k.to_user_string() for k in AssetSelection.from_string("group:processed").resolve(graph))
        ['revenue']
    """

    def resolve(self, graph: AssetGraph) -> set[AssetKey]:
        """The keys this selection names in ``graph``."""
        raise NotImplementedError

    # -- constructors --------------------------------------------------------------------
    @staticmethod
    def all() -> AssetSelection:
        """Every materializable asset."""
        return _All()

    @staticmethod
    def keys(*keys: AssetKey | str | list[str]) -> AssetSelection:
        """Assets by key (``"a/b"`` strings, key paths or AssetKeys)."""
        return _Keys(tuple(AssetKey.from_coercible(k) for k in keys))

    @staticmethod
    def assets(*assets_defs: AssetsDefinition) -> AssetSelection:
        """The assets of these definitions."""
        return _Keys(tuple(k for d in assets_defs for k in d.keys))

    @staticmethod
    def groups(*group_names: str) -> AssetSelection:
        """Assets in any of these groups."""
        return _Groups(tuple(group_names))

    @staticmethod
    def key_prefixes(*prefixes: str | list[str]) -> AssetSelection:
        """Assets whose key starts with any of these prefixes."""
        return _Prefixes(tuple(tuple([p] if isinstance(p, str) else p) for p in prefixes))

    @staticmethod
    def tag(key: str, value: str) -> AssetSelection:
        """Assets carrying the tag ``key=value``."""
        return _Tag(key, value)

    @staticmethod
    def from_string(text: str) -> AssetSelection:
        """Parse the CLI form: clauses like ``raw_orders+``, ``+revenue``, ``*revenue``,
        ``2+a/b``, ``group:processed``, ``key:a/b``, ``tag:k=v`` or ``*``, combined with
        ``,`` or ``or``, ``and``, ``not`` (e.g. ``"group:mart and not revenue"``)."""
        tokens = text.replace(",", " or ").split()
        if not text.replace(",", " ").split():
            raise DefinitionError("empty asset selection: name assets like 'orders+' or '*'")
        parser = _Parser(tokens, text)
        result = parser.parse_or()
        if parser.position != len(tokens):
            raise DefinitionError(f"cannot parse asset selection {text!r} near {tokens[parser.position]!r}")
        return result

    @staticmethod
    def coerce(value: CoercibleToAssetSelection) -> AssetSelection:
        """Accept an AssetSelection, a selection string, or a list of keys/strings/definitions."""
        if value is None:
            return AssetSelection.all()
        if isinstance(value, AssetSelection):
            return value
        if isinstance(value, str):
            return AssetSelection.from_string(value)
        if isinstance(value, AssetKey):
            return _Keys((value,))
        if isinstance(value, AssetsDefinition):
            return _Keys(value.keys)
        items = list(value)
        if all(isinstance(v, AssetKey | AssetsDefinition) or (isinstance(v, str) and _is_plain_key(v)) for v in items):
            # A list of keys is one flat selection (a union tree would recurse once per key).
            keys: list[AssetKey] = []
            for v in items:
                keys.extend(v.keys if isinstance(v, AssetsDefinition) else [AssetKey.from_coercible(v)])
            return _Keys(tuple(keys))
        parts: list[AssetSelection] = [AssetSelection.coerce(v) for v in items]
        if not parts:
            return _Keys(())
        result = parts[0]
        for part in parts[1:]:
            result = result | part
        return result

    # -- combinators ---------------------------------------------------------------------
    def upstream(self, depth: int | None = None, include_self: bool = True) -> AssetSelection:
        """Add everything upstream (up to ``depth`` hops)."""
        return _Walk(self, "up", depth, include_self)

    def downstream(self, depth: int | None = None, include_self: bool = True) -> AssetSelection:
        """Add everything downstream (up to ``depth`` hops)."""
        return _Walk(self, "down", depth, include_self)

    def __or__(self, other: AssetSelection) -> AssetSelection:
        return _Combine("|", self, other)

    def __and__(self, other: AssetSelection) -> AssetSelection:
        return _Combine("&", self, other)

    def __sub__(self, other: AssetSelection) -> AssetSelection:
        return _Combine("-", self, other)


@dataclass(frozen=True)
class _All(AssetSelection):
    def resolve(self, graph: AssetGraph) -> set[AssetKey]:
        return set(graph.materializable_keys)

    def __repr__(self) -> str:
        return "AssetSelection.all()"


@dataclass(frozen=True)
class _Keys(AssetSelection):
    selected: tuple[AssetKey, ...]

    def resolve(self, graph: AssetGraph) -> set[AssetKey]:
        for key in self.selected:
            if not graph.has(key):
                names = [k.to_user_string() for k in graph.all_keys]
                raise DefinitionError(
                    f"asset selection names '{key.to_user_string()}', which is not an asset."
                    + did_you_mean(key.to_user_string(), names)
                )
        return set(self.selected)

    def __repr__(self) -> str:
        return f"AssetSelection.keys({', '.join(repr(k.to_user_string()) for k in self.selected)})"


@dataclass(frozen=True)
class _Groups(AssetSelection):
    names: tuple[str, ...]

    def resolve(self, graph: AssetGraph) -> set[AssetKey]:
        groups = {o.group_name for d in graph.assets_defs for o in d.node.outputs}
        for name in self.names:
            if name not in groups:
                raise DefinitionError(
                    f"asset selection names group '{name}', which has no assets."
                    + did_you_mean(name, groups)
                )
        return {
            key
            for d in graph.assets_defs
            if not d.is_external
            for key, group in d.group_names_by_key.items()
            if group in self.names
        }


@dataclass(frozen=True)
class _Prefixes(AssetSelection):
    prefixes: tuple[tuple[str, ...], ...]

    def resolve(self, graph: AssetGraph) -> set[AssetKey]:
        return {
            k for k in graph.materializable_keys if any(k.path[: len(p)] == p for p in self.prefixes)
        }


@dataclass(frozen=True)
class _Tag(AssetSelection):
    key: str
    value: str

    def resolve(self, graph: AssetGraph) -> set[AssetKey]:
        return {
            o.asset_key
            for d in graph.assets_defs
            if not d.is_external
            for o in d.node.outputs
            if o.asset_key is not None and o.tags.get(self.key) == self.value
        }


@dataclass(frozen=True)
class _Walk(AssetSelection):
    child: AssetSelection
    direction: str
    depth: int | None
    include_self: bool

    def resolve(self, graph: AssetGraph) -> set[AssetKey]:
        base = self.child.resolve(graph)
        if self.direction == "up":
            walked = graph.upstream_closure(base, self.depth)
        else:
            walked = graph.downstream_closure(base, self.depth)
        if not self.include_self:
            walked -= base
        return walked & graph.materializable_keys if self.direction == "up" else walked


@dataclass(frozen=True)
class _Combine(AssetSelection):
    op: str
    left: AssetSelection
    right: AssetSelection

    def resolve(self, graph: AssetGraph) -> set[AssetKey]:
        left, right = self.left.resolve(graph), self.right.resolve(graph)
        if self.op == "|":
            return left | right
        if self.op == "&":
            return left & right
        return left - right


class _Parser:
    """``or`` binds loosest, then ``and``, then ``not``."""

    def __init__(self, tokens: list[str], text: str) -> None:
        self.tokens, self.text, self.position = tokens, text, 0

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def parse_or(self) -> AssetSelection:
        result = self.parse_and()
        while self._peek() == "or":
            self.position += 1
            result = result | self.parse_and()
        return result

    def parse_and(self) -> AssetSelection:
        result = self.parse_not()
        while self._peek() == "and":
            self.position += 1
            if self._peek() == "not":
                self.position += 1
                result = result - self.parse_not()
            else:
                result = result & self.parse_not()
        return result

    def parse_not(self) -> AssetSelection:
        token = self._peek()
        if token is None or token in ("or", "and"):
            raise DefinitionError(f"incomplete asset selection {self.text!r}: a clause is missing")
        self.position += 1
        if token == "not":
            return AssetSelection.all() - self.parse_not()
        return _parse_clause(token)


_CLAUSE = re.compile(r"^(?P<up>\*|\++|\d+\+)?(?P<body>[^*+]+|\*)(?P<down>\*|\++|\+\d+)?$")


def _is_plain_key(text: str) -> bool:
    """Whether a string names one asset key (no selection syntax)."""
    return not any(c in text for c in "*+:, ") and text not in ("or", "and", "not")


def _hops(marker: str | None) -> tuple[bool, int | None]:
    if not marker:
        return False, 0
    if marker == "*":
        return True, None
    digits = marker.strip("+")
    return True, int(digits) if digits else len(marker)


def _parse_clause(clause: str) -> AssetSelection:
    if clause == "*":
        return AssetSelection.all()
    match = _CLAUSE.match(clause)
    if not match:
        raise DefinitionError(
            f"cannot parse asset selection {clause!r}: use forms like 'orders', 'orders+', "
            "'+revenue', '*revenue', 'group:processed', 'tag:team=finance'"
        )
    body = match.group("body")
    base: AssetSelection
    if body.startswith("group:"):
        base = AssetSelection.groups(body[len("group:") :])
    elif body.startswith("tag:"):
        key, _, value = body[len("tag:") :].partition("=")
        base = AssetSelection.tag(key, value)
    elif body.startswith("key:"):
        base = AssetSelection.keys(body[len("key:") :])
    elif body.startswith("prefix:"):
        base = AssetSelection.key_prefixes(body[len("prefix:") :].split("/"))
    else:
        base = AssetSelection.keys(body)
    walk_up, up_depth = _hops(match.group("up"))
    walk_down, down_depth = _hops(match.group("down"))
    result = base
    if walk_up:
        result = result | base.upstream(up_depth)
    if walk_down:
        result = result | base.downstream(down_depth)
    return result
