"""The third-party modules a function imports when Lambda loads it, read with ``ast``.

Starting at the Handler's module (and the packages above it, which run first), every module
of the function's own code that is imported at module level is read, following relative and
absolute imports that resolve inside CodeUri. What does not resolve there is a top-level
import of another distribution, the standard library, or a layer's package; the caller sorts
those out.

Only imports that run when the module loads count: not those inside functions (lazy, often
optional), under ``if TYPE_CHECKING:``, or in a ``try`` block that catches ``ImportError``
(the code has a fallback). Packages vendored into CodeUri (a ``*.dist-info`` names them) are
not followed into: their own optional imports are not the function's.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from sam_fastapi.checks.platform.binaries import record_top_levels
from sam_fastapi.findings import Location
from sam_fastapi.pysource import (
    MAX_MODULES,
    Module,
    ModuleFinder,
    files_of,
    lambda_sys_path,
    load_time_imports,
    parse_module,
)
from sam_fastapi.pysource.imports import parent_package
from sam_fastapi.template.model import Function, Project


@dataclass(frozen=True)
class ExternalImport:
    """A module-level import that does not resolve inside the function's own code."""

    name: str  # the top-level module, what decides which distribution provides it
    statement: str  # "import yaml", "from jose import jwt"
    location: Location


def external_imports(project: Project, function: Function) -> list[ExternalImport] | None:
    """Imports of other code by ``function``'s modules, first occurrence of each top-level
    name; None when the Handler's module cannot be found (SF301 reports that)."""
    code_dir = function.code_dir
    if code_dir is None or not isinstance(function.handler, str):
        return None
    module_name = function.handler.rpartition(".")[0].replace("/", ".")
    finder = ModuleFinder(lambda_sys_path(project, function), project.project_root)
    start = finder.find(module_name) if module_name else None
    if start is None:
        return None
    vendored = _vendored(code_dir)
    found: dict[str, ExternalImport] = {}
    files: list[tuple[Path, Module]] = [(f, start) for f in start.runs_first]
    if start.file is not None:
        files.append((start.file, start))
    seen = {path for path, _ in files}
    index = 0
    while index < len(files) and index < MAX_MODULES:
        path, module = files[index]
        index += 1
        tree = parse_module(path)
        if not isinstance(tree, ast.Module):
            continue  # unreadable or a syntax error (SF305's finding)
        context = module if path == module.file else _package_of(path, module)
        for imported in load_time_imports(tree.body, context):
            if not imported.certain:
                continue  # a fallback exists, or it is one
            stmt, dotted = imported.stmt, imported.name
            top = dotted.partition(".")[0]
            local = finder.find(top)
            if local is None:
                if top not in found and top != "__future__":
                    found[top] = ExternalImport(top, _statement(stmt),
                                                Location(str(path), stmt.lineno,
                                                         stmt.col_offset + 1))
                continue
            if top in vendored or not _inside(local, code_dir):
                continue  # a layer's or a vendored package: provided, not the function's code
            target = finder.find(dotted)
            for next_path, next_module in files_of(target):
                if next_path not in seen:
                    seen.add(next_path)
                    files.append((next_path, next_module))
    return list(found.values())


def _package_of(path: Path, module: Module) -> Module:
    return parent_package(module, path) if path in module.runs_first else module


def _inside(module: Module, folder: Path) -> bool:
    files = [module.file, *module.runs_first]
    files += [entry for portion in module.package_path for entry in portion]
    return any(f is not None and f.is_relative_to(folder) for f in files)


def _vendored(code_dir: Path) -> frozenset[str]:
    """Top-level names of distributions installed into the code folder (``pip -t .``)."""
    names: set[str] = set()
    try:
        entries = list(code_dir.glob("*.dist-info"))
    except OSError:
        return frozenset()
    for dist_info in entries:
        names |= record_top_levels(dist_info)
    return frozenset(names)


def _statement(stmt: ast.stmt) -> str:
    if isinstance(stmt, ast.Import):
        return "import " + ", ".join(alias.name for alias in stmt.names)
    assert isinstance(stmt, ast.ImportFrom)
    names = ", ".join(alias.name for alias in stmt.names)
    return f"from {'.' * stmt.level}{stmt.module or ''} import {names}"
