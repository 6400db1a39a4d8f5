"""The runtime never imports the lint stack: every runtime entry point works without it.

Each entry point runs in a child process whose imports of cfn-lint, the SAM translator,
pydantic, boto3 and what they pull in fail, as they would in an app's environment that has
``pip install sam-fastapi`` and not the ``lint`` extra. The app under test is a plain Lambda
handler, so nothing of the app needs them either.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

LINT_STACK = ("cfnlint", "samtranslator", "pydantic", "pydantic_core", "boto3", "botocore",
              "sympy", "jsonschema", "networkx", "aws_sam_translator")
WITHOUT_PYDANTIC = tuple(name for name in LINT_STACK if not name.startswith("pydantic"))
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "movies"

BLOCKER = f"""\
import sys

BLOCKED = {LINT_STACK!r}


class _Hiding:
    \"\"\"A finder of sys.meta_path that no longer finds the blocked packages.\"\"\"

    def __init__(self, finder):
        self._finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            return None  # as if not installed: find_spec is None, import says "No module"
        return self._finder.find_spec(name, path, target)

    def __getattr__(self, name):
        return getattr(self._finder, name)


sys.meta_path[:] = [_Hiding(finder) for finder in sys.meta_path]
"""

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello/
      Handler: app.handler
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: "/hello/{name}", Method: GET}
"""

HANDLER = """\
import json


def handler(event, context):
    name = event["pathParameters"]["name"]
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"hello": name})}
"""

TEST = """\
def test_hello(sam_client):
    response = sam_client.get("/hello/world")
    assert response.status_code == 200
    assert response.json() == {"hello": "world"}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "hello").mkdir(parents=True)
    (root / "hello" / "app.py").write_text(HANDLER, encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "test_hello.py").write_text(TEST, encoding="utf-8")
    (root / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    return root


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return blocking_env(tmp_path, LINT_STACK)


def blocking_env(tmp_path: Path, blocked: tuple[str, ...]) -> dict[str, str]:
    """An environment whose every Python process fails to import ``blocked``."""
    site = tmp_path / "blocker"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER.replace(repr(LINT_STACK), repr(blocked)),
                                           encoding="utf-8")
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_blocker_blocks(tmp_path: Path, env: dict[str, str]) -> None:
    result = run(["-c", "import cfnlint"], tmp_path, env)
    assert result.returncode == 1
    assert "ModuleNotFoundError: No module named 'cfnlint'" in result.stderr


def test_pytest_sam_runs_without_the_lint_stack(project: Path, env: dict[str, str]) -> None:
    result = run(["-m", "pytest", "--sam", "template.yaml", "-q", "-p", "no:cacheprovider",
                  "-p", "no:randomly", "tests"], project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_routes_runs_without_the_lint_stack(tmp_path: Path) -> None:
    # routes reads the FastAPI apps (so pydantic) in a child process of its own.
    env = blocking_env(tmp_path, WITHOUT_PYDANTIC)
    result = run(["-m", "sam_fastapi", "routes", "template.yaml"], EXAMPLE, env)
    assert result.returncode == 0, result.stderr
    assert "/movies/{movie_id}" in result.stdout


def test_init_runs_without_the_lint_stack(tmp_path: Path, env: dict[str, str]) -> None:
    result = run(["-m", "sam_fastapi", "init", "made", "--resource", "casts"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "made" / "template.yaml").is_file()


def test_split_runs_without_the_lint_stack(tmp_path: Path) -> None:
    # split imports the app (FastAPI, so pydantic) in a child process of its own.
    env = blocking_env(tmp_path, WITHOUT_PYDANTIC)
    monoliths = Path(__file__).parent / "scaffold" / "monoliths"
    result = run(["-m", "sam_fastapi", "split", "movies_monolith.main:app", "--path",
                  str(monoliths), "--out", str(tmp_path / "out"), "--copy"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "template.yaml").is_file()


def test_every_runtime_module_imports_without_the_lint_stack(tmp_path: Path,
                                                            env: dict[str, str]) -> None:
    packages = ["sam_fastapi.gateway", "sam_fastapi.template", "sam_fastapi.layers",
                "sam_fastapi.scaffold", "pytest_samfastapi"]
    commands = ["serve", "routes", "init", "split", "layer"]
    code = textwrap.dedent(f"""
        import importlib, pkgutil
        names = [f"sam_fastapi.commands.{{c}}" for c in {commands!r}]
        for package in {packages!r}:
            module = importlib.import_module(package)
            names.append(package)
            for info in pkgutil.walk_packages(getattr(module, "__path__", []), package + "."):
                names.append(info.name)
        for name in names:
            importlib.import_module(name)
        print(len(names), "modules")
    """)
    result = run(["-c", code], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[0]) > 20


def test_serve_answers_without_the_lint_stack(project: Path, env: dict[str, str]) -> None:
    from serving import Serving

    server = Serving(project / "template.yaml", env=env)
    try:
        with urllib.request.urlopen(f"{server.url}/hello/you", timeout=30) as response:
            assert response.status == 200
            assert response.read() == b'{"hello": "you"}'
    finally:
        server.stop()


@pytest.mark.parametrize(("hidden", "named"), [
    (LINT_STACK, "cfn-lint and aws-sam-translator"),
    (("cfnlint",), "cfn-lint"),
    (("samtranslator",), "aws-sam-translator"),
], ids=["both", "cfn-lint", "translator"])
def test_lint_without_the_lint_extra_says_how_to_install_it(
        tmp_path: Path, project: Path, hidden: tuple[str, ...], named: str) -> None:
    result = run(["-m", "sam_fastapi", "lint", "template.yaml"], project,
                 blocking_env(tmp_path, hidden))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"sam-fastapi: error: lint needs {named}, not installed here: "
        "pip install 'sam-fastapi[lint]' (or, for a tool environment of its own, "
        "pipx install 'sam-fastapi[lint]')\n")
    assert sorted(p.name for p in project.iterdir()) == ["hello", "template.yaml", "tests"]
