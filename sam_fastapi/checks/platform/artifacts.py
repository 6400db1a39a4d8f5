"""Where a function's or layer's files are, in the source folders and in ``sam build``'s output.

``sam build`` writes each resource to ``.aws-sam/build/<LogicalId>/`` beside the template; that
folder is what ``sam deploy`` zips, so when it exists it is what the platform rules measure and
scan. Walks are bounded and never leave the project: a symlink pointing out of it is skipped,
as sam-fastapi reads nothing outside the project.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sam_fastapi import paths
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.layers.platform import LambdaPlatform, PlatformError
from sam_fastapi.template.model import Function, Layer, Project

BUILD_DIR = Path(".aws-sam") / "build"

#: Folders never packaged by ``sam build`` (or holding its own output), so never walked.
SKIPPED_FOLDERS = frozenset({".aws-sam", ".git", "__pycache__", ".venv", "venv", ".tox",
                             ".mypy_cache", ".pytest_cache", ".ruff_cache", "node_modules"})

#: How many files one walk visits at most: a code folder is not a whole disk.
MAX_FILES = 100_000


@dataclass(frozen=True)
class Artifact:
    """One folder that ends up in a function's deployment: its code or a layer's content."""

    logical_id: str
    folder: Path
    built: bool  # True: the ``sam build`` output, False: the source folder

    def shown(self, project: Project) -> str:
        try:
            return Path(self.folder).relative_to(project.root).as_posix() + "/"
        except ValueError:
            return str(self.folder)


def build_dir(project: Project, logical_id: str) -> Path | None:
    """``.aws-sam/build/<LogicalId>`` when ``sam build`` left one inside the project."""
    folder = project.root / BUILD_DIR / logical_id
    return folder if folder.is_dir() and inside(project, folder) else None


def function_artifact(project: Project, function: Function) -> Artifact | None:
    """What Lambda unpacks to ``/var/task``: the build output when present, else CodeUri."""
    built = build_dir(project, function.logical_id)
    if built is not None:
        return Artifact(function.logical_id, built, True)
    if function.code_dir is not None and function.code_dir.is_dir():
        return Artifact(function.logical_id, function.code_dir, False)
    return None


def layer_artifact(project: Project, layer: Layer) -> Artifact | None:
    """What Lambda unpacks to ``/opt``: the build output when present, else ContentUri."""
    built = build_dir(project, layer.logical_id)
    if built is not None:
        return Artifact(layer.logical_id, built, True)
    if layer.content_dir is not None and layer.content_dir.is_dir():
        return Artifact(layer.logical_id, layer.content_dir, False)
    return None


def lambda_platform(function: Function) -> LambdaPlatform | None:
    """The runtime and architecture of a Python zip function, None for anything else."""
    if function.package_type == "Image" or not isinstance(function.runtime, str):
        return None
    try:
        return LambdaPlatform(function.runtime, function.architecture)
    except PlatformError:
        return None


def inside(project: Project, path: Path) -> bool:
    """Whether ``path``, symlinks followed, stays in the project."""
    return paths.inside(path, project.project_root)


def files_of(project: Project, folder: Path, ctx: CheckContext) -> list[tuple[Path, int]]:
    """``walk_files`` of ``folder`` as (path, size), walked once per run: the size and the
    native-binary rules read the same folders."""
    return ctx.memo.get(("files", folder), lambda: [
        (path, info.st_size) for path, info in walk_files(project, folder)])


def walk_files(project: Project, folder: Path, *,
               max_files: int = MAX_FILES) -> Iterator[tuple[Path, os.stat_result]]:
    """Regular files under ``folder`` with their ``stat``, at most ``max_files`` of them.

    Symlinked folders are not entered; a symlinked file counts only when it points inside the
    project.
    """
    seen = 0
    for current, folders, files in os.walk(folder):
        folders[:] = sorted(d for d in folders if d not in SKIPPED_FOLDERS)
        for name in sorted(files):
            path = Path(current, name)
            try:
                if path.is_symlink() and not inside(project, path):
                    continue
                info = path.stat()
            except OSError:
                continue
            if not os.path.isfile(path):
                continue
            seen += 1
            if seen > max_files:
                return
            yield path, info
