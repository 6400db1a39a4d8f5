"""Symlinks followed the same way on every Python sam-fastapi supports.

``Path.resolve()`` raises ``RuntimeError`` on a symlink loop up to Python 3.12 and returns the
path unchanged from 3.13 on, so a looping folder would look like an ordinary one inside the
project there. These helpers give one answer everywhere: a loop resolves to ``None`` and is
never inside anything.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Collection
from pathlib import Path


def resolved(path: Path) -> Path | None:
    """``path`` with every symlink followed; ``None`` when a symlink loops.

    A path that does not exist (yet) resolves as far as it exists, like ``Path.resolve()``.
    """
    try:
        return path.resolve(strict=True)
    except RuntimeError:  # a loop, up to Python 3.12
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a loop, from Python 3.13 on
            return None
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def inside(path: Path, *folders: Path) -> bool:
    """Whether ``path``, symlinks followed, stays in one of ``folders`` (a loop never does)."""
    target = resolved(path)
    if target is None:
        return False
    return any((root := resolved(folder)) is not None and target.is_relative_to(root)
               for folder in folders)


class Folders:
    """The folders one lint run reads, each listed once, and paths resolved once.

    The checks of a run ask the same questions of the same folders: is ``app/__init__.py``
    there, is it a file, do its symlinks stay in the project; for 100 functions sharing a
    layer, thousands of times. One ``os.scandir`` per folder answers the first two for every
    name in it, and a name that is not a symlink resolves to its folder's resolved path with
    the name appended, so only symlinks (and names the listing does not show) cost a system
    call. Every answer is the one ``resolved``, ``Path.is_dir`` and ``Path.is_file`` give;
    the listing is taken when first asked, so a run sees one state of each folder. Safe to
    share between threads: a race at worst lists a folder twice.
    """

    def __init__(self) -> None:
        # Keyed by the path's text: hashing a string is cached, hashing a Path is not.
        self._listings: dict[str, dict[str, os.DirEntry[str]] | None] = {}
        self._resolved: dict[str, Path | None] = {}

    def names(self, folder: Path) -> Collection[str]:
        """The names in ``folder``; none when it cannot be listed."""
        listing = self._listing(str(folder))
        return listing.keys() if listing is not None else ()

    def resolved(self, path: Path) -> Path | None:
        """``resolved(path)``, from the listings where they tell."""
        key = str(path)
        try:
            return self._resolved[key]
        except KeyError:
            pass
        entry = self._entry(key)
        target: Path | None
        if entry is not None and not entry.is_symlink():
            parent = self.resolved(path.parent)
            target = parent / path.name if parent is not None else resolved(path)
        else:
            target = resolved(path)
        self._resolved[key] = target
        return target

    def inside(self, path: Path, *folders: Path) -> bool:
        """``inside(path, *folders)``, from the listings where they tell."""
        target = self.resolved(path)
        if target is None:
            return False
        return any((root := self.resolved(folder)) is not None and target.is_relative_to(root)
                   for folder in folders)

    def child_inside(self, folder: Path, name: str, root: Path) -> bool:
        """``inside(folder / name, root)`` for a ``root`` already resolved, without making
        paths for what the listing of ``folder`` answers (the module finder asks thousands
        of times)."""
        listing = self._listing(str(folder))
        entry = listing.get(name) if listing is not None else None
        if entry is not None and not entry.is_symlink() and name != "..":
            parent = self.resolved(folder)
            if parent is not None:
                target = os.path.normcase(os.path.join(parent, name))
                base = os.path.normcase(root)
                return target == base or target.startswith(base.rstrip(os.sep) + os.sep)
        target = self.resolved(folder / name)
        return target is not None and target.is_relative_to(root)

    def entry(self, folder: Path, name: str) -> os.DirEntry[str] | None:
        """The listing of ``folder``'s entry ``name``; None when it holds none (or cannot be
        listed)."""
        listing = self._listing(str(folder))
        return listing.get(name) if listing is not None else None

    def is_dir(self, path: Path) -> bool:
        entry = self._entry(str(path))
        if entry is not None:
            try:
                return entry.is_dir()
            except OSError:
                pass
        return path.is_dir()

    def is_file(self, path: Path) -> bool:
        entry = self._entry(str(path))
        if entry is not None:
            try:
                return entry.is_file()
            except OSError:
                pass
        return path.is_file()

    def _entry(self, path: str) -> os.DirEntry[str] | None:
        """The listing's entry for ``path`` (a Path's text); None when the listing cannot tell
        (a relative path, ``..``, a folder that cannot be listed, a name it does not hold)."""
        if not os.path.isabs(path):
            return None
        parent, name = os.path.split(path)
        if name in ("", ".."):
            return None
        listing = self._listing(parent)
        return listing.get(name) if listing is not None else None

    def _listing(self, folder: str) -> dict[str, os.DirEntry[str]] | None:
        try:
            return self._listings[folder]
        except KeyError:
            pass
        try:
            with os.scandir(folder) as entries:
                listing: dict[str, os.DirEntry[str]] | None = {e.name: e for e in entries}
        except (OSError, ValueError):  # ValueError: a NUL in the path
            listing = None
        self._listings[folder] = listing
        return listing
