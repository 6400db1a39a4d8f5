"""The environment swap: what the function, its child processes, the
caller and the caller's child processes see. (test_invoker.py covers the variables Lambda sets.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import warnings

import pytest

from sam_fastapi.gateway.invoker import Invoker, ThreadLeftRunningWarning

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Timeout: 30
      Environment:
        Variables:
          OWN: the function's
"""

NAMES = ["CALLER", "OWN", "AWS_LAMBDA_FUNCTION_NAME", "ADDED_0", "ADDED_99"]

#: Prints what a child process sees of NAMES, as JSON.
CHILD = f"import json, os; print(json.dumps([os.environ.get(n) for n in {NAMES!r}]))"

HANDLER = textwrap.dedent(f"""\
    import json, os, subprocess, sys

    def handler(event, context):
        if "add" in event:
            os.environ["ADDED_%d" % event["add"]] = "added"
        if event.get("drop"):
            del os.environ["CALLER"]
        if event.get("quiet"):
            return None
        child = subprocess.run([sys.executable, "-c", {CHILD!r}], capture_output=True,
                               text=True, check=True)
        return [[os.environ.get(n) for n in {NAMES!r}], json.loads(child.stdout)]
    """)


@pytest.fixture
def invoke(project):
    invoker = Invoker(project(TEMPLATE, {"src/app.py": HANDLER}))
    yield lambda event: invoker.invoke("Fn", event).result
    invoker.cold_start()


def outside() -> list[str | None]:
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                           check=True)
    seen = json.loads(child.stdout)
    assert seen == [os.environ.get(n) for n in NAMES]  # the C environment agrees with Python's
    return seen


def test_variables_a_function_adds_and_removes_stay_its_own(invoke, monkeypatch) -> None:
    monkeypatch.setenv("CALLER", "the caller's")

    first = invoke({"add": 0, "drop": True})
    assert outside() == ["the caller's", None, None, None, None]
    for n in range(1, 100):
        invoke({"add": n, "quiet": True})
        assert os.environ["CALLER"] == "the caller's" and f"ADDED_{n}" not in os.environ
    assert outside() == ["the caller's", None, None, None, None]
    last = invoke({})

    mine = [None, "the function's", "Fn", "added", None]
    assert first == [mine, mine]  # the function and its child process agree
    assert last == [[*mine[:4], "added"]] * 2
    assert outside() == ["the caller's", None, None, None, None]


def test_what_the_caller_changes_between_calls_is_seen(invoke, monkeypatch) -> None:
    monkeypatch.setenv("CALLER", "before")
    first = invoke({})
    monkeypatch.setenv("CALLER", "changed between calls")
    monkeypatch.setenv("OWN", "the caller's own")
    second = invoke({})
    monkeypatch.delenv("CALLER")
    third = invoke({})

    assert first == [["before", "the function's", "Fn", None, None]] * 2
    assert second == [["changed between calls", "the function's", "Fn", None, None]] * 2
    assert third == [[None, "the function's", "Fn", None, None]] * 2
    assert outside() == [None, "the caller's own", None, None, None]


def test_a_caller_that_replaced_os_environ_still_gets_its_own_back(invoke, monkeypatch) -> None:
    monkeypatch.setenv("CALLER", "the caller's")
    real = os.environ
    stand_in = {"PATH": real["PATH"]}
    monkeypatch.setattr(os, "environ", stand_in)  # as mock.patch("os.environ", {...}) does

    assert invoke({"add": 0, "quiet": True}) is None

    assert stand_in["ADDED_0"] == "added"  # the function's code wrote where os.environ was
    monkeypatch.setattr(os, "environ", real)
    assert outside() == ["the caller's", None, None, None, None]
    assert invoke({}) == [["the caller's", "the function's", "Fn", None, None]] * 2


def test_a_variable_the_caller_set_for_c_only_survives_a_call(invoke, monkeypatch) -> None:
    monkeypatch.setenv("CALLER", "the caller's")
    os.putenv("CALLER", "C only")  # os.environ does not see it; child processes do
    try:
        invoke({"add": 0, "quiet": True})

        child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                               check=True)
        assert json.loads(child.stdout)[:3] == ["C only", None, None]
    finally:
        os.putenv("CALLER", "the caller's")


NESTED_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
    Timeout: 30
Resources:
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: caller/
      Environment:
        Variables:
          CALLEE: !Ref Callee
  Callee:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: callee/
