"""``importlib.metadata.packages_distributions()`` with Python 3.11's answer on 3.10 too.

Python 3.10's version reads only ``top_level.txt``, which wheels built by hatchling, pdm or
flit (fastapi, pydantic, starlette...) do not have, so it forgets them. From 3.11 it also reads
the ``RECORD`` (``Distribution.files``); this does the same on 3.10.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import sys
from collections.abc import Iterable, Mapping


def packages_distributions() -> Mapping[str, list[str]]:
    """Top-level import name -> the installed distributions that provide it."""
    if sys.version_info >= (3, 11):
        return importlib.metadata.packages_distributions()
    owners: dict[str, list[str]] = {}
    for dist in importlib.metadata.distributions():
        declared = (dist.read_text("top_level.txt") or "").split()
        for top in declared or _inferred(dist.files or ()):
            owners.setdefault(top, []).append(dist.metadata["Name"])
    return owners


def _inferred(files: Iterable[importlib.metadata.PackagePath]) -> set[str]:
    """The top-level importable names among a distribution's installed files (3.11's rule)."""
    names = set()
    for file in files:
        top = file.parts[0] if len(file.parts) > 1 else inspect.getmodulename(str(file))
        if top and "." not in top:
            names.add(top)
    return names
