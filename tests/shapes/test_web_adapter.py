"""Functions behind the AWS Lambda Web Adapter: the startup script read statically, the app
invoked in-process as the Adapter does, on every command; and a copy of AWS's fastapi-zip
example written from its documentation."""

from __future__ import annotations

import gc
import json
import os
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from sam_fastapi.cli import main
from sam_fastapi.gateway import Gateway
from sam_fastapi.template.stacks import load_project
from sam_fastapi.webadapter import Unread, WebApp, read_web_app

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: app/
      Handler: run.sh
      Environment:
        Variables: {ENVIRONMENT}
      Events:
        All:
          Type: HttpApi
"""
APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def root():
    return {"ok": True}
"""


def project(root: Path, script: str, *, environment: str = "{AWS_LAMBDA_EXEC_WRAPPER: "
            "/opt/bootstrap, PORT: 8000}", files: dict[str, str] | None = None) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "run.sh").write_text(textwrap.dedent(script))
    for name, text in {"main.py": APP, **(files or {})}.items():
        (root / "app" / name).write_text(text)
    template = root / "template.yaml"
    template.write_text(TEMPLATE.replace("{ENVIRONMENT}", environment))
    return template


def read(template: Path) -> WebApp | Unread | None:
    loaded = load_project(template)
    return read_web_app(loaded, loaded.functions["Fn"])


@pytest.mark.parametrize(("script", "target", "server"), [
    ("exec python -m uvicorn --port=$PORT main:app", "main:app", "uvicorn"),
    ("PYTHONPATH=$PYTHONPATH:/opt/python exec python3 -m uvicorn main:app --port ${PORT}",
     "main:app", "uvicorn"),
    ("exec uvicorn --factory --port 8000 main:create", "main:create()", "uvicorn"),
    ("exec gunicorn -b=:$PORT -k uvicorn.workers.UvicornWorker main:app", "main:app",
     "gunicorn"),
    ("exec hypercorn main:app --bind 0.0.0.0:${PORT:-8000}", "main:app", "hypercorn"),
])
def test_the_startup_script_names_the_app(tmp_path, script, target, server) -> None:
    found = read(project(tmp_path, f"#!/bin/sh\n{script}\n"))
    assert isinstance(found, WebApp)
    assert (found.target, found.server, found.line) == (target, server, 2)


def test_app_dir_root_path_and_continued_lines(tmp_path) -> None:
    found = read(project(tmp_path, """\
        #!/bin/bash
        cd $LAMBDA_TASK_ROOT/../app 2>/dev/null || true
        exec python -m uvicorn \\
            --app-dir src --root-path /Prod \\
            --port=$PORT api.main:app
        """))
    assert isinstance(found, WebApp)
    assert (found.target, found.root_path, found.line) == ("api.main:app", "/Prod", 3)
    assert found.app_dir == tmp_path / "app" / "src"


def test_what_a_sandbox_is_told_of_the_app_is_what_was_read(shape) -> None:
    project = load_project(shape("web_adapter") / "template.yaml")
    for function in project.functions.values():
        found = read_web_app(project, function)
        assert isinstance(found, WebApp)
        assert WebApp.from_json(json.loads(json.dumps(found.to_json()))) == found
    with pytest.raises(ValueError, match="not a web app"):
        WebApp.from_json({"module": "main"})


def test_python_main_calling_uvicorn_run(tmp_path) -> None:
    found = read(project(tmp_path, "exec python main.py\n", environment="{PORT: 9000}",
                         files={"main.py": "import os\n" + APP + textwrap.dedent("""
                             if __name__ == "__main__":
                                 import uvicorn
                                 uvicorn.run(app, port=int(os.environ["PORT"]))
                             """)}))
    assert isinstance(found, WebApp)
    assert (found.target, found.server) == ("main:app", "uvicorn.run")


@pytest.mark.parametrize(("script", "environment", "message"), [
    ("exec python -m uvicorn --port=8000 main:app", "{AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap}",
     "run.sh line 1: uvicorn listens on port 8000 and the Adapter forwards to 8080 "
     "(AWS_LWA_PORT, PORT); make them the same"),
    ("exec gunicorn -b :$PORT main:app", "{PORT: 8000}",
     "run.sh line 1: gunicorn serves main:app as a WSGI app; a FastAPI app needs -k "
     "uvicorn.workers.UvicornWorker"),
    ("exec python -m uvicorn --port=$APP_PORT main:app", "{PORT: 8000}",
     "run.sh uses $APP_PORT, which neither the function's Environment nor the script sets"),
    ("exec node server.js", "{PORT: 8000}",
     "run.sh starts no server sam-fastapi can read (uvicorn, gunicorn with uvicorn workers, "
     "hypercorn, or python calling uvicorn.run)"),
    ("exec python main.py", "{PORT: 8000}",
     "main.py does not call uvicorn.run(app, ...) where sam-fastapi can see it (at module "
     "level or under if __name__ == '__main__')"),
])
def test_what_cannot_be_read_is_said_in_one_line(tmp_path, script, environment,
                                                 message) -> None:
    found = read(project(tmp_path, script + "\n", environment=environment))
    assert isinstance(found, Unread)
    assert found.message == message


