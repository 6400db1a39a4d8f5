"""Every Mangum from 0.17: the handler gets an event loop on its thread, as on Lambda's main one.

Mangum before 0.20 calls ``asyncio.get_event_loop()`` in each call and in its lifespan cycle,
which fails on any thread but the main one unless a loop was set for it. Each release is
installed for real (``pip install --target``) and put first on the path of a child pytest and
a child ``serve``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

OLD_MANGUMS = ["0.17.0", "0.18.0", "0.19.0"]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
Resources:
  Casts:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: casts/
      Handler: app.handler
      Events:
        Proxy:
          Type: HttpApi
          Properties: {Path: "/casts/{proxy+}", Method: ANY}
  Movies:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: movies/
      Handler: app.handler
      Events:
        Proxy:
          Type: Api
          Properties: {Path: "/movies/{proxy+}", Method: ANY}
"""

APP = """\
from contextlib import asynccontextmanager

from fastapi import FastAPI
from mangum import Mangum

started = []


@asynccontextmanager
async def lifespan(app):
    started.append(True)
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/{prefix}/sync/{item}")
def sync_item(prefix: str, item: int):
    return {"prefix": prefix, "item": item, "started": bool(started)}


@app.get("/{prefix}/async/{item}")
async def async_item(prefix: str, item: int):
    return {"prefix": prefix, "item": item, "started": bool(started)}


handler = Mangum(app, lifespan="auto")
"""

TESTS = """\
import importlib.metadata
import os

import pytest


def test_the_old_mangum_is_the_one_in_use():
    assert importlib.metadata.version("mangum") == os.environ["EXPECTED_MANGUM"]


@pytest.mark.parametrize("prefix", ["casts", "movies"])
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_calls(sam_client, prefix, kind):
    for item in (1, 2):
        response = sam_client.get(f"/{prefix}/{kind}/{item}")
        assert response.status_code == 200, response.text
        assert response.json() == {"prefix": prefix, "item": item, "started": True}


def test_a_cold_start_runs_the_lifespan_again(sam_client, sam_gateway):
    sam_gateway.cold_start()
    assert sam_client.get("/casts/async/3").json()["started"] is True
"""


@pytest.fixture(scope="session")
def mangums(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each old Mangum release installed into a folder of its own (not this environment)."""
    folders = {}
    for version in OLD_MANGUMS:
        target = tmp_path_factory.mktemp(f"mangum-{version}")
        # Without the caller's constraints (the compatibility job pins mangum==0.17.0).
        env = {k: v for k, v in os.environ.items() if k != "PIP_CONSTRAINT"}
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
             f"mangum=={version}"], capture_output=True, text=True, timeout=300, env=env)
        assert result.returncode == 0, result.stderr
        folders[version] = target
    return folders


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for code in ("casts", "movies"):
        (root / code).mkdir(parents=True)
        (root / code / "app.py").write_text(APP, encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "test_old_mangum.py").write_text(TESTS, encoding="utf-8")
    (root / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    return root


def with_mangum(folder: Path, version: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "EXPECTED_MANGUM": version,
            "PYTHONUNBUFFERED": "1"}


@pytest.mark.parametrize("version", OLD_MANGUMS)
def test_pytest_sam_runs_on_old_mangum(project: Path, mangums: dict[str, Path],
                                       version: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--sam", "template.yaml", "-q", "-p", "no:cacheprovider",
         "tests"], cwd=project, env=with_mangum(mangums[version], version),
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "6 passed" in result.stdout


def test_serve_runs_on_the_oldest_mangum(project: Path, mangums: dict[str, Path]) -> None:
    from serving import Serving

    server = Serving(project / "template.yaml", env=with_mangum(mangums["0.17.0"], "0.17.0"))
    try:
        for path in ("/casts/sync/1", "/casts/async/2", "/Prod/movies/async/3"):
            with urllib.request.urlopen(server.url + path, timeout=60) as response:
                assert response.status == 200
                body = response.read().decode()
                assert '"started":true' in body, body
    finally:
        server.stop()
