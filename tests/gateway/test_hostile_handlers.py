"""Handlers that misbehave: each failure stays in its invocation, and the next one, the process
and the test session go on as if nothing happened.

The invoker's own tests (test_invoker.py) cover a handler that sleeps past its timeout,
``sys.exit`` in a call and environment changes; these add a handler that never returns at all
(in a call or at import), ``sys.exit`` at import, ``KeyboardInterrupt``, changing the working
directory and emptying the environment, and a whole ``pytest --sam`` session with them.
"""

from __future__ import annotations

import os
import re
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sam_fastapi.gateway.invoker import INIT_TIMEOUT, GatewayError, Invoker
from sam_fastapi.template import Project

HOSTILE = """\
import os
import sys
import threading

if os.environ.get("MODE") == "hang-at-import":
    threading.Event().wait()
if os.environ.get("MODE") == "exit-at-import":
    sys.exit(4)
if os.environ.get("MODE") == "chdir-at-import":
    os.chdir("/")
calls = 0


def handler(event, context):
    global calls
    calls += 1
    action = event.get("do")
    if action == "hang":
        threading.Event().wait()
    elif action == "chdir":
        os.chdir("/")
    elif action == "clear-env":
        os.environ.clear()
    elif action == "interrupt":
        raise KeyboardInterrupt
    elif action == "exit":
        sys.exit("bye")
    return {"calls": calls, "cwd": os.getcwd(), "mode": os.environ.get("MODE")}
"""


def template(mode: str = "normal") -> str:
    return textwrap.dedent(f"""\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: app.handler
              CodeUri: src/
              Timeout: 1
              Environment:
                Variables:
                  MODE: {mode}
        """)


@pytest.fixture
def invoker(project: Callable[..., Project]):
    made: list[Invoker] = []

    def make(mode: str = "normal") -> Invoker:
        inv = Invoker(project(template(mode), {"src/app.py": HOSTILE}))
        made.append(inv)
        return inv

    yield make
    for inv in made:
        inv.cold_start()


def blocking_threads() -> list[threading.Thread]:
    """Threads that would keep the interpreter from exiting."""
    return [t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()]


def test_a_handler_that_never_returns_times_out_and_the_next_call_is_cold(invoker):
    inv = invoker()
    assert inv.invoke("Fn", {}).result["calls"] == 1

    started = time.monotonic()
    hung = inv.invoke("Fn", {"do": "hang"})

    assert time.monotonic() - started < 5
    assert re.search(r"Task timed out after 1\.\d\d seconds$", hung.error["errorMessage"])
    after = inv.invoke("Fn", {})
    assert (after.cold, after.result["calls"]) == (True, 1)
    assert blocking_threads() == []  # the stuck thread cannot hold the test session open


def test_a_module_that_never_finishes_importing_times_out(invoker):
    hung, healthy = invoker("hang-at-import"), invoker()

    started = time.monotonic()
    failed = hung.invoke("Fn", {})

    assert time.monotonic() - started < INIT_TIMEOUT + 5
    assert failed.result is None
    assert re.search(r"timed out after \d+\.\d\d seconds$", failed.error["errorMessage"])
    assert healthy.invoke("Fn", {}).result["calls"] == 1  # the stuck import holds no lock
    assert blocking_threads() == []


def test_sys_exit_at_import_is_an_init_error_and_the_process_lives_on(invoker):
    inv = invoker("exit-at-import")

    first = inv.invoke("Fn", {})
    second = inv.invoke("Fn", {})

    assert first.result is None and first.error["errorType"] == "SystemExit"
    assert second.cold and second.error["errorType"] == "SystemExit"  # init is tried again


def test_keyboard_interrupt_in_a_handler_is_its_error_not_the_sessions(invoker):
    inv = invoker()

    interrupted = inv.invoke("Fn", {"do": "interrupt"})

    assert interrupted.result is None and interrupted.error is not None
    assert inv.invoke("Fn", {}).result is not None


