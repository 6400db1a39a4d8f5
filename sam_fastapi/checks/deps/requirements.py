"""``requirements.txt`` read as pip reads it, without running pip.

Handled: comments (a ``#`` at the start or after a blank), backslash continuations, options
lines (``--index-url``, ``-f``...), per-requirement options (``--hash=...``), extras and
environment markers (``packaging``), ``-r``/``--requirement`` includes (relative to the file
that names them, never out of the project, each file once), ``-c`` constraints (which add no
requirement), ``-e``/``--editable`` and URLs (the name from ``name @ url``, ``#egg=name`` or a
wheel's file name). A line whose distribution cannot be named (a local folder, a bad line) is
kept as *opaque*: what it provides is unknown, and the caller must not guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Parsed
from packaging.utils import canonicalize_name

from sam_fastapi import paths

#: A requirements file larger than this is read only this far.
MAX_BYTES = 1024 * 1024

_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s+|=|(?=\S))(\S+)")
_CONSTRAINT = re.compile(r"^(?:-c|--constraint)(?:\s+|=|(?=\S))(\S+)")
_EDITABLE = re.compile(r"^(?:-e|--editable)(?:\s+|=|(?=\S))(\S+)")
_OPTION = re.compile(r"\s+--?[a-zA-Z][\w-]*(?:[= ]\S+)?")
_COMMENT = re.compile(r"(^|\s+)#.*$")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_WHEEL_FILE = re.compile(r"(?:^|/)([A-Za-z0-9][A-Za-z0-9._]*?)-\d[^/-]*(?:-\d[^/-]*)?"
                         r"-[^/-]+-[^/-]+-[^/-]+\.whl$")
_SDIST_FILE = re.compile(r"(?:^|/)([A-Za-z0-9][A-Za-z0-9._-]*?)-\d[\w.!+]*"
                         r"\.(?:tar\.gz|zip|tar\.bz2)$")


@dataclass(frozen=True)
class Requirement:
    """One requirement line: a distribution (canonical name) or an opaque line."""

    file: Path
    line: int
    text: str
    name: str | None  # None: opaque, what it installs is unknown
    extras: frozenset[str] = frozenset()
    marker: Marker | None = None

    def applies(self, environment: Mapping[str, str]) -> bool:
        """Whether its environment marker holds on the target (an unknown marker holds)."""
        if self.marker is None:
            return True
        try:
            return self.marker.evaluate(dict(environment))
        except Exception:  # an undefined comparison: take it as installed, never guess missing
            return True


def read_requirements(path: Path, boundary: Path, *,
                      folders: paths.Folders | None = None) -> list[Requirement]:
    """The requirements of ``path`` and of the files it includes, in order; ``folders``
    answers for the folders of a lint run."""
    folders = folders if folders is not None else paths.Folders()
    return list(_read(path, folders.resolved(boundary) or boundary.resolve(), set(), folders))


def _read(path: Path, boundary: Path, seen: set[Path],
          folders: paths.Folders) -> Iterator[Requirement]:
    resolved = folders.resolved(path)
    if (resolved is None or resolved in seen or not resolved.is_relative_to(boundary)
            or not folders.is_file(resolved)):
        return  # a FIFO or device named like a requirements file would block the read
    seen.add(resolved)
    try:
        with open(resolved, "rb") as stream:
            text = stream.read(MAX_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return
    for number, line in _logical_lines(text):
        include = _INCLUDE.match(line)
        if include:
            yield from _read(path.parent / include[1], boundary, seen, folders)
            continue
        if _CONSTRAINT.match(line) or (line.startswith("-") and not _EDITABLE.match(line)):
            continue  # constraints and options install nothing by themselves
        yield _requirement(path, number, line)


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each non-empty logical line, comments removed."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = _COMMENT.sub("", raw)
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        joined = " ".join(pending).strip()
        pending = []
        if joined:
            yield start, joined
    if pending and " ".join(pending).strip():
        yield start, " ".join(pending).strip()


def _requirement(path: Path, number: int, text: str) -> Requirement:
    editable = _EDITABLE.match(text)
    target = editable[1] if editable else text
    if not editable:
        # Per-requirement options (--hash=..., --config-settings ...) follow the requirement.
        target = _OPTION.sub("", " " + target).strip() if " -" in target else target
    egg = _EGG.search(target)
    if egg:
        return Requirement(path, number, text, canonicalize_name(egg[1]))
    if not editable:
        try:
            parsed = Parsed(target)
        except InvalidRequirement:
            parsed = None
        if parsed is not None and not _looks_like_path(target):
            return Requirement(path, number, text, canonicalize_name(parsed.name),
                               frozenset(canonicalize_name(e) for e in parsed.extras),
                               parsed.marker)
    for pattern in (_WHEEL_FILE, _SDIST_FILE):
        found = pattern.search(target.split(";", 1)[0].strip())
        if found:
            return Requirement(path, number, text, canonicalize_name(found[1]))
    return Requirement(path, number, text, None)


def _looks_like_path(text: str) -> bool:
    """``./pkg``, ``../pkg``, ``/abs/pkg`` or ``pkg/``: a local project, not a name."""
    head = text.split(";", 1)[0].strip()
    return head.startswith((".", "/", "~")) or head.endswith("/") or "://" in head.split("@")[0]
