"""Scopes: where each name of a module or function body is bound, read from its syntax tree."""

from __future__ import annotations

import ast
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from sam_fastapi.findings import Location
from sam_fastapi.pysource.finder import Module


@dataclass(frozen=True, eq=False)
class Site:
    """One place a name is bound: ``x = ...``, ``def x``, ``import x``, ``from m import x``."""

    kind: Literal["value", "def", "import", "from", "unknown"]
    stmt: ast.stmt
    scope: Scope
    expr: ast.expr | None = None
    name: str = ""  # the module of an import, the imported name of a from-import

    @property
    def location(self) -> Location:
        file = self.scope.loaded.module.file
        return Location(str(file), self.stmt.lineno, self.stmt.col_offset + 1)


@dataclass(eq=False)
class Loaded:
    """A module read for the analysis, with the scope of its body."""

    module: Module
    scope: Scope | None = None  # None: namespace, compiled, unreadable or not valid Python


class ModuleScopes:
    """Each module read, with the scope of its body, made once for the analyses of one lint run.

    The handler, route and dependency rules each analyse the same modules on their own threads
    (``Analyser``); where each finds a name bound does not depend on who asks.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # The tree is kept with its module: the same file parsed again (changed meanwhile) is
        # another tree, and gets a scope of its own.
        self._loaded: dict[Module, tuple[ast.Module, Loaded]] = {}

    def loaded(self, module: Module, tree: ast.Module) -> Loaded:
        """``module`` with the scope of ``tree``, its body."""
        with self._lock:
            found = self._loaded.get(module)
            if found is None or found[0] is not tree:
                loaded = Loaded(module)
                loaded.scope = Scope(loaded, tree.body, None)
                found = self._loaded[module] = (tree, loaded)
            return found[1]


class Scope:
    """The names bound in a module or function body (not in nested defs or classes)."""

    def __init__(self, loaded: Loaded, body: Sequence[ast.stmt], parent: Scope | None,
                 node: ast.AST | None = None) -> None:
        self.loaded = loaded
        self.body = body
        self.parent = parent
        self.params: frozenset[str] = frozenset()
        self.globals: frozenset[str] = frozenset()
        self._sites: dict[str, list[Site]] | None = None
        self._star_import = False
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            self.params = frozenset(
                a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs,
                                args.vararg, args.kwarg) if a is not None
            )
            self.globals = frozenset(
                name for n in own_nodes(body) if isinstance(n, ast.Global) for name in n.names
            )

    @property
    def is_module(self) -> bool:
        return self.parent is None

    def sites(self, name: str) -> list[Site]:
        return self._collected().get(name, [])

    def visible_sites(self, name: str) -> list[Site]:
        """The sites binding ``name`` where this scope reads it: its own, the module's for a
        ``global`` name, else an enclosing scope's; empty for a parameter or an unbound name."""
        current: Scope | None = self
        while current is not None:
            if name in current.globals:
                current = self.loaded.scope
                continue
            if name in current.params:
                return []
            sites = current.sites(name)
            if sites:
                return sites
            current = current.parent
        return []

    @property
    def star_import(self) -> bool:
        """``from x import *`` binds names nobody can list without importing ``x``."""
        self._collected()
        return self._star_import

    def _collected(self) -> dict[str, list[Site]]:
        if self._sites is None:
            collector = _SiteCollector(self)
            sites = collector.collect()
            # In this order: a thread that sees the sites sees the star import too.
            self._star_import = collector.star_import
            self._sites = sites
        return self._sites


