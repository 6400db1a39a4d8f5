"""Real projects on disk for the gateway tests: a template.yaml and the functions' code."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from sam_fastapi.gateway import Gateway
from sam_fastapi.template import Project, build_project, load_template

#: The source of a FastAPI app that echoes the request it got, as JSON.
ECHO_APP = (Path(__file__).parent / "apps" / "echo.py").read_text(encoding="utf-8")

Files = dict[str, str]


def write_project(root: Path, template: str, files: Files | None = None) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "template.yaml"
    path.write_text(textwrap.dedent(template), encoding="utf-8")
    for name, text in (files or {}).items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    return build_project(load_template(path), path)


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., Project]:
    counter = iter(range(1000))

    def make(template: str, files: Files | None = None) -> Project:
        return write_project(tmp_path / f"p{next(counter)}", template, files)

    return make


@pytest.fixture
def echo_app() -> str:
    return ECHO_APP


@pytest.fixture
def gateway(project: Callable[..., Project]):
    """Build a Gateway over a project; every gateway's instances are stopped at the end."""
    made: list[Gateway] = []

    def make(template: str, files: Files | None = None, **options) -> Gateway:
        gw = Gateway(project(template, files), **options)
        made.append(gw)
        return gw

    yield make
    for gw in made:
        gw.cold_start()
