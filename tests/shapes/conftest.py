"""Real project shapes, each a folder here with its template, code and its own tests.

A project's own tests (``<shape>/tests``) run under ``pytest --sam`` on a copy of the project
(``test_<shape>.py``), never when this suite is collected.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from serving import Serving

SHAPES = Path(__file__).parent
collect_ignore_glob = ["*/tests/*"]


@pytest.fixture
def shape(tmp_path: Path) -> Callable[[str], Path]:
    """A copy of a shape's project in a temporary folder: its root."""

    def copy(name: str, into: Path | None = None) -> Path:
        target = (into or tmp_path) / name
        shutil.copytree(SHAPES / name, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        return target

    return copy


@pytest.fixture
def serve() -> Iterator[Callable[..., Serving]]:
    """``sam-fastapi serve TEMPLATE OPTIONS...`` in a subprocess, killed after the test."""
    started: list[Serving] = []

    def start(template: Path, *options: str) -> Serving:
        server = Serving(template, *options)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate()
