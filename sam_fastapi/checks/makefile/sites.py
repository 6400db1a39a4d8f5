"""Which resources ``sam build`` builds with make, and where it looks for their Makefile.

SAM CLI (``ApplicationBuilder._build_function`` / ``_build_layer``) runs
``make --makefile <folder>/Makefile build-<LogicalId>`` for a resource whose
``Metadata: BuildMethod`` is ``makefile``, where the folder is ``Metadata: ContextPath`` when
set, else ``Metadata: ProjectRootDirectory`` when set, else ``CodeUri`` (``ContentUri`` for a
layer), all relative to the template. ``BuildProperties`` play no part in it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sam_fastapi import paths
from sam_fastapi.checks.makefile.reader import Makefile, read_makefile
from sam_fastapi.findings import Location
from sam_fastapi.template.model import OutsidePath, Project

BUILD_METHOD = "makefile"
MAKEFILE = "Makefile"


@dataclass(frozen=True)
class MakefileSite:
    """Where one resource's Makefile should be, and which setting said so."""

    logical_id: str
    folder: Path
    setting: str  # "CodeUri", "ContentUri", "Metadata.ContextPath", ...
    shown_folder: str  # the folder as a user reads it, relative like the template path

    @property
    def path(self) -> Path:
        return self.folder / MAKEFILE

    @property
    def shown(self) -> str:
        return os.path.join(self.shown_folder, MAKEFILE)

    @property
    def target(self) -> str:
        return f"build-{self.logical_id}"

    @property
    def from_code_location(self) -> bool:
        return self.setting in ("CodeUri", "ContentUri")

    @property
    def template_path(self) -> tuple[str, ...]:
        return ("Resources", self.logical_id, "Metadata", "BuildMethod")


def makefile_sites(project: Project) -> Iterator[MakefileSite]:
    """One site per makefile-built function or layer whose Makefile is in the project."""
    for function in project.functions.values():
        if function.build_method != BUILD_METHOD or function.package_type == "Image":
            continue
        site = _site(project, function.logical_id, function.metadata, function.context_path,
                     function.code_dir, "CodeUri")
        if site is not None:
            yield site
    for layer in project.layers.values():
        if layer.build_method != BUILD_METHOD:
            continue
        site = _site(project, layer.logical_id, layer.metadata, layer.context_path,
                     layer.content_dir, "ContentUri")
        if site is not None:
            yield site


def _site(project: Project, logical_id: str, metadata: Mapping[str, Any],
          context_path: Path | OutsidePath | None, code_dir: Path | None,
          code_setting: str) -> MakefileSite | None:
    if code_dir is None or isinstance(context_path, OutsidePath):
        # Code in S3, behind an intrinsic, or a path out of the project (SF103's finding).
        return None
    project_root = metadata.get("ProjectRootDirectory")
    if context_path is not None:
        folder, setting = context_path, "Metadata.ContextPath"
    elif isinstance(project_root, str) and project_root:
        folder, setting = project.root / project_root, "Metadata.ProjectRootDirectory"
    else:
        folder, setting = code_dir, code_setting
    if not (_inside(project, folder) and _inside(project, folder / MAKEFILE)):
        return None
    return MakefileSite(logical_id, folder, setting, _shown(project, folder))


def _inside(project: Project, path: Path) -> bool:
    """Whether ``path``, symlinks followed, stays in the project: sam-fastapi reads no further."""
    return paths.inside(path, project.project_root)


def _shown(project: Project, folder: Path) -> str:
    """``folder`` the way the template path was given: relative when that was."""
    try:
        relative = os.path.relpath(folder, project.root)
    except ValueError:  # another drive, on Windows
        return str(folder)
    return os.path.normpath(os.path.join(project.template_path.parent, relative))


def makefile_of(site: MakefileSite) -> Makefile | None:
    """The parsed Makefile of ``site``, or None when there is none to read (SF201's case)."""
    try:
        return read_makefile(site.path)
    except OSError:
        return None


def makefile_location(site: MakefileSite, line: int = 1, column: int = 1,
                      end_column: int | None = None) -> Location:
    return Location(site.shown, line, column, line if end_column else None, end_column)
