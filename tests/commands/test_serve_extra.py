"""``pip install 'sam-fastapi[serve]'`` brings everything ``serve`` imports."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from sam_fastapi._metadata import packages_distributions
from sam_fastapi._toml import tomllib

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"

#: What ``serve`` runs: the command, the ASGI gateway, and uvicorn's default (pure Python) stack.
SERVE_MODULES = ("sam_fastapi.commands.serve", "sam_fastapi.gateway.asgi", "uvicorn",
                 "uvicorn.protocols.http.h11_impl", "uvicorn.lifespan.on",
                 "uvicorn.loops.asyncio")


def _third_party_roots() -> set[str]:
    code = (f"import importlib, sys\nfor m in {SERVE_MODULES!r}: importlib.import_module(m)\n"
            # Modules without a spec (cython_runtime, made by Cython extensions) are not files.
            "print(__import__('json').dumps(sorted({m.split('.')[0] for m, module in "
            "sys.modules.items() if getattr(module, '__spec__', None) is not None})))")
    roots = json.loads(subprocess.run([sys.executable, "-c", code], check=True,
                                      capture_output=True, text=True).stdout)
    return {r for r in roots if r not in sys.stdlib_module_names and not r.startswith("_")
            and r not in ("sam_fastapi", "pytest_samfastapi")}


def _closure(requirements: list[str]) -> set[str]:
    """The distributions ``requirements`` install on this Python, with theirs, recursively."""
    found: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        if req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(req.name)
        if name in found:
            continue
        found.add(name)
        todo.extend(Requirement(r) for r in importlib.metadata.requires(req.name) or ())
    return found


def test_the_serve_extra_brings_every_module_serve_imports() -> None:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    installed = _closure(project["dependencies"] + project["optional-dependencies"]["serve"])
    owners = packages_distributions()
    missing = {root: owners.get(root) for root in _third_party_roots()
               if not {canonicalize_name(d) for d in owners.get(root, ())} & installed}
    assert not missing, f"serve imports these, which [serve] does not install: {missing}"
    assert "anyio" in installed  # the crash the extra once had
