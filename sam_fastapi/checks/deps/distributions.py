"""Which distributions provide which import names, and what a distribution depends on.

Three sources, best first: the ``*.dist-info`` folders of a build output or of packages
installed into a code or layer folder (``METADATA``'s ``Requires-Dist``, ``RECORD``'s
top-level names); the distributions installed where lint runs
(``importlib.metadata``); and the table ``sam_fastapi/data/import_names.txt`` for import names
that differ from their distribution's (``yaml`` is PyYAML). Where none knows a distribution,
it is *unknown*, and nothing is guessed about it.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Parsed
from packaging.utils import canonicalize_name

from sam_fastapi import paths
from sam_fastapi._metadata import packages_distributions
from sam_fastapi.checks.platform.binaries import record_top_levels
from sam_fastapi.layers.platform import MACHINES

if TYPE_CHECKING:
    from email.message import Message

#: A METADATA file larger than this is read only this far (headers come first).
MAX_METADATA_BYTES = 256 * 1024


@dataclass(frozen=True)
class Distribution:
    name: str  # canonical
    requires: tuple[str, ...]  # Requires-Dist values, markers included
    top_levels: frozenset[str] | None  # None: installed where lint runs, see Installed


@functools.lru_cache(maxsize=1)
def import_table() -> Mapping[str, tuple[str, ...]]:
    """Import name -> the distributions that install it, as the data file spells them."""
    text = importlib.resources.files("sam_fastapi").joinpath("data/import_names.txt").read_text(
        encoding="utf-8")
    table: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2:
            table[words[0]] = tuple(words[1:])
    return table


class Installed:
    """The distributions installed where lint runs, each read when first asked for.

    One per lint run (the checks' memo): a package installed between two runs of
    ``lint --watch`` is seen by the next. Which distribution provides which import name
    needs every installed distribution's file list (a walk of ``sys.path``), so it is made
    only when a question needs it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._distributions: dict[str, Distribution | None] = {}
        self._owners: Mapping[str, list[str]] | None = None
        self._top_levels: Mapping[str, frozenset[str]] | None = None

    def get(self, name: str) -> Distribution | None:
        """The distribution ``name`` as installed here, or None."""
        if name not in self._distributions:
            self._distributions[name] = self._read(name)
        return self._distributions[name]

    def owners(self, import_name: str) -> list[str]:
        """The installed distributions that provide the top-level module ``import_name``."""
        return self._scan()[0].get(import_name, [])

    def top_levels(self, name: str) -> frozenset[str]:
        """The top-level import names of the installed distribution ``name`` (canonical)."""
        return self._scan()[1].get(name, frozenset())

    def _read(self, name: str) -> Distribution | None:
        try:
            found = importlib.metadata.distribution(name)
        except (importlib.metadata.PackageNotFoundError, ValueError):
            return None
        return Distribution(canonicalize_name(name), _requires(found), None)

    def _scan(self) -> tuple[Mapping[str, list[str]], Mapping[str, frozenset[str]]]:
        with self._lock:
            if self._owners is None or self._top_levels is None:
                owners = packages_distributions()
                by_distribution: dict[str, set[str]] = {}
                for top, names in owners.items():
                    for name in names:
                        by_distribution.setdefault(canonicalize_name(name), set()).add(top)
                self._top_levels = {name: frozenset(tops)
                                    for name, tops in by_distribution.items()}
                self._owners = owners
            return self._owners, self._top_levels


def _requires(found: importlib.metadata.Distribution) -> tuple[str, ...]:
    """``found.requires``, reading only the headers of its METADATA: importlib parses the
    whole file, long description included, as an email message."""
    text = found.read_text("METADATA")
    if text:
        from email.parser import HeaderParser

        requires = HeaderParser().parsestr(text.split("\n\n", 1)[0]).get_all("Requires-Dist")
        if requires or found.read_text("requires.txt") is None:
            return tuple(requires or ())
    return tuple(found.requires or ())  # PKG-INFO, an egg's requires.txt: as importlib reads them


def dist_infos(folder: Path, folders: paths.Folders) -> list[Path]:
    """The ``*.dist-info`` entries of ``folder``, by name (as ``folder.glob`` matches them)."""
    return [folder / name for name in sorted(folders.names(folder))
            if os.path.normcase(name).endswith(".dist-info")]


def read_dist_infos(folder: Path, folders: paths.Folders) -> Mapping[str, Distribution]:
    """The ``*.dist-info`` distributions installed into ``folder`` (a site-packages folder)."""
    found: dict[str, Distribution] = {}
    for dist_info in dist_infos(folder, folders):
        headers = _metadata(dist_info / "METADATA")
        name = headers.get("Name") if headers is not None else None
        if not name:
            continue
        canonical = canonicalize_name(str(name))
        requires = tuple(str(r) for r in headers.get_all("Requires-Dist") or ())
        found[canonical] = Distribution(canonical, requires, record_top_levels(dist_info))
    return found


def _metadata(path: Path) -> Message | None:
    if not path.is_file():  # not a FIFO or device: reading one would block
        return None
    if not path.resolve().is_relative_to(path.parent.parent.resolve()):
        return None  # a symlink out of the installed packages is never read (SF103)
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_METADATA_BYTES)
    except OSError:
        return None
    from email.parser import HeaderParser  # only for packages installed into the project

    text = data.decode("utf-8", errors="replace")
    return HeaderParser().parsestr(text.split("\n\n", 1)[0])


