"""Build one dependency folder for a Lambda platform, restoring it from the cache when unchanged.

The cache key covers everything that decides what pip installs: the requirements file and the
files it pulls in with ``-r``/``-c`` (a lock or constraints file, with their pins and hashes),
the runtime and architecture, pip's index settings from the environment and pip's
configuration files, and the versions of pip and sam-fastapi. Unpinned requirements are
resolved once and then reused until one of those changes (``--no-cache`` resolves again).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sam_fastapi import __version__
from sam_fastapi.cache import digest
from sam_fastapi.layers.errors import BuildError
from sam_fastapi.layers.platform import LambdaPlatform
from sam_fastapi.layers.store import TreeStore

if TYPE_CHECKING:
    from sam_fastapi.layers.pip import Progress

#: pip settings that change which distributions are found or chosen.
PIP_SETTINGS = (
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX",
    "PIP_TRUSTED_HOST", "PIP_CONSTRAINT", "PIP_PRE", "PIP_CONFIG_FILE", "PIP_REQUIRE_HASHES",
)

_INCLUDE = re.compile(r"^(?:-r|-c|--requirement|--constraint)(?:\s*=?\s*)(\S+)")


@dataclass(frozen=True)
class BuildResult:
    dest: Path
    platform: LambdaPlatform
    from_cache: bool
    packages: tuple[str, ...]  # "name-version" as pip reported them; empty when restored
    seconds: float


def build(requirements: Path, platform: LambdaPlatform, dest: Path, *,
          store: TreeStore | None, progress: Progress | None = None) -> BuildResult:
    """Put ``requirements`` installed for ``platform`` into ``dest`` (created if missing).

    With a ``store``, an unchanged build is restored from it without running pip, and a new
    one is added to it. Raises ``BuildError`` with a one-line message.
    """
    started = time.perf_counter()
    if not requirements.is_file():
        raise BuildError(f"{requirements} does not exist; list the dependencies there")
    key = cache_key(requirements, platform, os.environ)
    if store is not None and store.restore(key, dest):
        return BuildResult(dest, platform, True, (), time.perf_counter() - started)
    # pip and the helpers of a build are imported only now: restoring a cached build takes
    # less time than importing them.
    import tempfile

    from sam_fastapi.layers.pip import install

    if store is None:
        with tempfile.TemporaryDirectory(prefix="sam-fastapi-build-") as scratch:
            packages = install(requirements, platform, Path(scratch), progress=progress)
            shutil.copytree(scratch, dest, dirs_exist_ok=True, symlinks=True)
        return BuildResult(dest, platform, False, packages, time.perf_counter() - started)
    with store.writing(key) as tree:
        packages = install(requirements, platform, tree, progress=progress)
    store.restore(key, dest)
    return BuildResult(dest, platform, False, packages, time.perf_counter() - started)


def cache_key(requirements: Path, platform: LambdaPlatform, environ: Mapping[str, str]) -> str:
    """The digest of every input that decides what pip installs for ``requirements``."""
    parts: list[str | bytes] = [
        "sam-fastapi layer build 1", __version__, _pip_version(),
        platform.runtime, platform.architecture,
    ]
    for name in PIP_SETTINGS:
        parts += [name, environ.get(name, "\0unset")]
    for path in _pip_config_files(environ):
        parts += [str(path), _read(path)]
    for path, content in _requirement_files(requirements):
        parts += [path.name, content]
    return digest(*parts)


def _requirement_files(requirements: Path) -> list[tuple[Path, bytes]]:
    """The requirements file and, recursively, the files its ``-r``/``-c`` lines name."""
    seen: dict[Path, bytes] = {}
    pending = [requirements]
    while pending:
        path = pending.pop()
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen[resolved] = content = _read(path)
        for line in content.decode("utf-8", "replace").splitlines():
            match = _INCLUDE.match(line.strip())
            if match and "://" not in match[1]:
                pending.append(path.parent / match[1])
    return list(seen.items())


def _pip_config_files(environ: Mapping[str, str]) -> list[Path]:
    """The files pip reads its configuration from (pip's "Configuration" documentation)."""
    explicit = environ.get("PIP_CONFIG_FILE")
    if explicit == os.devnull:
        return []  # pip reads no configuration file at all then
    home = Path.home()
    if sys.platform == "win32":
        appdata = Path(environ.get("APPDATA", home / "AppData" / "Roaming"))
        programdata = Path(environ.get("PROGRAMDATA", "C:/ProgramData"))
        files = [programdata / "pip" / "pip.ini", home / "pip" / "pip.ini",
                 appdata / "pip" / "pip.ini", Path(sys.prefix) / "pip.ini"]
    else:
        xdg_dirs = environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
        xdg_home = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
        files = [*(Path(d) / "pip" / "pip.conf" for d in xdg_dirs.split(os.pathsep) if d),
                 Path("/etc/pip.conf"), home / ".pip" / "pip.conf", xdg_home / "pip" / "pip.conf",
                 Path(sys.prefix) / "pip.conf"]
        if sys.platform == "darwin":
            files += [Path("/Library/Application Support/pip/pip.conf"),
                      home / "Library" / "Application Support" / "pip" / "pip.conf"]
    if explicit:
        files.append(Path(explicit))
    return [path for path in files if path.is_file()]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b"\0missing"


def _pip_version() -> bytes:
    """What identifies the pip that ``install`` runs: its ``__init__.py``, which holds
    ``__version__``. Found without importing pip or reading every distribution's metadata,
    which would take longer than restoring a cached build."""
    spec = importlib.util.find_spec("pip")
    if spec is None or spec.origin is None:
        return b"no pip"
    return _read(Path(spec.origin))

