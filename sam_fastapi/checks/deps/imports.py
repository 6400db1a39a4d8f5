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

from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.deps.distributions import dist_infos
from sam_fastapi.checks.functions import module_finder
from sam_fastapi.checks.platform.binaries import record_top_levels
from sam_fastapi.findings import Location
from sam_fastapi.pysource import (
    MAX_MODULES,
    LoadWalk,
    Module,
    load_time_imports,
)
from sam_fastapi.template.model import Function, Project


@dataclass(frozen=True)
class ExternalImport:
    """A module-level import that does not resolve inside the function's own code."""

    name: str  # the top-level module, what decides which distribution provides it
    statement: str  # "import yaml", "from jose import jwt"
    location: Location


def external_imports(project: Project, function: Function,
                     ctx: CheckContext) -> list[ExternalImport] | None:
    """Imports of other code by ``function``'s modules, first occurrence of each top-level
    name; None when the Handler's module cannot be found (SF301 reports that)."""
    code_dir = function.code_dir
    if code_dir is None or not isinstance(function.handler, str):
        return None
    module_name = function.handler.rpartition(".")[0].replace("/", ".")
    finder = module_finder(project, function, ctx)
    start = finder.find(module_name) if module_name else None
    if start is None:
        return None
    vendored = vendored_names(code_dir, ctx)
    found: dict[str, ExternalImport] = {}
    walk = LoadWalk(start, MAX_MODULES)
    for path, module, tree in walk:
        for imported in load_time_imports(tree.body, module):
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
            if top in vendored or not inside_code(local, code_dir):
                continue  # a layer's or a vendored package: provided, not the function's code
            walk.follow(finder.find(dotted))
    return list(found.values())


def inside_code(module: Module, folder: Path) -> bool:
    files = [module.file, *module.runs_first]
    files += [entry for portion in module.package_path for entry in portion]
    return any(f is not None and f.is_relative_to(folder) for f in files)


def vendored_names(code_dir: Path, ctx: CheckContext) -> frozenset[str]:
    """Top-level names of distributions installed into the code folder (``pip -t .``), read
    once per run."""
    def read() -> frozenset[str]:
        names: set[str] = set()
        for dist_info in dist_infos(code_dir, ctx.folders):
            names |= record_top_levels(dist_info)
        return frozenset(names)

    return ctx.memo.get(("vendored", str(code_dir)), read)


def _statement(stmt: ast.stmt) -> str:
    if isinstance(stmt, ast.Import):
        return "import " + ", ".join(alias.name for alias in stmt.names)
    assert isinstance(stmt, ast.ImportFrom)
    names = ", ".join(alias.name for alias in stmt.names)
    return f"from {'.' * stmt.level}{stmt.module or ''} import {names}"
