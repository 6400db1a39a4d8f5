from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def project_pytest():
    """Run a generated project's own ``pytest`` as its user would: in its folder, in a new
    process, configured by nothing but the project's files."""

    def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
            cwd=root, capture_output=True, text=True, timeout=300,
        )

    return run
