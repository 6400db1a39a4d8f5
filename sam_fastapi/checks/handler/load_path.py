"""Imports on the handler's load path that fail on Lambda, read with ``ast`` (SF306, SF307).

Lambda imports the Handler's module by its dotted name from CodeUri (``main.handler`` imports
``main`` as a top-level module, with no parent package). Every file that import runs is read:
the packages above the module, the module, and the modules of the function's own code they
import at load time. Imports in a ``try`` that catches ``ImportError`` (or in its ``except``
block) have a fallback and are not reported.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Literal

from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.deps.imports import inside_code, vendored_names
from sam_fastapi.checks.functions import module_finder, module_scopes
from sam_fastapi.findings import Location
from sam_fastapi.pysource import (
    KNOWN_PACKAGES,
    MAX_MODULES,
    LoadWalk,
    Module,
    absolute_module,
    import_statements,
    parse_module,
    walk,
)
from sam_fastapi.template.model import Function, Project

#: Every module has these; ``from pkg import __file__`` never fails.
MODULE_ATTRIBUTES = frozenset({"__name__", "__file__", "__doc__", "__path__", "__package__",
                               "__spec__", "__loader__", "__builtins__", "__dict__"})
#: A module whose source calls these may add names no syntax tree shows.
DYNAMIC_NAMESPACE = frozenset({"globals", "setattr", "vars", "exec", "__import__"})


@dataclass(frozen=True)
class BrokenImport:
    """An import that raises ImportError each time Lambda loads the handler.

    ``relative``: a relative import in a module with no parent package, or going above the
    top-level package; ``undefined``: ``from module import name`` where the module (of the
    function's own code) defines no ``name`` and has no submodule of that name.
    """

    kind: Literal["relative", "undefined"]
    location: Location
    statement: str
    module: str  # the module whose code holds the statement
    name: str = ""  # the missing name (undefined)
    source: str = ""  # the module that lacks it (undefined)


def broken_imports(project: Project, function: Function,
                   ctx: CheckContext) -> tuple[BrokenImport, ...]:
    """Failing imports on ``function``'s load path, once per run for SF306 and SF307."""
    return ctx.memo.get(("broken-imports", function.logical_id),
                        lambda: tuple(_broken_imports(project, function, ctx)))


def _broken_imports(project: Project, function: Function,
                    ctx: CheckContext) -> list[BrokenImport]:
    code_dir = function.code_dir
    if code_dir is None or not isinstance(function.handler, str):
        return []
    module_name, _, attribute = function.handler.rpartition(".")
    if not module_name or not attribute:
        return []
    finder = module_finder(project, function, ctx)
    start = finder.find(module_name.replace("/", "."))
    if start is None:
        return []
    vendored = vendored_names(code_dir, ctx)

    def own(module: Module | None) -> bool:
        return (module is not None and module.name.partition(".")[0] not in vendored
                and module.name.partition(".")[0] not in KNOWN_PACKAGES
                and inside_code(module, code_dir))

    found: list[BrokenImport] = []
    walk = LoadWalk(start, MAX_MODULES)
    for path, module, tree in walk:
        for stmt, guarded, fallback in import_statements(tree.body):
            if guarded or fallback:
                continue
            location = Location(str(path), stmt.lineno, stmt.col_offset + 1)
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    target = finder.find(alias.name)
                    if own(target):
                        walk.follow(target)
                continue
            target_name = absolute_module(stmt, module)
            if target_name is None:
                found.append(BrokenImport("relative", location, _statement(stmt), module.name))
                continue
            target = finder.find(target_name) if target_name else None
            if not own(target):
                continue
            assert target is not None
            walk.follow(target)
            for alias in stmt.names:
                if alias.name == "*":
                    continue
                submodule = finder.find(f"{target.name}.{alias.name}") \
                    if target.is_package else None
                if submodule is not None:
                    walk.follow(submodule)
                elif not _defines(target, alias.name, ctx):
                    found.append(BrokenImport("undefined", location, _statement(stmt),
                                              module.name, alias.name, target.name))
    return found


def _defines(module: Module, name: str, ctx: CheckContext) -> bool:
    """Whether ``module`` may have ``name`` once loaded; True whenever it cannot be told."""
    if name in MODULE_ATTRIBUTES or module.file is None:
        return True  # a namespace package, or compiled: not read
    tree = parse_module(module.file)
    if not isinstance(tree, ast.Module):
        return True
    scope = module_scopes(ctx).loaded(module, tree).scope
    assert scope is not None
    if scope.sites(name) or scope.star_import or scope.sites("__getattr__"):
        return True
    return any(
        (isinstance(node, ast.Name) and node.id in DYNAMIC_NAMESPACE)
        or (isinstance(node, ast.Attribute) and node.attr == "modules")
        for node in walk(tree)
    )


def _statement(stmt: ast.ImportFrom) -> str:
    names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in stmt.names)
    return f"from {'.' * stmt.level}{stmt.module or ''} import {names}"
