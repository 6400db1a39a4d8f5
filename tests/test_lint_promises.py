"""What ``sam-fastapi lint`` promises: it never imports or runs the project's code, never runs its
Makefiles, never writes into the project, and never opens a network connection.

One real run of the whole pipeline (cfn-lint, the SAM transform in its own process, every
sam-fastapi check, the cache enabled at its default place) in a subprocess, on a project whose
every Python file and every Makefile recipe would leave a marker file behind (and then raise)
if anything ran it. The subprocess, and every Python process it starts, loads a
``sitecustomize`` that refuses and logs every connection attempt. The tests then look at what
the run left behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

NETWORK_BLOCK = '''\
import os
import socket

_LOG = os.environ["SAM_FASTAPI_TEST_NETLOG"]
with open(_LOG, "a") as _log:
    _log.write(f"loaded {os.getpid()}\\n")


def _refuse(*args, **kwargs):
    with open(_LOG, "a") as log:
        log.write(f"connect {os.getpid()} {args[1:]!r}\\n")
    raise OSError("the network is off in this test")


socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.socket.sendto = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
'''


def trap(markers: Path, name: str) -> str:
    """Python that leaves ``markers/name`` behind, runs a shell command, then raises."""
    return textwrap.dedent(f"""\
        import os
        import pathlib
        pathlib.Path({str(markers / name)!r}).write_text("ran")
        os.system("touch {markers / (name + '.shell')}")
        raise SystemExit("{name} was executed")
        """)


def make_project(root: Path, markers: Path) -> None:
    makefile = "build-{id}:\n\ttouch {marker}\n\tcp -r . $(ARTIFACTS_DIR)/python\n"
    files = {
        "pyproject.toml": "[project]\nname = 'victim'\nversion = '0'\n",
        "samconfig.toml": "version = 0.1\n",
        "template.yaml": textwrap.dedent("""\
            Transform: AWS::Serverless-2016-10-31
            Resources:
              AppFunction:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: src/
                  Handler: app.main.handler
                  Runtime: python3.12
                  Layers: [!Ref DepsLayer]
                  Events:
                    Root:
                      Type: HttpApi
                      Properties: {Path: /, Method: GET}
                Metadata:
                  BuildMethod: makefile
              DepsLayer:
                Type: AWS::Serverless::LayerVersion
                Properties:
                  ContentUri: layers/deps/
                  CompatibleRuntimes: [python3.12]
                Metadata:
                  BuildMethod: makefile
            """),
        "src/Makefile": makefile.format(id="AppFunction", marker=markers / "make-function"),
        "layers/deps/Makefile": makefile.format(id="DepsLayer", marker=markers / "make-layer"),
        "layers/deps/requirements.txt": "mangum\n",
        "src/requirements.txt": "fastapi\n-e .\n",
        "src/app/__init__.py": trap(markers, "package-init"),
        # Valid FastAPI code above the trap, so the analysis has routes to read.
        "src/app/main.py": textwrap.dedent("""\
            from fastapi import FastAPI
            from mangum import Mangum

            from app import helpers

            app = FastAPI()


            @app.get("/")
            def root() -> dict:
                return {"ok": helpers.VALUE}


            handler = Mangum(app)
            """) + trap(markers, "handler-module"),
        "src/app/helpers.py": "VALUE = 1\n" + trap(markers, "helpers"),
        "src/setup.py": trap(markers, "setup-py"),
        "src/sitecustomize.py": trap(markers, "sitecustomize"),
        "src/conftest.py": trap(markers, "conftest"),
        "src/fastapi-0.115.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: fastapi\n",
        "src/evil.pth": f"import os; os.system('touch {markers / 'pth'}')\n",
        "events/root.json": json.dumps({
            "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
            "headers": {}, "isBase64Encoded": False,
            "requestContext": {"http": {"method": "GET", "path": "/", "sourceIp": "1.2.3.4",
                                        "protocol": "HTTP/1.1", "userAgent": "x"},
                               "stage": "$default"},
        }),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under ``root``: type and mode, mtime, size and the content's hash."""
    entries: dict[str, tuple[Any, ...]] = {}
    for current, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(current, name)
            info = path.lstat()
            content = hashlib.sha256(path.read_bytes()).hexdigest() \
                if stat.S_ISREG(info.st_mode) else None
            entries[str(path.relative_to(root))] = (info.st_mode, info.st_mtime_ns,
                                                    info.st_size, content)
    return entries


