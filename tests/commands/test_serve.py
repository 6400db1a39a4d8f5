"""``sam-fastapi serve`` on the command line: a real server process, its log, one-line errors."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serving import Serving

from sam_fastapi.cli import main
from sam_fastapi.commands.serve import LOOPBACK, check_host
from sam_fastapi.errors import UsageError

GATEWAY_APPS = Path(__file__).parent.parent / "gateway" / "apps"

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  App:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: app/
      Handler: main.handler
      Events:
        Proxy:
          Type: Api
          Properties: {Path: "/{proxy+}", Method: ANY}
"""


@pytest.fixture
def template(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(
        (GATEWAY_APPS / "serve_app.py").read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


@pytest.fixture
def serving(template: Path) -> Iterator[type[Serving]]:
    started: list[Serving] = []

    def start(*options: str) -> Serving:
        server = Serving(template, *options)
        started.append(server)
        return server

    yield start  # type: ignore[misc]
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate()


def test_serves_on_loopback_logs_each_request_and_prefixes_handler_output(serving) -> None:
    server = serving()
    assert server.url.startswith(f"http://{LOOPBACK}:")
    answer = httpx.get(server.url + "/Prod/hello", timeout=30)
    assert answer.status_code == 200
    server.read_until("GET /Prod/hello -> App 200")
    output = server.stop()
    assert server.process.returncode == 130  # Ctrl+C, as the command line reports it
    assert "[App] hello from the handler\n" in output
    assert "[App] a warning from the handler\n" in output
    assert re.search(r"^GET /Prod/hello -> App 200 \d+\.\d ms cold$", output, re.M), output
    assert "Traceback" not in output


def test_an_explicit_non_loopback_host_is_served_with_a_warning(serving) -> None:
    server = serving("--host", "0.0.0.0")
    assert server.url.startswith("http://0.0.0.0:")
    port = server.url.rsplit(":", 1)[1]
    assert httpx.get(f"http://127.0.0.1:{port}/Prod/echo/x", timeout=30).status_code == 200
    output = server.stop()
    assert "0.0.0.0 is reachable from other machines" in output


def test_the_host_is_loopback_unless_given() -> None:
    assert check_host(None) == LOOPBACK
    assert check_host("0.0.0.0") == "0.0.0.0"
    with pytest.raises(UsageError, match="--host is empty"):
        check_host(" ")


def test_a_port_in_use_is_a_one_line_error(template: Path, capsys) -> None:
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(template), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err == (f"sam-fastapi: error: port {port} on {LOOPBACK} is in use "
                   "(--port picks another)\n")


def test_a_missing_template_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    assert main(["serve", str(tmp_path / "nope.yaml")]) == 2
    missing = tmp_path / "nope.yaml"
    assert capsys.readouterr().err == f"sam-fastapi: error: {missing}: no such file\n"


def test_a_broken_template_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "template.yaml"
    bad.write_text("Resources: [", encoding="utf-8")
    assert main(["serve", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sam-fastapi: error: ") and err.count("\n") == 1


def test_without_uvicorn_serve_says_how_to_install_it(template: Path) -> None:
    # A None entry in sys.modules makes the import fail as if uvicorn were not installed.
    code = ("import sys; sys.modules['uvicorn'] = None\n"
            "from sam_fastapi.cli import main\n"
            f"sys.exit(main(['serve', {str(template)!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert result.stderr == ("sam-fastapi: error: sam-fastapi serve needs uvicorn: "
                             "pip install 'sam-fastapi[serve]'\n")


def test_bad_parameter_override_is_a_one_line_error(template: Path, capsys) -> None:
    assert main(["serve", str(template), "--parameter-overrides", "novalue"]) == 2
    assert capsys.readouterr().err == ("sam-fastapi: error: --parameter-overrides 'novalue': "
                                       "expected KEY=VALUE\n")
