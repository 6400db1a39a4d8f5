"""A content-addressed cache in the user's cache folder (never in the project tree).

``SAM_FASTAPI_CACHE_DIR`` moves it. Entries are keyed by a hash of everything that produced
them, so a stale entry is never read; a damaged entry reads as a miss.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    explicit = os.environ.get("SAM_FASTAPI_CACHE_DIR")
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "sam-fastapi"


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class Cache:
    def __init__(self, namespace: str, folder: Path | None = None) -> None:
        self.folder = (folder or cache_dir()) / namespace

    def get(self, key: str) -> Any | None:
        try:
            with open(self.folder / key[:2] / key, "rb") as fh:
                return pickle.load(fh)
        except Exception:
            return None

    def put(self, key: str, value: Any) -> None:
        target = self.folder / key[:2] / key
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            import tempfile  # only when writing: reads start faster without it

            fd, tmp = tempfile.mkstemp(dir=target.parent)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)
        except OSError:
            pass  # a cache that cannot be written only costs time
