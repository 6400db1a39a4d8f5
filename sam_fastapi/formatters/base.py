"""What a formatter is."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from sam_fastapi.findings import Finding, Rule


class Formatter(Protocol):
    """Turns findings (and the metadata of the rules they name) into text."""

    name: str

    def format(self, findings: Sequence[Finding], rules: Mapping[str, Rule]) -> str: ...


def repository_root() -> Path | None:
    """Where code scanning resolves paths: ``GITHUB_WORKSPACE`` in GitHub Actions, else the git
    top level above the working folder (found by its ``.git``, without running git)."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        return Path(workspace).absolute()
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def repository_path(file: str, root: Path | None) -> str:
    """``file`` relative to the repository root, in ``/`` form, as GitHub's annotations and
    code scanning want it; a file outside the repository keeps its absolute path."""
    path = Path(os.path.normpath(Path(file).absolute()))
    if root is not None and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return path.as_posix()
