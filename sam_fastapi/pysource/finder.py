"""Finding modules on disk the way Lambda's Python runtime finds them, without importing.

``sys.path`` on Lambda is ``/var/task`` (the function's CodeUri), then
``/opt/python/lib/pythonX.Y/site-packages`` and ``/opt/python``, where every layer is unpacked,
later layers over earlier ones. A local layer contributes ``ContentUri/python`` and its
``lib/pythonX.Y/site-packages``; built with a ``pythonX.Y`` BuildMethod, ``sam build`` puts
``ContentUri`` itself under ``python/``. Layers given by ARN cannot be seen and are not searched.

Each dotted part is looked up as the import system does: a folder with ``__init__.py`` (a
package) wins over ``name.py``, which wins over a folder without ``__init__.py`` (a namespace
package, possibly spread over several path entries). Names match case-sensitively, as on
Lambda's file system, even where the local one is case-insensitive. Importing ``a.b.c`` runs
``a/__init__.py`` and ``a/b/__init__.py`` first.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sam_fastapi import paths
from sam_fastapi.template.model import Function, Project

#: One ``sys.path`` entry: several folders when layers are unpacked over each other into /opt.
SearchEntry = tuple[Path, ...]


@dataclass(frozen=True)
class Module:
    """A module as the import system would find it."""

    name: str
    file: Path | None  # the .py source; None for a namespace package or a compiled module
    package_path: tuple[SearchEntry, ...] = ()  # where its submodules are; empty for a module
    compiled: bool = False
    runs_first: tuple[Path, ...] = ()  # the parent packages' __init__.py, run before it

    @property
    def is_package(self) -> bool:
        return bool(self.package_path)

    @property
    def package(self) -> str:
        """The package relative imports start from (``__package__``)."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


def lambda_sys_path(project: Project, function: Function) -> tuple[SearchEntry, ...]:
    """The local folders that stand for Lambda's ``sys.path`` of ``function``, in order."""
    version = python_version(function.runtime)
    site_packages: list[Path] = []
    opt_python: list[Path] = []
    for layer in project.function_layers(function):
        folder = layer.content_dir
        if folder is None:
            continue
        if layer.build_method and layer.build_method.startswith("python"):
            opt_python.append(folder)
            continue
        python, site = layer_python_folders(folder, version)
        if site is not None:
            site_packages.append(site)
        opt_python.append(python)
    entries: list[SearchEntry] = []
    if function.code_dir is not None:
        entries.append((function.code_dir,))
    entries.extend(entry for entry in (tuple(site_packages), tuple(opt_python)) if entry)
    return tuple(entries)


@functools.lru_cache(maxsize=256)
def layer_python_folders(folder: Path,
                         version: tuple[int, int] | None) -> tuple[Path, Path | None]:
    """Where a layer folder's packages go: ``python/`` (``/opt/python`` on Lambda) and, for
    a Python ``version``, ``python/lib/pythonX.Y/site-packages``. Every function using the
    layer asks: the paths are made once."""
    python = folder / "python"
    if version is None:
        return python, None
    return python, python / "lib" / f"python{version[0]}.{version[1]}" / "site-packages"


class ModuleFinder:
    """Finds modules on a ``sys.path`` of local folders, without importing anything.

    With a ``boundary`` (the project root), a file or folder whose symlinks lead out of it, or
    loop, is taken as absent: it is never read (SF103's promise). ``folders`` lists the
    folders; the checks of one lint run share theirs. What is found is kept: a finder answers
    for one state of the folders.
    """

    def __init__(self, sys_path: Sequence[SearchEntry], boundary: Path | None = None, *,
                 folders: paths.Folders | None = None) -> None:
        self.sys_path = tuple(sys_path)
        self._folders = folders if folders is not None else paths.Folders()
        self._boundary = ((self._folders.resolved(boundary) or boundary.resolve())
                          if boundary is not None else None)
        self._found: dict[str, Module | None] = {}

    def find(self, dotted: str) -> Module | None:
        try:
            return self._found[dotted]
        except KeyError:
            module = self._found[dotted] = self._find(dotted)
            return module

    def _find(self, dotted: str) -> Module | None:
        parts = dotted.split(".")
        if not all(parts):
            return None
        entries = self.sys_path
        runs_first: list[Path] = []
        module: Module | None = None
        for index, part in enumerate(parts):
            if module is not None:
                if not module.is_package:
                    return None
                if module.file is not None:
                    runs_first.append(module.file)
                entries = module.package_path
            module = self._find_part(".".join(parts[: index + 1]), part, entries, tuple(runs_first))
            if module is None:
                return None
        return module

    def candidates(self, dotted: str) -> tuple[Path, ...]:
        """The two files the first path entry (CodeUri) could hold ``dotted`` in."""
        if not self.sys_path:
            return ()
        base = self.sys_path[0][0].joinpath(*dotted.split("."))
        return base.with_name(base.name + ".py"), base / "__init__.py"

    def same_but_case(self, dotted: str) -> Path | None:
        """A file in CodeUri that would be ``dotted`` on a case-insensitive file system."""
        if not self.sys_path:
            return None
        return self._alike(self.sys_path[0][0], dotted.split("."))

    def _alike(self, folder: Path, parts: list[str]) -> Path | None:
        part, rest = parts[0].lower(), parts[1:]
        names = sorted(self._names(folder))
        if not rest:
            for name in names:
                if name.lower() == f"{part}.py" and self._has(folder, name):
                    return folder / name
        for name in names:
            if name.lower() == part and self._has(folder, name, folder=True):
                found = (self._alike(folder / name, rest) if rest
                         else self._alike(folder / name, ["__init__"]))
                if found is not None:
                    return found
        return None

    def _find_part(
        self, name: str, part: str, entries: Iterable[SearchEntry], runs_first: tuple[Path, ...]
    ) -> Module | None:
        portions: list[SearchEntry] = []
        for entry in entries:
            folders = tuple(d / part for d in entry if self._has(d, part, folder=True))
            inits = [f / "__init__.py" for f in folders if self._has(f, "__init__.py")]
            if inits:
                return Module(name, inits[-1], (folders,), runs_first=runs_first)
            sources = [d / f"{part}.py" for d in entry if self._has(d, f"{part}.py")]
            if sources:
                return Module(name, sources[-1], runs_first=runs_first)
            if any(self._compiled(d, part) for d in entry):
                return Module(name, None, compiled=True, runs_first=runs_first)
            if folders:
                portions.append(folders)
        if portions:
            return Module(name, None, tuple(portions), runs_first=runs_first)
        return None

    def _names(self, folder: Path) -> Collection[str]:
        return self._folders.names(folder)

    def _has(self, directory: Path, name: str, *, folder: bool = False) -> bool:
        entry = self._folders.entry(directory, name)
        if entry is None:
            return False
        if self._boundary is not None and not self._folders.child_inside(directory, name,
                                                                          self._boundary):
            return False
        try:
            return entry.is_dir() if folder else entry.is_file()
        except OSError:
            path = directory / name
            return path.is_dir() if folder else path.is_file()

    def _compiled(self, folder: Path, part: str) -> bool:
        return any(
            n == f"{part}.pyc" or (n.startswith(f"{part}.") and n.endswith((".so", ".pyd")))
            for n in self._names(folder)
        )



def python_version(runtime: object) -> tuple[int, int] | None:
    """``(3, 12)`` for ``python3.12``; None for any other runtime."""
    match = re.fullmatch(r"python(\d+)\.(\d+)", runtime) if isinstance(runtime, str) else None
    return (int(match[1]), int(match[2])) if match else None