def test_changing_the_working_directory_does_not_leak(invoker):
    here = os.getcwd()
    inv = invoker()
    code = str((inv.project.root / "src").resolve())

    inside = inv.invoke("Fn", {"do": "chdir"}).result
    after = inv.invoke("Fn", {}).result

    assert inside["cwd"] == "/"
    assert after["cwd"] == code  # each call starts in the code folder again
    assert os.getcwd() == here


def test_changing_the_working_directory_at_import_does_not_leak(invoker):
    here = os.getcwd()
    inv = invoker("chdir-at-import")

    assert inv.invoke("Fn", {}).result["calls"] == 1

    assert os.getcwd() == here


def test_emptying_the_environment_empties_only_the_functions(invoker, monkeypatch):
    monkeypatch.setenv("HOST_ONLY", "host")
    inv = invoker()

    inv.invoke("Fn", {"do": "clear-env"})
    after = inv.invoke("Fn", {}).result

    assert after["mode"] is None  # the function's own environment stays as it left it (warm)
    assert os.environ["HOST_ONLY"] == "host"
    assert "MODE" not in os.environ and "PATH" in os.environ


SESSION_TESTS = """\
import os

HERE = os.getcwd()
SECRET = os.environ["SESSION_SECRET"]


def test_hang(sam_client):
    assert sam_client.post("/hang").status_code == 500  # a Lambda timeout: HTTP API answers 500


def test_exit(sam_client):
    assert sam_client.post("/exit").status_code == 500


def test_chdir_and_clear_env(sam_client):
    assert sam_client.post("/chdir").status_code == 200
    assert sam_client.post("/clear-env").status_code == 200


def test_the_session_is_unharmed(sam_client):
    assert os.getcwd() == HERE
    assert os.environ["SESSION_SECRET"] == SECRET
    assert "MODE" not in os.environ
    assert sam_client.get("/ok").json()["ok"] is True
"""

SESSION_APP = """\
import os
import sys
import threading

from fastapi import FastAPI
from mangum import Mangum

os.environ["MODE"] = "set by the app at import"
app = FastAPI()


@app.post("/hang")
def hang():
    threading.Event().wait()


@app.post("/exit")
def leave():
    sys.exit(3)


@app.post("/chdir")
def chdir():
    os.chdir("/")
    return {}


@app.post("/clear-env")
def clear_env():
    os.environ.clear()
    return {}


@app.get("/ok")
def ok():
    return {"ok": True}


handler = Mangum(app, lifespan="off")
"""


def test_a_pytest_session_survives_hostile_handlers(pytester: pytest.Pytester,
                                                    monkeypatch: pytest.MonkeyPatch):
    pytester.makefile(".yaml", template=textwrap.dedent("""\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: app.main.handler
              CodeUri: src/
              Timeout: 1
              Events:
                Any:
                  Type: HttpApi
                  Properties: {Path: "/{proxy+}", Method: ANY}
        """))
    src = Path(pytester.path, "src", "app")
    src.mkdir(parents=True)
    (src / "__init__.py").write_text("")
    (src / "main.py").write_text(SESSION_APP)
    pytester.makepyfile(test_hostile=SESSION_TESTS)
    monkeypatch.setenv("SESSION_SECRET", "s3cr3t")

    result = pytester.runpytest_subprocess("--sam", "template.yaml", "-p", "no:randomly",
                                           timeout=120)

    result.assert_outcomes(passed=4)


def test_code_out_of_the_project_is_never_imported(project: Callable[..., Project],
                                                   tmp_path: Path):
    marker = tmp_path / "imported"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "app.py").write_text(f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n"
                                    "def handler(event, context):\n    return 1\n")
    proj = project(template().replace("CodeUri: src/", f"CodeUri: {outside}/"),
                   {"samconfig.toml": ""})
    inv = Invoker(proj)

    with pytest.raises(GatewayError, match="is not a local folder"):
        inv.invoke("Fn", {})
    assert not marker.exists()
