"""Built dependency trees, kept by content key with a bound on their total size.

Each entry is ``<folder>/<key>/`` holding ``tree/`` (what pip installed) and ``size`` (its
bytes). An entry is written under ``tmp/`` and renamed into place, so a reader never sees a
half-written one and two builds of the same key cannot mix. Using an entry touches it; when the
total passes the bound, the least recently used entries go first, never the newest one.

Restoring hard-links the entry's files where the file system allows (as uv and pnpm do): a
layer is thousands of small files, and linking them is an order of magnitude faster than
copying. The cached files are made read-only, so editing a restored file in place fails
instead of changing the cache (deleting or replacing one is harmless). Elsewhere (Windows,
another file system) the files are copied.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

DEFAULT_MAX_BYTES = 2 * 1024**3

_KEY = re.compile(r"^[0-9a-f]{64}$")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from ``500M``, ``2G``, ``1.5GB`` or a plain number of bytes."""
    match = _SIZE.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a size (examples: 500M, 2G)")
    power = "BKMGT".index((match[2] or "B").upper())
    return int(float(match[1]) * 1024**power)


class TreeStore:
    """Folders of installed packages, addressed by the digest of what produced them."""

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes

    def restore(self, key: str, dest: Path) -> bool:
        """Copy entry ``key`` into ``dest``; False when there is no such entry."""
        entry = self.folder / key
        tree = entry / "tree"
        if not tree.is_dir():
            return False
        with contextlib.suppress(OSError):
            os.utime(entry)
        place(tree, dest)
        return True

    @contextlib.contextmanager
    def writing(self, key: str) -> Iterator[Path]:
        """An empty folder to build into; it becomes entry ``key`` when the block succeeds."""
        import tempfile  # only when writing: a restore starts faster without it

        scratch = self.folder / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=scratch))
        try:
            (staging / "tree").mkdir()
            yield staging / "tree"
            (staging / "size").write_text(str(_freeze(staging / "tree")))
            try:
                staging.rename(self.folder / key)
            except OSError:
                if not (self.folder / key / "tree").is_dir():
                    raise
                # Another build stored the same key first; its tree is as good as ours.
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.evict(keep=key)

    def evict(self, keep: str) -> None:
        """Remove least recently used entries until the total fits, sparing ``keep``."""
        entries = []
        for entry in self._entries():
            try:
                entries.append((entry.stat().st_mtime, entry, _entry_size(entry)))
            except OSError:
                continue
        total = sum(size for _, _, size in entries)
        for _, entry, size in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            if entry.name == keep:
                continue
            self._remove(entry)
            total -= size

    def total_bytes(self) -> int:
        return sum(_entry_size(entry) for entry in self._entries())

    def keys(self) -> set[str]:
        return {entry.name for entry in self._entries()}

    def _entries(self) -> Iterator[Path]:
        if not self.folder.is_dir():
            return
        for entry in self.folder.iterdir():
            if _KEY.match(entry.name) and entry.is_dir():
                yield entry

    def _remove(self, entry: Path) -> None:
        # Renamed out of the way first, so a concurrent reader sees it whole or not at all.
        import tempfile

        scratch = self.folder / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        doomed = Path(tempfile.mkdtemp(dir=scratch)) / entry.name
        try:
            entry.rename(doomed)
        except OSError:
            return
        shutil.rmtree(doomed.parent, ignore_errors=True)


def place(tree: Path, dest: Path) -> None:
    """Put the files of ``tree`` into ``dest``, linked when possible, else copied."""
    shutil.copytree(tree, dest, dirs_exist_ok=True, symlinks=True, copy_function=_link_or_copy)


def _link_or_copy(src: str, dst: str) -> str:
    if os.name == "posix":
        try:
            os.link(src, dst)
            return dst
        except OSError:
            pass  # another file system, or dst exists: copy instead
    return shutil.copy2(src, dst)


def _freeze(tree: Path) -> int:
    """Make the files of ``tree`` read-only (on POSIX, where they get linked); their bytes."""
    total = 0
    for root, _, files in os.walk(tree):
        for name in files:
            path = os.path.join(root, name)
            info = os.lstat(path)
            total += info.st_size
            if os.name == "posix" and stat.S_ISREG(info.st_mode):
                os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o222)
    return total


def _entry_size(entry: Path) -> int:
    try:
        return int((entry / "size").read_text())
    except (OSError, ValueError):
        return _tree_size(entry)


def _tree_size(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total