def importable_names(folder: Path, folders: paths.Folders) -> frozenset[str]:
    """Top-level names Python would import from ``folder`` on ``sys.path``."""
    names = set()
    for entry in folders.names(folder):
        if entry.endswith((".dist-info", ".egg-info", ".data")) or entry.startswith("."):
            continue
        stem = entry.split(".", 1)[0]
        native_or_source = entry.endswith((".py", ".so", ".pyd", ".pyc"))
        if (native_or_source or "." not in entry) and stem.isidentifier():
            names.add(stem)
    return frozenset(names)


def marker_environment(version: tuple[int, int], architecture: str) -> dict[str, str]:
    """PEP 508 marker values on a Lambda Python runtime (CPython on Amazon Linux)."""
    python = f"{version[0]}.{version[1]}"
    return {
        "implementation_name": "cpython",
        "implementation_version": f"{python}.0",
        "os_name": "posix",
        "platform_machine": MACHINES.get(architecture, "x86_64"),
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": f"{python}.0",
        "python_version": python,
        "sys_platform": "linux",
        "extra": "",
    }


@dataclass
class Closure:
    """The distributions a set of requirements installs, as far as metadata tells."""

    known: dict[str, Distribution] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)  # named, but no metadata anywhere
    names: set[str] = field(default_factory=set)  # every distribution named, known or not


def resolve(requirements: Iterable[tuple[str, frozenset[str]]],
            environment: Mapping[str, str],
            local: Mapping[str, Distribution], installed: Installed) -> Closure:
    """Follow ``Requires-Dist`` from the requirements (name, extras), markers evaluated for
    the target; ``local`` (build output, vendored packages) wins over what is ``installed``
    here."""
    closure = Closure()
    pending = [(name, extras) for name, extras in requirements]
    done: set[tuple[str, str]] = set()
    while pending:
        name, extras = pending.pop()
        closure.names.add(name)
        wanted = [extra for extra in ("", *sorted(extras)) if (name, extra) not in done]
        if not wanted:
            continue
        done.update((name, extra) for extra in wanted)
        distribution = local.get(name) or installed.get(name)
        if distribution is None:
            closure.unknown.add(name)
            continue
        closure.known[name] = distribution
        target = tuple(sorted(environment.items()))
        for line in distribution.requires:
            parsed = _parse(line)
            if parsed is None:
                continue
            if parsed.marker is None or any(_holds(line, target, extra) for extra in wanted):
                pending.append((canonicalize_name(parsed.name),
                                frozenset(canonicalize_name(e) for e in parsed.extras)))
    return closure


# A project's functions share their requirements' dependency trees: parse and evaluate each
# Requires-Dist line once, not once per function.
@functools.lru_cache(maxsize=4096)
def _parse(line: str) -> Parsed | None:
    try:
        return Parsed(line)
    except InvalidRequirement:
        return None


@functools.lru_cache(maxsize=16384)
def _holds(line: str, environment: tuple[tuple[str, str], ...], extra: str) -> bool:
    parsed = _parse(line)
    assert parsed is not None and parsed.marker is not None
    try:
        return parsed.marker.evaluate({**dict(environment), "extra": extra})
    except Exception:  # an undefined comparison: count it in, never report a false missing
        return True


def named(import_name: str) -> frozenset[str]:
    """Distributions that may provide ``import_name`` by name: the distribution named like it
    and those the table gives."""
    return frozenset(canonicalize_name(n)
                     for n in (import_name, *import_table().get(import_name, ())))


def candidates(import_name: str, installed: Installed) -> frozenset[str]:
    """Distributions that may provide ``import_name``: ``named`` and, of those installed
    here, those that do."""
    return named(import_name) | {canonicalize_name(n) for n in installed.owners(import_name)}