def test_lint_reports_an_unreadable_startup_as_sf309(tmp_path, capsys) -> None:
    template = project(tmp_path, "exec gunicorn -b :$PORT main:app\n")
    (tmp_path / "app" / "requirements.txt").write_text("fastapi\ngunicorn\n")

    assert main(["lint", str(template), "--select", "SF3"]) == 1

    out = capsys.readouterr().out
    assert f"{tmp_path / 'app' / 'run.sh'}:1:1: SF309 error run.sh line 1: gunicorn" in out


def test_the_shapes_project_lints_clean_and_routes_lists_every_app(shape, capsys) -> None:
    template = shape("web_adapter") / "template.yaml"
    assert main(["lint", str(template)]) == 0
    assert main(["routes", str(template)]) == 0
    out = capsys.readouterr().out
    for line in ("GET     /Prod/catalog/items/{item_id}  Catalog   catalog.main:item",
                 "GET     /orders/{order_id}/label.png   Orders    orders:label",
                 "GET     /reports/summary               Reports   main:summary",
                 "GET     /legacy                        Legacy    legacy:legacy"):
        assert line in out
    assert "/events" not in out  # the Adapter's pass-through door is not an API route


def test_sf401_and_sf402_cover_web_adapter_apps(shape, capsys) -> None:
    root = shape("web_adapter")
    template = root / "template.yaml"
    text = template.read_text()
    # The Reports event no longer reaches /summary, and /legacy's event serves no route.
    template.write_text(text.replace('"/reports/{proxy+}"', "/reports/health")
                        .replace("/legacy, Method: GET", "/legacy/old, Method: GET"))

    assert main(["lint", str(template), "--select", "SF4"]) == 1

    out = capsys.readouterr().out
    assert "SF401 error GET /summary (main:summary) of Reports is delivered by none" in out
    assert "SF402 error" in out and "[Legacy]" in out


@pytest.mark.parametrize("isolation", ["thread", "process"])
def test_pytest_sam_runs_the_projects_tests(shape, pytester: pytest.Pytester,
                                            isolation: str) -> None:
    root = shape("web_adapter", pytester.path)
    with (root / "catalog" / "src" / "catalog" / "main.py").open("a") as main_py:
        main_py.write(SANDBOX_PROBES)
    (root / "tests" / "test_pid.py").write_text(textwrap.dedent("""\
        import os


        def test_where_the_app_runs(sam_client, request):
            pid = sam_client.get("/catalog/pid").json()["pid"]
            in_process = request.config.getoption("sam_isolation") in (None, "thread")
            assert (pid == os.getpid()) == in_process
        """))
    pytester.chdir()

    result = pytester.runpytest_subprocess("web_adapter", f"--sam-isolation={isolation}")

    result.assert_outcomes(passed=6)


def test_an_app_never_ready_or_failing_to_start_is_a_failed_integration(tmp_path) -> None:
    template = project(tmp_path, "exec python -m uvicorn --port=$PORT main:app\n",
                       environment="{PORT: 8000, AWS_LWA_READINESS_CHECK_PATH: /ready, "
                                   "AWS_LWA_READINESS_CHECK_HEALTHY_STATUS: 200-299}")
    gateway = Gateway(load_project(template))

    not_ready = gateway.request("GET", "/")

    assert not_ready.status == 500  # HTTP API
    assert not_ready.error.startswith(
        "Fn failed to start: Sandbox.Timedout: the Web Adapter waits for a healthy answer to "
        "GET /ready (statuses 200-299, AWS_LWA_READINESS_CHECK_PATH/_HEALTHY_STATUS) and the "
        "app answered 404")
    (tmp_path / "app" / "main.py").write_text(APP.replace(
        "app = FastAPI()", "from contextlib import asynccontextmanager\n\n\n"
        "@asynccontextmanager\nasync def lifespan(app):\n    raise RuntimeError('no db')\n"
        "    yield\n\n\napp = FastAPI(lifespan=lifespan)"))
    gateway = Gateway(load_project(template.parent / "template.yaml"))
    failed = gateway.request("GET", "/ready")
    assert "Runtime.ExitError" in failed.error and "lifespan startup failed" in failed.error


def test_serve_the_aws_fastapi_zip_example(shape, serve) -> None:
    root = shape("lwa_fastapi_zip")
    assert main(["lint", str(root / "template.yaml")]) == 0
    with (root / "app" / "main.py").open("a") as main_py:
        main_py.write(SANDBOX_PROBES)
    server = serve(root / "template.yaml")

    answer = httpx.get(server.url + "/", timeout=30)
    pid = httpx.get(server.url + "/pid", timeout=30).json()["pid"]

    assert answer.json() == {"message": "hello world"}
    server.read_until("GET / -> FastAPIFunction 200")
    assert pid != server.process.pid  # the app runs in a sandbox of its own
    assert "Traceback" not in server.stop()


