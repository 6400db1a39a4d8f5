"""Where a function's or layer's files are, in the source folders and in ``sam build``'s output.

``sam build`` writes each resource to ``.aws-sam/build/<LogicalId>/`` beside the template; that
folder is what ``sam deploy`` zips, so when it exists it is what the platform rules measure and
scan. Walks are bounded and never leave the project: a symlink pointing out of it is skipped,
as sam-fastapi reads nothing outside the project.
"""

from __future__ import annotations

import os
import stat
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


def build_dir(project: Project, logical_id: str, ctx: CheckContext) -> Path | None:
    """``.aws-sam/build/<LogicalId>`` when ``sam build`` left one inside the project."""
    root = _build_root(project, ctx)
    if root is None:
        return None  # nothing is built: no need to ask for each resource
    folder = root / logical_id
    return folder if ctx.folders.is_dir(folder) and ctx.folders.inside(
        folder, project.project_root) else None


def _build_root(project: Project, ctx: CheckContext) -> Path | None:
    """``.aws-sam/build`` when it is a folder, looked at once per run."""
    def find() -> Path | None:
        root = project.root / BUILD_DIR
        return root if ctx.folders.is_dir(root) else None

    return ctx.memo.get(("build-root", project.root), find)


def function_artifact(project: Project, function: Function,
                      ctx: CheckContext) -> Artifact | None:
    """What Lambda unpacks to ``/var/task``: the build output when present, else CodeUri."""
    built = build_dir(project, function.logical_id, ctx)
    if built is not None:
        return Artifact(function.logical_id, built, True)
    if function.code_dir is not None and ctx.folders.is_dir(function.code_dir):
        return Artifact(function.logical_id, function.code_dir, False)
    return None


def layer_artifact(project: Project, layer: Layer, ctx: CheckContext) -> Artifact | None:
    """What Lambda unpacks to ``/opt``: the build output when present, else ContentUri."""
    built = build_dir(project, layer.logical_id, ctx)
    if built is not None:
        return Artifact(layer.logical_id, built, True)
    if layer.content_dir is not None and ctx.folders.is_dir(layer.content_dir):
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
    """Regular files under ``folder`` with their ``stat``, at most ``max_files`` of them, in the
    order ``os.walk`` gives them (each folder's files by name, then its folders by name).

    Symlinked folders are not entered; a symlinked file counts only when it points inside the
    project. One ``scandir`` per folder tells what is a folder or a symlink; a file costs one
    ``stat``.
    """
    seen = 0
    pending = [str(folder)]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue
        folders = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if entry.name not in SKIPPED_FOLDERS and not entry.is_symlink():
                    folders.append(entry.path)
                continue
            path = Path(entry.path)
            try:
                if entry.is_symlink() and not inside(project, path):
                    continue
                info = entry.stat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            seen += 1
            if seen > max_files:
                return
            yield path, info
        pending.extend(reversed(folders))
