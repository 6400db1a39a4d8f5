"""The imports a module body runs when it is loaded, and the modules they name."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sam_fastapi.pysource.finder import Module
from sam_fastapi.pysource.parsing import parse_module

#: An ``except`` naming one of these catches a failed import: the code has a fallback.
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


@dataclass(frozen=True)
class LoadImport:
    """One module an import statement that runs at load time names.

    ``guarded``: the statement is in a ``try`` whose handlers catch ``ImportError``;
    ``fallback``: it is in an ``except`` block, run only when the ``try`` failed.
    """

    stmt: ast.Import | ast.ImportFrom
    name: str  # absolute dotted name; for a from-import, also ``module.name`` (maybe a submodule)
    guarded: bool = False
    fallback: bool = False

    @property
    def certain(self) -> bool:
        """The import runs on every load, and its failure is not caught."""
        return not (self.guarded or self.fallback)


def absolute_module(stmt: ast.ImportFrom, module: Module) -> str | None:
    """The module a from-import names, relative ones resolved as from ``module``; None when
    the relative import goes above the top-level package (an ImportError)."""
    if not stmt.level:
        return stmt.module
    package = module.package.split(".") if module.package else []
    if stmt.level > len(package):
        return None
    base = ".".join(package[: len(package) - (stmt.level - 1)])
    return ".".join(p for p in (base, stmt.module) if p)


def load_time_imports(body: Sequence[ast.stmt], module: Module) -> Iterator[LoadImport]:
    """The imports ``module``'s body runs when it runs: not in functions or classes, and not
    under ``if TYPE_CHECKING:`` or ``if __name__ == "__main__":``. A from-import names a
    module and, maybe, its submodules."""
    yield from _walk(body, module, guarded=False, fallback=False)


def import_statements(body: Sequence[ast.stmt]) -> Iterator[tuple[ast.Import | ast.ImportFrom,
                                                                  bool, bool]]:
    """(statement, guarded, fallback) for every import statement that runs at load time,
    including relative ones that name no module (see ``absolute_module``)."""
    yield from _statements(body, guarded=False, fallback=False)


def _walk(body: Sequence[ast.stmt], module: Module, *, guarded: bool,
          fallback: bool) -> Iterator[LoadImport]:
    for stmt, inner_guarded, inner_fallback in _statements(body, guarded=guarded,
                                                           fallback=fallback):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                yield LoadImport(stmt, alias.name, inner_guarded, inner_fallback)
            continue
        target = absolute_module(stmt, module)
        if target:
            yield LoadImport(stmt, target, inner_guarded, inner_fallback)
            for alias in stmt.names:
                if alias.name != "*":
                    yield LoadImport(stmt, f"{target}.{alias.name}", inner_guarded,
                                     inner_fallback)


def _statements(body: Sequence[ast.stmt], *, guarded: bool,
                fallback: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            yield stmt, guarded, fallback
        elif isinstance(stmt, ast.If):
            # Neither runs when the module is imported: type checkers and scripts only.
            if not is_type_checking(stmt.test) and not is_main_guard(stmt.test):
                yield from _statements(stmt.body, guarded=guarded, fallback=fallback)
            yield from _statements(stmt.orelse, guarded=guarded, fallback=fallback)
        elif isinstance(stmt, ast.Try | getattr(ast, "TryStar", ast.Try)):
            catches = any(catches_import_error(h) for h in stmt.handlers)
            yield from _statements(stmt.body, guarded=guarded or catches, fallback=fallback)
            for handler in stmt.handlers:
                yield from _statements(handler.body, guarded=guarded, fallback=True)
            yield from _statements(stmt.orelse, guarded=guarded or catches, fallback=fallback)
            yield from _statements(stmt.finalbody, guarded=guarded, fallback=fallback)
        elif isinstance(stmt, ast.With | ast.AsyncWith | ast.For | ast.AsyncFor | ast.While):
            yield from _statements(stmt.body, guarded=guarded, fallback=fallback)


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"``: true only when the module runs as a script."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    mains = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and mains)


def catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        (isinstance(t, ast.Name) and t.id in IMPORT_ERRORS)
        or (isinstance(t, ast.Attribute) and t.attr in IMPORT_ERRORS)
        for t in types
    )


def files_of(module: Module | None) -> Iterator[tuple[Path, Module]]:
    """The files importing ``module`` runs, each with the module it is: its parent packages'
    ``__init__.py``, then its own file."""
    if module is None:
        return
    for init in module.runs_first:
        yield init, parent_package(module, init)
    if module.file is not None:
        yield module.file, module


def parent_package(module: Module, init: Path) -> Module:
    """The package whose ``__init__.py`` is ``init``, one of those ``module`` runs first."""
    depth = len(module.runs_first) - module.runs_first.index(init)
    name = module.name.rsplit(".", depth)[0]
    return Module(name, init, package_path=((init.parent,),))


class LoadWalk:
    """The files loading a module runs, breadth first: the module and its parent packages'
    ``__init__.py``, then what the caller follows (``follow``) as it reads each file's imports.

    At most ``limit`` files are read; each is read once, with the module it is for relative
    imports. Unreadable files and syntax errors are skipped (SF305 reports them).
    """

    def __init__(self, start: Module, limit: int) -> None:
        self.limit = limit
        self._files: list[tuple[Path, Module]] = list(files_of(start))
        self._seen = {path for path, _ in self._files}

    def follow(self, module: Module | None) -> None:
        for path, owner in files_of(module):
            if path not in self._seen:
                self._seen.add(path)
                self._files.append((path, owner))

    def __iter__(self) -> Iterator[tuple[Path, Module, ast.Module]]:
        index = 0
        while index < len(self._files) and index < self.limit:
            path, module = self._files[index]
            index += 1
            tree = parse_module(path)
            if isinstance(tree, ast.Module):
                yield path, module, tree
