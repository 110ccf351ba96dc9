"""A small GraphQL executor for the test server: parse a query, resolve it over dicts.

It understands what GitHub clients send: operations with optional names and variables,
aliases, arguments (ints, strings, enums, booleans, variables, lists), named fragments and
inline fragments, nested selections. Values to resolve are plain dicts; a value that is
callable is called with the field's arguments (that is how connections and
``pullRequest(number:)`` are served). A resolver that raises :class:`FieldError` yields
``null`` for that field and an entry in ``errors`` with its path, as GitHub does, so the
rest of the query still answers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FieldError", "QueryError", "execute"]

_TOKEN = re.compile(
    r'(?P<skip>[\s,]+|#[^\n]*)|(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)'
    r'|(?P<name>[_A-Za-z][_0-9A-Za-z]*)|(?P<punct>\.\.\.|[{}():!$=@\[\]])'
)


class QueryError(Exception):
    """The document cannot be parsed (GitHub answers such queries with ``errors`` only)."""


class FieldError(Exception):
    """Raised by a resolver: this field is null, with a GitHub-style error ``type``."""

    def __init__(self, message: str, *, type: str = "NOT_FOUND") -> None:
        super().__init__(message)
        self.message = message
        self.type = type


@dataclass
class _Field:
    alias: str
    name: str
    args: dict[str, Any]
    selections: list[Any] = field(default_factory=list)


@dataclass
class _Spread:
    fragment: str


@dataclass
class _Inline:
    selections: list[Any]


class _Parser:
    def __init__(self, text: str, variables: dict[str, Any]) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match:
                raise QueryError(f"unexpected character {text[pos]!r} at offset {pos}")
            pos = match.end()
            if match.lastgroup != "skip":
                self.tokens.append((match.lastgroup or "", match.group()))
        self.i = 0
        self.variables = variables

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise QueryError("unexpected end of query")
        token = self.tokens[self.i]
        if expected is not None and token[1] != expected:
            raise QueryError(f"expected {expected!r}, got {token[1]!r}")
        self.i += 1
        return token

    def document(self) -> tuple[list[Any], dict[str, list[Any]]]:
        operation: list[Any] | None = None
        fragments: dict[str, list[Any]] = {}
        while self.peek() is not None:
            if self.peek() == "{":
                operation = self.selection_set()
                continue
            _kind, word = self.take()
            if word == "fragment":
                name = self.take()[1]
                self.take("on")
                self.take()
                fragments[name] = self.selection_set()
            elif word in ("query", "mutation"):
                if self.peek() not in ("{", "("):
                    self.take()
                if self.peek() == "(":
                    self.skip_parens()
                operation = self.selection_set()
            else:
                raise QueryError(f"unexpected {word!r}")
        if operation is None:
            raise QueryError("no operation in the document")
        return operation, fragments

    def skip_parens(self) -> None:
        depth = 0
        while True:
            word = self.take()[1]
            depth += {"(": 1, ")": -1}.get(word, 0)
            if depth == 0:
                return

    def selection_set(self) -> list[Any]:
        self.take("{")
        selections: list[Any] = []
        while self.peek() != "}":
            if self.peek() == "...":
                self.take()
                if self.peek() == "on":
                    self.take()
                    self.take()
                    selections.append(_Inline(self.selection_set()))
                else:
                    selections.append(_Spread(self.take()[1]))
                continue
            kind, name = self.take()
            if kind != "name":
                raise QueryError(f"expected a field name, got {name!r}")
            alias = name
            if self.peek() == ":":
                self.take()
                name = self.take()[1]
            args: dict[str, Any] = {}
            if self.peek() == "(":
                self.take()
                while self.peek() != ")":
                    key = self.take()[1]
                    self.take(":")
                    args[key] = self.value()
                self.take(")")
            sub = self.selection_set() if self.peek() == "{" else []
            selections.append(_Field(alias, name, args, sub))
        self.take("}")
        return selections

    def value(self) -> Any:
        kind, word = self.take()
        if kind == "str":
            return json.loads(word)
        if kind == "num":
            return float(word) if "." in word else int(word)
        if word == "$":
            return self.variables.get(self.take()[1])
        if word == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(word, word)
        raise QueryError(f"unexpected {word!r} in arguments")


def execute(query: str, root: dict[str, Any], *,
            variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run ``query`` against ``root``; returns ``{"data": ..., "errors": [...]}``."""
    try:
        operation, fragments = _Parser(query, variables or {}).document()
    except QueryError as exc:
        return {"errors": [{"message": f"Parse error: {exc}", "type": "PARSE_ERROR"}]}
    errors: list[dict[str, Any]] = []
    try:
        data = _resolve(operation, root, fragments, [], errors)
    except QueryError as exc:
        return {"errors": [{"message": str(exc), "type": "PARSE_ERROR"}]}
    out: dict[str, Any] = {"data": data}
    if errors:
        out["errors"] = errors
    return out


def _flatten(selections: list[Any], fragments: dict[str, list[Any]]) -> list[_Field]:
    out: list[_Field] = []
    for sel in selections:
        if isinstance(sel, _Field):
            out.append(sel)
        elif isinstance(sel, _Inline):
            out.extend(_flatten(sel.selections, fragments))
        else:
            if sel.fragment not in fragments:
                raise QueryError(f"unknown fragment {sel.fragment!r}")
            out.extend(_flatten(fragments[sel.fragment], fragments))
    return out


def _resolve(selections: list[Any], obj: Any, fragments: dict[str, list[Any]],
             path: list[Any], errors: list[dict[str, Any]]) -> Any:
    if obj is None:
        return None
    if isinstance(obj, list):
        return [_resolve(selections, item, fragments, path + [i], errors)
                for i, item in enumerate(obj)]
    if not selections:
        return obj
    result: dict[str, Any] = {}
    for fld in _flatten(selections, fragments):
        here = path + [fld.alias]
        value = obj.get(fld.name) if isinstance(obj, dict) else None
        if fld.name == "__typename":
            value = obj.get("__typename", "Object")
        try:
            if callable(value):
                value = value(**fld.args)
        except FieldError as exc:
            errors.append({"type": exc.type, "path": here, "message": exc.message,
                           "locations": [{"line": 1, "column": 1}]})
            result[fld.alias] = None
            continue
        result[fld.alias] = _resolve(fld.selections, value, fragments, here, errors)
    return result
