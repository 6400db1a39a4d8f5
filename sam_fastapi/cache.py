"""A content-addressed cache in the user's cache folder (never in the project tree).

``SAM_FASTAPI_CACHE_DIR`` moves it. Entries are keyed by a hash of everything that produced
them, so a stale entry is never read. An entry is JSON, which cannot run code when read, and
it names the key it was written for; the callers parse the value into their own types and
treat anything unreadable, of the wrong shape or written for another key as a miss. A cache
folder restored from elsewhere (by CI, say) is untrusted input like any other file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

#: Bumped when the envelope changes; entries of another format are misses.
FORMAT = 2

#: A JSON value: dicts with string keys, lists, strings, numbers, booleans and None.
Json = Any


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

    def get(self, key: str) -> Json | None:
        """The JSON value stored for ``key``; None when missing, unreadable or for another key.

        Only the envelope is checked here: the caller validates the value's shape.
        """
        try:
            with open(self.folder / key[:2] / key, "rb") as fh:
                entry = json.loads(fh.read())
        except (OSError, ValueError, RecursionError):
            return None
        if (not isinstance(entry, dict) or entry.get("format") != FORMAT
                or entry.get("key") != key or "value" not in entry):
            return None
        return entry["value"]

    def put(self, key: str, value: Json) -> None:
        """Store ``value`` for ``key``; a value JSON cannot hold (an object, NaN) is not stored."""
        try:
            data = json.dumps({"format": FORMAT, "key": key, "value": value},
                              allow_nan=False, separators=(",", ":")).encode()
        except (TypeError, ValueError, RecursionError):
            return
        target = self.folder / key[:2] / key
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            import tempfile  # only when writing: reads start faster without it

            fd, tmp = tempfile.mkstemp(dir=target.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except OSError:
            pass  # a cache that cannot be written only costs time
