"""Constant evaluation: the value of an expression when the source alone decides it.

Literals, and names that lead to one across modules: a module constant (``API_V1_STR =
"/api/v1"``, imported or read as ``config.API_V1_STR``), a class attribute with a literal
default (``settings.API_V1_STR`` where ``settings = Settings()`` and ``Settings`` declares
``API_V1_STR: str = "/api/v1"``, in its body or a base class of the code), and f-strings or
``+`` of those. A name bound to different values in different branches, a parameter, or
anything from outside the code is not constant.

A settings class built on pydantic's ``BaseSettings`` may take the value from an environment
variable at run time; its declared default is what the source tells, and what is used.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sam_fastapi.pysource.imports import absolute_module
from sam_fastapi.pysource.scopes import walk

if TYPE_CHECKING:
    from sam_fastapi.pysource.scopes import Scope, Site
    from sam_fastapi.pysource.values import Analyser

#: What ``constant`` returns when only running the code would tell.
NOT_CONSTANT = object()
#: How many names deep a constant is followed.
MAX_DEPTH = 16


def constant(node: ast.expr, scope: Scope | None = None,
             analyser: Analyser | None = None) -> object:
    """The value of ``node``, or ``NOT_CONSTANT``. Without a scope and an analyser, only
    literals (strings, numbers, lists, tuples, dicts, sets, None) are constant."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if scope is None or analyser is None:
        return NOT_CONSTANT
    try:
        return _Evaluator(analyser).value(node, scope, 0)
    except RecursionError:
        return NOT_CONSTANT


class _Evaluator:
    def __init__(self, analyser: Analyser) -> None:
        self.analyser = analyser

    def value(self, node: ast.expr, scope: Scope, depth: int) -> object:
        if depth > MAX_DEPTH:
            return NOT_CONSTANT
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self._name(node.id, scope, depth + 1)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, scope, depth + 1)
        if isinstance(node, ast.JoinedStr):
            return self._joined(node, scope, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.value(node.left, scope, depth + 1)
            right = self.value(node.right, scope, depth + 1)
            if isinstance(left, str) and isinstance(right, str):
                return left + right
        return NOT_CONSTANT

    def _joined(self, node: ast.JoinedStr, scope: Scope, depth: int) -> object:
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                parts.append(part.value)
                continue
            if not (isinstance(part, ast.FormattedValue) and part.conversion == -1
                    and part.format_spec is None):
                return NOT_CONSTANT
            value = self.value(part.value, scope, depth)
            if not isinstance(value, str):
                return NOT_CONSTANT
            parts.append(value)
        return "".join(parts)

    def _name(self, name: str, scope: Scope, depth: int) -> object:
        sites = scope.visible_sites(name)
        return self._agreed(self._site(site, depth) for site in sites)

    def _site(self, site: Site, depth: int) -> object:
        if site.kind == "value" and site.expr is not None:
            return self.value(site.expr, site.scope, depth)
        if site.kind == "from" and isinstance(site.stmt, ast.ImportFrom):
            target = absolute_module(site.stmt, site.scope.loaded.module)
            module = self.analyser.finder.find(target) if target else None
            if module is None:
                return NOT_CONSTANT
            loaded = self.analyser.load(module)
            if loaded.scope is None:
                return NOT_CONSTANT
            return self._name(site.name, loaded.scope, depth)
        return NOT_CONSTANT

    def _attribute(self, node: ast.Attribute, scope: Scope, depth: int) -> object:
        base = self.analyser.evaluate(node.value, scope)
        if base.kind == "module" and base.module is not None:
            loaded = self.analyser.load(base.module)
            if loaded.scope is None:
                return NOT_CONSTANT
            return self._name(node.attr, loaded.scope, depth)
        if base.kind in ("class", "instance") and isinstance(base.node, ast.ClassDef) \
                and base.scope is not None:
            return self._class_attribute(base.node, base.scope, node.attr, depth, set())
        return NOT_CONSTANT

    def _class_attribute(self, cls: ast.ClassDef, scope: Scope, name: str, depth: int,
                         seen: set[int]) -> object:
        """``name`` as a class body binds it, else as its first base of the code that does
        (Python's order for single inheritance; several bases are followed left to right)."""
        if id(cls) in seen or depth > MAX_DEPTH:
            return NOT_CONSTANT
        seen.add(id(cls))
        values = []
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                    and stmt.target.id == name:
                values.append(NOT_CONSTANT if stmt.value is None
                              else _literal(stmt.value))
            elif isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                values.append(_literal(stmt.value))
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) \
                    and stmt.name == name:
                return NOT_CONSTANT
        if values and _set_on_instances(cls, name):
            return NOT_CONSTANT  # ``self.name = ...`` in a method: the default may not hold
        if values:
            return self._agreed(values)
        for base in cls.bases:
            value = self.analyser.evaluate(base, scope)
            if value.kind != "class" or not isinstance(value.node, ast.ClassDef) \
                    or value.scope is None:
                return NOT_CONSTANT  # a base from outside the code may define it
            found = self._class_attribute(value.node, value.scope, name, depth + 1, seen)
            if found is not NOT_CONSTANT:
                return found
        return NOT_CONSTANT

    @staticmethod
    def _agreed(values: Iterable[object]) -> object:
        found = list(values)
        if not found or any(v is NOT_CONSTANT for v in found):
            return NOT_CONSTANT
        first = found[0]
        return first if all(v == first and type(v) is type(first) for v in found) \
            else NOT_CONSTANT


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NOT_CONSTANT


def _set_on_instances(cls: ast.ClassDef, name: str) -> bool:
    for stmt in cls.body:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in walk(stmt):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else []
            if any(isinstance(t, ast.Attribute) and t.attr == name
                   and isinstance(t.value, ast.Name) and t.value.id == "self" for t in targets):
                return True
    return False