#: Endpoints added to a shape's app: the process it runs in, and a crash of that process.
SANDBOX_PROBES = """

import os as _os


@app.get("/pid")
def _pid():
    return {"pid": _os.getpid()}


@app.get("/catalog/pid")
def _catalog_pid():
    return {"pid": _os.getpid()}


@app.get("/catalog/exit")
def _exit():
    _os._exit(3)
"""


def test_serve_runs_web_adapter_apps_in_sandboxes(shape, serve) -> None:
    root = shape("web_adapter")
    with (root / "catalog" / "src" / "catalog" / "main.py").open("a") as main_py:
        main_py.write(SANDBOX_PROBES)
    server = serve(root / "template.yaml")

    first = httpx.get(server.url + "/Prod/catalog/pid", timeout=30).json()["pid"]
    crashed = httpx.get(server.url + "/Prod/catalog/exit", timeout=30)
    crash_line = server.read_until("GET /Prod/catalog/exit -> Catalog")
    catalog = httpx.get(server.url + "/Prod/catalog", timeout=30)
    after_line = server.read_until("GET /Prod/catalog -> Catalog")
    second = httpx.get(server.url + "/Prod/catalog/pid", timeout=30).json()["pid"]

    assert first != server.process.pid
    assert (crashed.status_code, crashed.json()) == (502, {"message": "Internal server error"})
    assert "Runtime.ExitError" in crash_line and "exit status 3" in crash_line
    assert catalog.json()["items"] == ["cups", "tea"]  # answers as before, from a new sandbox
    assert "cold" in after_line
    assert second not in (first, server.process.pid)
    assert server.stop().count("exit status 3") == 1


def test_serve_the_shapes_project(shape, serve) -> None:
    server = serve(shape("web_adapter") / "template.yaml")

    catalog = httpx.get(server.url + "/Prod/catalog", timeout=30).json()
    label = httpx.get(server.url + "/orders/3/label.png", timeout=30)
    summary = httpx.get(server.url + "/reports/summary", timeout=30).json()

    assert catalog["stage"] == "Prod"
    assert label.content == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert summary == {"path": "/summary", "events": 0}
    assert "Traceback" not in server.stop()


HOSTILE_ROUTES = """

import os
import time


@app.get("/pid")
def pid():
    return {"pid": os.getpid()}


@app.get("/hang")
def hang():
    time.sleep(60)


@app.get("/eat")
def eat():
    hog = bytearray(300 * 1024 * 1024)  # past MemorySize 128
    time.sleep(10)
    return len(hog)
"""


@pytest.mark.parametrize(("what", "error_type"), [("hang", "Sandbox.Timedout"),
                                                  ("eat", "Runtime.OutOfMemory")])
def test_a_sandboxed_web_adapter_app_is_stopped_as_a_mangum_function_is(
        tmp_path, what: str, error_type: str) -> None:
    template = project(tmp_path, "exec python -m uvicorn --port=$PORT main:app\n",
                       files={"main.py": APP + HOSTILE_ROUTES})
    template.write_text(template.read_text().replace(
        "      Runtime: python3.12\n", "      Runtime: python3.12\n      Timeout: 2\n"
        "      MemorySize: 128\n"))
    gateway = Gateway(load_project(template), isolation="process")
    try:
        pid = gateway.request("GET", "/pid").json()["pid"]
        stopped = gateway.request("GET", f"/{what}")
        after = gateway.request("GET", "/pid")
    finally:
        gateway.cold_start()

    assert stopped.status == 500  # HTTP API
    assert stopped.invocation.error["errorType"] == error_type
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert after.invocation.cold and after.json()["pid"] != pid


def test_an_in_process_app_ends_with_its_lifespan_shutdown(tmp_path, caplog) -> None:
    """As its server does on SIGTERM; nothing of the app is left pending for the garbage
    collector to report (a pending task destroyed at a bad moment broke CPython 3.11's
    ``ast.parse`` in the same process)."""
    ended = tmp_path / "ended"
    template = project(tmp_path, "exec python -m uvicorn --port=$PORT main:app\n", files={
        "main.py": APP.replace("app = FastAPI()", textwrap.dedent(f"""\
            from contextlib import asynccontextmanager


            @asynccontextmanager
            async def lifespan(app):
                yield
                open({str(ended)!r}, "w").close()


            app = FastAPI(lifespan=lifespan)"""))})
    gateway = Gateway(load_project(template))
    assert gateway.request("GET", "/").status == 200

    gateway.invoker.cold_start()

    deadline = time.monotonic() + 10
    while not ended.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ended.exists()
    gc.collect()
    assert "Task was destroyed but it is pending" not in caplog.text
