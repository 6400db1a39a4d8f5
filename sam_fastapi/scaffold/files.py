"""Writing a generated project without destroying anything the user made.

A folder that is not empty is refused unless ``force`` is given. Even then a file is only
replaced when sam-fastapi wrote it and nobody changed it since: ``MANIFEST`` records the hash of
every file written. Anything else is kept unless ``confirm(path)`` (an interactive question)
says yes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".sam-fastapi.json"


class ScaffoldError(Exception):
    """The project cannot be written; the message says why in one line."""


@dataclass
class WriteResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the user's files, left as they were


def write_project(root: Path, files: Mapping[str, str], *, force: bool = False,
                  confirm: Callable[[str], bool] | None = None) -> WriteResult:
    """Write ``files`` (relative POSIX path -> text) under ``root``."""
    if root.exists() and not root.is_dir():
        raise ScaffoldError(f"{root} exists and is not a folder")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise ScaffoldError(
            f"{root} is not empty; use --force to add to it (files sam-fastapi did not "
            "write are never replaced without asking)"
        )
    ours = _read_manifest(root)
    result = WriteResult()
    for name, text in files.items():
        target = root / name
        if not target.resolve().is_relative_to(root.resolve()):
            raise ScaffoldError(f"refusing to write {name}: outside {root}")
        data = text.encode("utf-8")
        if target.is_dir():
            result.kept.append(name)
            continue
        if target.exists():
            current = target.read_bytes()
            if current == data:
                result.unchanged.append(name)
                ours[name] = _digest(data)
                continue
            mine = ours.get(name) == _digest(current)
            if not mine and not (confirm is not None and confirm(name)):
                result.kept.append(name)
                continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        ours[name] = _digest(data)
        result.written.append(name)
    root.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST).write_text(
        json.dumps({"generated": dict(sorted(ours.items()))}, indent=2) + "\n", encoding="utf-8"
    )
    return result


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(root: Path) -> dict[str, str]:
    try:
        data = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    generated = data.get("generated") if isinstance(data, dict) else None
    if not isinstance(generated, dict):
        return {}
    return {str(k): str(v) for k, v in generated.items()}