class _SiteCollector:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.sites: dict[str, list[Site]] = defaultdict(list)
        self.star_import = False

    def collect(self) -> dict[str, list[Site]]:
        self._visit(self.scope.body)
        for sites in self.sites.values():
            sites.sort(key=lambda s: (s.stmt.lineno, s.stmt.col_offset))
        return dict(self.sites)

    def _add(self, name: str, site: Site) -> None:
        self.sites[name].append(site)

    def _bind(self, target: ast.expr, value: ast.expr | None, stmt: ast.stmt) -> None:
        if isinstance(target, ast.Name):
            kind = "value" if value is not None else "unknown"
            self._add(target.id, Site(kind, stmt, self.scope, value))
        elif isinstance(target, ast.Tuple | ast.List):
            values: list[ast.expr | None] = [None] * len(target.elts)
            if (
                isinstance(value, ast.Tuple | ast.List)
                and len(value.elts) == len(target.elts)
                and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))
            ):
                values = list(value.elts)
            for element, element_value in zip(target.elts, values, strict=True):
                self._bind(element, element_value, stmt)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, None, stmt)

    def _visit(self, body: Sequence[ast.stmt]) -> None:
        for stmt in body:
            self._walrus(stmt)
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self._add(stmt.name, Site("def", stmt, self.scope))
                if self.scope.is_module and not isinstance(stmt, ast.ClassDef):
                    self._globals_set_in(stmt)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    self._bind(target, stmt.value, stmt)
            elif isinstance(stmt, ast.AnnAssign):
                if stmt.value is not None:  # a bare annotation binds nothing
                    self._bind(stmt.target, stmt.value, stmt)
            elif isinstance(stmt, ast.AugAssign):
                self._bind(stmt.target, None, stmt)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    top = alias.name.partition(".")[0]
                    bound, module = (alias.asname, alias.name) if alias.asname else (top, top)
                    self._add(bound, Site("import", stmt, self.scope, name=module))
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name == "*":
                        self.star_import = True
                    else:
                        self._add(alias.asname or alias.name,
                                  Site("from", stmt, self.scope, name=alias.name))
            elif isinstance(stmt, ast.For | ast.AsyncFor):
                self._bind(stmt.target, None, stmt)
                self._visit(stmt.body)
                self._visit(stmt.orelse)
            elif isinstance(stmt, ast.While | ast.If):
                self._visit(stmt.body)
                self._visit(stmt.orelse)
            elif isinstance(stmt, ast.With | ast.AsyncWith):
                for item in stmt.items:
                    if item.optional_vars is not None:
                        self._bind(item.optional_vars, None, stmt)
                self._visit(stmt.body)
            elif isinstance(stmt, ast.Try | getattr(ast, "TryStar", ast.Try)):
                self._visit(stmt.body)
                for handler in stmt.handlers:
                    if handler.name:
                        self._add(handler.name, Site("unknown", handler, self.scope))
                    self._visit(handler.body)
                self._visit(stmt.orelse)
                self._visit(stmt.finalbody)
            elif isinstance(stmt, ast.Match):
                for case in stmt.cases:
                    for node in walk(case.pattern):
                        name = getattr(node, "name", None) or getattr(node, "rest", None)
                        if isinstance(name, str):
                            self._add(name, Site("unknown", stmt, self.scope))
                    self._visit(case.body)

    def _walrus(self, stmt: ast.stmt) -> None:
        for name in stmt._fields:
            value = getattr(stmt, name, None)
            expressions = value if isinstance(value, list) else [value]
            for expression in expressions:
                if not isinstance(expression, ast.expr):
                    continue
                for node in walk(expression):
                    if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                        self._add(node.target.id, Site("value", stmt, self.scope, node.value))

    def _globals_set_in(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """``def init(): global handler; handler = ...`` binds the module's ``handler``."""
        declared = {n for node in own_nodes(function.body) if isinstance(node, ast.Global)
                    for n in node.names}
        if not declared:
            return
        inner = _SiteCollector(Scope(self.scope.loaded, function.body, self.scope, function))
        for name, sites in inner.collect().items():
            if name in declared:
                self.sites[name].extend(sites)


def child_nodes(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes(node)`` as a list: the same nodes in the same order, without its
    two generators (the analyses of a run walk every tree several times; this is their inner
    loop)."""
    found: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    found.append(item)
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """``ast.walk(node)``: the same nodes in the same (breadth-first) order, faster."""
    queue = [node]
    index = 0
    while index < len(queue):
        current = queue[index]
        index += 1
        queue.extend(child_nodes(current))
        yield current


def own_nodes(body: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node of ``body``, not descending into nested functions, lambdas or classes."""
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        for child in child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                              | ast.ClassDef):
                stack.append(child)

