"""``lint --watch``: the files a lint run depends on, and noticing when one of them changes.

Changes are found by polling ``stat`` (modification time, size, inode) a few times a second:
it needs no dependency and works the same on every platform and file system (network
mounts and containers' bind mounts included, where change notifications are unreliable).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sam_fastapi.checks.platform.artifacts import SKIPPED_FOLDERS
from sam_fastapi.lint import CFN_LINT_CONFIG_FILES, TEMPLATE_NAMES, is_project_file
from sam_fastapi.template.model import Project

#: Seconds between two looks at the watched files.
POLL_INTERVAL = 0.25

#: What lint reads beside a template: its parameter overrides and its recorded events.
_BESIDE_TEMPLATE = ("samconfig.toml",)
_EVENTS_FOLDER = "events"


@dataclass(frozen=True)
class Watched:
    """Files whose every change re-lints (present or not: their creation counts too), and
    folders whose handlers, Makefiles and requirements files do, new ones included."""

    files: frozenset[Path]
    folders: frozenset[Path]


def watched(paths: Sequence[Path], projects: Iterable[Project]) -> Watched:
    """What a run over ``paths`` that read ``projects`` depends on.

    The paths named on the command line (a template that comes back after being deleted),
    the templates found in a folder named there, cfn-lint's configuration files in the
    working and home folders, every ``pyproject.toml`` lint could take its settings from, and
    for each project its template, ``samconfig.toml``, recorded events and the code folders
    of its functions and layers.
    """
    files: set[Path] = set()
    folders: set[Path] = set()
    for path in paths:
        path = path.absolute()
        files.add(path)
        if path.is_dir():
            files.update(path / name for name in TEMPLATE_NAMES)
            files.update(child / name for child in _subfolders(path) for name in TEMPLATE_NAMES)
    for base in (Path.cwd(), Path.home()):
        files.update(base / name for name in CFN_LINT_CONFIG_FILES)
    for project in projects:
        template = project.template_path.absolute()
        files.add(template)
        files.update(folder / "pyproject.toml" for folder in template.parents)
        files.update(project.root.absolute() / name for name in _BESIDE_TEMPLATE)
        folders.add(project.root.absolute() / _EVENTS_FOLDER)
        code = [f.code_dir for f in project.functions.values()]
        code += [layer.content_dir for layer in project.layers.values()]
        folders.update(folder.absolute() for folder in code if folder is not None)
    return Watched(frozenset(files), frozenset(folders))


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [entry for entry in folder.iterdir() if entry.is_dir()]
    except OSError:
        return []


#: One file's state: (modification time, size, inode), or None when it does not exist.
Stat = tuple[int, int, int] | None


def snapshot(watch: Watched) -> dict[Path, Stat]:
    """The state of every watched file, and of every file of interest in watched folders."""
    states = {path: _stat(path) for path in watch.files}
    for folder in watch.folders:
        for path in _files_of_interest(folder):
            states[path] = _stat(path)
    return states


def _stat(path: Path) -> Stat:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def _files_of_interest(folder: Path) -> Iterable[Path]:
    """Handlers, Makefiles, requirements files and recorded events (``.json``) below
    ``folder``; the folders lint skips (virtual environments, build output) are skipped."""
    for current, subfolders, files in os.walk(folder):
        subfolders[:] = [d for d in subfolders if d not in SKIPPED_FOLDERS]
        for name in files:
            path = Path(current, name)
            if is_project_file(path) or path.suffix == ".json":
                yield path


def changed(before: dict[Path, Stat], after: dict[Path, Stat]) -> list[Path]:
    """The files that appeared, disappeared or changed, in path order."""
    return sorted(path for path in before.keys() | after.keys()
                  if before.get(path) != after.get(path))


def wait_for_change(watch: Watched, before: dict[Path, Stat], *,
                    interval: float = POLL_INTERVAL,
                    sleep: Callable[[float], None] = time.sleep
                    ) -> tuple[dict[Path, Stat], list[Path]]:
    """Poll until a watched file differs from ``before``: the new state and what changed."""
    while True:
        sleep(interval)
        after = snapshot(watch)
        differences = changed(before, after)
        if differences:
            return after, differences