"""

NESTED_FILES = {
    "caller/app.py": """\
        import json, os, boto3

        def handler(event, context):
            client = boto3.client("lambda")
            for n in range(event["calls"]):
                answer = client.invoke(FunctionName=os.environ["CALLEE"],
                                       Payload=json.dumps({"n": n}))
                last = json.loads(answer["Payload"].read())
            return [last, os.environ.get("CALLEE_0")]
        """,
    "callee/app.py": """\
        import os

        def handler(event, context):
            os.environ["CALLEE_%d" % event["n"]] = "set by the callee"  # libc moves environ
            return [event["n"], os.environ["CALLEE_0"]]
        """,
}

#: Calls the caller a few times, then makes libc read its environment while freed memory of
#: the same size is being reused (the crash needed both).
NESTED_RUN = """\
import os, subprocess, sys
from pathlib import Path
from sam_fastapi.gateway.invoker import Invoker
from sam_fastapi.template import build_project, load_template

template = Path(sys.argv[1])
invoker = Invoker(build_project(load_template(template), template))
for round in range(5):
    result = invoker.invoke("Caller", {"calls": 64})
    size = (len(os.environ) + 1) * 8 - 33
    reuse = [bytes(size) for _ in range(5000)] + [b"\\xff" * size for _ in range(5000)]
    child = subprocess.run(["env"], capture_output=True, text=True, check=True)
    print(result.result, result.error, "CALLEE_0" in child.stdout, flush=True)
"""


def test_nested_calls_that_change_the_environment_never_crash_the_process(project,
                                                                         tmp_path) -> None:
    pytest.importorskip("boto3")
    made = project(NESTED_TEMPLATE, NESTED_FILES)
    script = tmp_path / "run.py"
    script.write_text(NESTED_RUN, encoding="utf-8")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

    run = subprocess.run([sys.executable, str(script), str(made.template_path)], env=env,
                         capture_output=True, text=True, timeout=120)

    assert run.returncode == 0, run.stderr[-2000:]
    expected = "[[63, 'set by the callee'], None] None False"
    assert run.stdout.splitlines() == [expected] * 5


TZ_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          TZ: EST+05EDT,M3.2.0,M11.1.0
"""

TZ_HANDLER = """\
import time

def handler(event, context):
    return time.strftime("%z", time.localtime(0))
"""


def test_the_templates_tz_is_honoured_on_a_utc_host(project, monkeypatch) -> None:
    monkeypatch.setenv("TZ", "UTC")  # most CI runners
    time.tzset()
    invoker = Invoker(project(TZ_TEMPLATE, {"src/app.py": TZ_HANDLER}))
    try:
        first, second = (invoker.invoke("Fn", {}).result for _ in range(2))
        after = time.strftime("%z", time.localtime(0))
    finally:
        invoker.cold_start()
        monkeypatch.undo()
        time.tzset()

    assert first == second == "-0500"
    assert after == "+0000"


STRAY_TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
Resources:
  Stray:
    Type: AWS::Serverless::Function
    Properties:
      Handler: stray.handler
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Handler: api.handler
      Events:
        Root: {Type: HttpApi, Properties: {Path: /, Method: GET}}
"""

STRAY_FILES = {
    "src/stray.py": """\
        import threading

        stop = threading.Event()

        def handler(event, context):
            if event.get("start"):
                threading.Thread(target=stop.wait, name="left running").start()
            if event.get("stop"):
                stop.set()
            return "ok"
        """,
    "src/api.py": """\
        from fastapi import FastAPI
        from mangum import Mangum

        app = FastAPI()

        @app.get("/")
        def sync_endpoint():  # runs on anyio's worker threads, which wait for the next call
            return {"ok": True}

        handler = Mangum(app, lifespan="off")
        """,
}


def test_a_thread_left_running_is_reported_once_and_pool_workers_never(gateway) -> None:
    gw = gateway(STRAY_TEMPLATE, STRAY_FILES)
    invoker = gw.invoker
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for event in ({"start": True}, {}, {}):
                invoker.invoke("Stray", event)
            for _ in range(3):
                assert gw.request("GET", "/").status == 200
            strays = invoker.stray_threads()
    finally:
        invoker.invoke("Stray", {"stop": True})

    reports = [str(w.message) for w in caught if w.category is ThreadLeftRunningWarning]
    assert len(reports) == 1
    assert reports[0].startswith("Stray started thread 'left running', which still runs")
    assert [thread.name for thread in strays] == ["left running"]