class Run:
    def __init__(self, tmp: Path) -> None:
        self.project = tmp / "project"
        self.markers = tmp / "markers"
        self.cache_home = tmp / "xdg-cache"
        self.netlog = tmp / "network.log"
        self.markers.mkdir()
        make_project(self.project, self.markers)
        block = tmp / "network-block"
        block.mkdir()
        (block / "sitecustomize.py").write_text(NETWORK_BLOCK, encoding="utf-8")
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("SAM_FASTAPI_CACHE_DIR", "PYTHONPATH")}
        self.env.update(PYTHONPATH=str(block), XDG_CACHE_HOME=str(self.cache_home),
                        HOME=str(tmp / "home"), SAM_FASTAPI_TEST_NETLOG=str(self.netlog))
        self.before = snapshot(self.project)
        self.results = [self.lint(tmp / f"report{n}.json") for n in (1, 2)]  # 2: cache hits
        self.after = snapshot(self.project)

    def lint(self, report: Path) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
        process = subprocess.run(
            [sys.executable, "-m", "sam_fastapi", "lint", "template.yaml", "--format", "json",
             "--output", str(report)],
            cwd=self.project, env=self.env, capture_output=True, text=True, timeout=300,
        )
        findings = json.loads(report.read_text()) if report.exists() else []
        return process, findings


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return Run(tmp_path_factory.mktemp("promises"))


def test_lint_ran_the_whole_pipeline_and_reported_normally(run: Run):
    for process, findings in run.results:
        assert process.returncode in (0, 1), process.stderr
        assert "Traceback" not in process.stderr
        # Clean: so the handler was analysed (its route serves the event and the recorded
        # event, else SF402), its imports were followed and the Makefiles were read.
        assert findings == []
        assert process.returncode == 0


def test_lint_executes_nothing_of_the_project(run: Run):
    assert sorted(p.name for p in run.markers.iterdir()) == []


def test_lint_writes_nothing_into_the_project(run: Run):
    assert run.after == run.before


def test_the_cache_is_used_and_lives_outside_the_project(run: Run):
    cached = [p for p in run.cache_home.rglob("*") if p.is_file()]
    assert cached, "the run did not use the cache at its default place"
    assert not any(p.resolve().is_relative_to(run.project.resolve()) for p in cached)


def test_lint_opens_no_network_connection(run: Run):
    log = run.netlog.read_text().splitlines()
    loaded = {line.split()[1] for line in log if line.startswith("loaded")}
    # lint and the SAM transform's process, twice: the block really was in every process.
    assert len(loaded) >= 2
    assert [line for line in log if line.startswith("connect")] == []


def test_lint_import_writes_nothing_into_the_project(tmp_path: Path):
    """``--import`` runs the app's code, as asked, in a child process: still nothing is
    written into the project, not even ``__pycache__`` for the modules it imports (the child
    runs isolated with ``-I``, which ignores PYTHONDONTWRITEBYTECODE)."""
    project = tmp_path / "project"
    files = {
        "template.yaml": textwrap.dedent("""\
            Transform: AWS::Serverless-2016-10-31
            Resources:
              AppFunction:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: src/
                  Handler: app.main.handler
                  Runtime: python3.12
                  Events:
                    Root:
                      Type: HttpApi
                      Properties: {Path: /, Method: GET}
            """),
        "src/requirements.txt": "fastapi\nmangum\n",
        "src/app/__init__.py": "",
        "src/app/helpers.py": "VALUE = 1\n",
        "src/app/main.py": textwrap.dedent("""\
            from fastapi import FastAPI
            from mangum import Mangum

            from app import helpers

            app = FastAPI()


            @app.get("/")
            def root() -> dict:
                return {"ok": helpers.VALUE}


            handler = Mangum(app)
            """),
    }
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    before = snapshot(project)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    report = tmp_path / "report.json"
    process = subprocess.run(
        [sys.executable, "-m", "sam_fastapi", "lint", "template.yaml", "--import", "--select",
         "SF4", "--format", "json", "--output", str(report)],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )
    assert process.returncode == 0, process.stderr
    assert json.loads(report.read_text()) == []
    assert snapshot(project) == before
