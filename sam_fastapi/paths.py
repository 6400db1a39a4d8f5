"""Symlinks followed the same way on every Python sam-fastapi supports.

``Path.resolve()`` raises ``RuntimeError`` on a symlink loop up to Python 3.12 and returns the
path unchanged from 3.13 on, so a looping folder would look like an ordinary one inside the
project there. These helpers give one answer everywhere: a loop resolves to ``None`` and is
never inside anything.
"""

from __future__ import annotations

import errno
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
