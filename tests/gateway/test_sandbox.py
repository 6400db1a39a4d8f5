"""``serve``'s sandboxes: each function instance in a process of its own, under a real uvicorn.

What a function does (crash, exit, hang, eat memory, change its environment) ends at most its
own instance; instances of different functions run side by side.
"""

from __future__ import annotations

import asyncio
import logging
import os
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from serving import Server

from sam_fastapi.gateway.asgi import create_app

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
    Timeout: 3
Resources:
  Hostile:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hostile/
      MemorySize: 128
      Environment:
        Variables:
          TZ: EST+05EDT,M3.2.0,M11.1.0
          OWN: the function's
      Events:
        Any: {Type: Api, Properties: {Path: "/hostile/{what}", Method: GET}}
  Other:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: other/
      Events:
        Any: {Type: Api, Properties: {Path: "/other", Method: GET}}
"""

HOSTILE = """\
import ctypes, json, os, signal, time

def handler(event, context):
    what = event["pathParameters"]["what"]
    if what == "abort":
        os.abort()
    if what == "exit":
        os._exit(3)
    if what == "segfault":
        ctypes.string_at(0)
    if what == "hang":
        time.sleep(60)
    if what == "eat":
        hog = bytearray(300 * 1024 * 1024)  # past MemorySize 128
        time.sleep(2)
    if what == "setenv":
        os.environ["OWN"] = "changed by the function"
        os.environ["SHARED"] = "leaked?"
    seen = {name: os.environ.get(name) for name in
            ("OWN", "SHARED", "GITHUB_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_LAMBDA_FUNCTION_NAME")}
    body = {"pid": os.getpid(), "env": seen, "cwd": os.path.basename(os.getcwd()),
            "zone": time.strftime("%z", time.localtime(0))}
    return {"statusCode": 200, "body": json.dumps(body)}
"""

OTHER = """\
import json, os, time

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(
        {"pid": os.getpid(), "own": os.environ.get("OWN"), "shared": os.environ.get("SHARED"),
         "zone": time.strftime("%z", time.localtime(0))})}
"""


@pytest.fixture
def serve(tmp_path: Path, monkeypatch) -> Iterator[Callable[..., Server]]:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_from_the_shell")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMTHESHELL")
    servers: list[Server] = []

    def start(**options) -> Server:
        root = tmp_path / f"p{len(servers)}"
        for name, text in {"template.yaml": TEMPLATE, "hostile/app.py": HOSTILE,
                           "other/app.py": OTHER}.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
        server = Server(create_app(root / "template.yaml", **options))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.mark.parametrize(("what", "reason"), [
    ("abort", "signal: aborted (core dumped)"),
    ("exit", "exit status 3"),
    ("segfault", "signal: segmentation fault (core dumped)"),
])
def test_a_crash_answers_502_is_logged_once_and_the_next_call_starts_cold(
        serve, caplog, what: str, reason: str) -> None:
    server = serve()
    caplog.set_level(logging.INFO, logger="sam_fastapi.serve")
    before = server.client.get("/Prod/hostile/fine").json()

    crashed = server.client.get(f"/Prod/hostile/{what}")
    after = server.client.get("/Prod/hostile/fine")

    assert crashed.status_code == 502
    assert crashed.json() == {"message": "Internal server error"}
    lines = [r.getMessage() for r in caplog.records if f"/hostile/{what}" in r.getMessage()]
    assert len(lines) == 1
    assert "Runtime.ExitError" in lines[0] and reason in lines[0]
    assert after.status_code == 200
    assert after.json()["pid"] != before["pid"]  # a new sandbox
    assert "cold" in [r.getMessage() for r in caplog.records][-1]


def test_timeout_kills_the_process(serve) -> None:
    server = serve()
    pid = server.client.get("/Prod/hostile/fine").json()["pid"]

    started = time.monotonic()
    hung = server.client.get("/Prod/hostile/hang")

    assert hung.status_code == 502
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_memory_size_is_enforced_as_lambdas_out_of_memory_error(serve, caplog) -> None:
    server = serve()
    caplog.set_level(logging.INFO, logger="sam_fastapi.serve")

    answer = server.client.get("/Prod/hostile/eat")

    assert answer.status_code == 502
    assert "Runtime.OutOfMemory" in caplog.text
    assert server.client.get("/Prod/hostile/fine").status_code == 200


def test_a_busy_or_hung_function_does_not_hold_up_another(serve) -> None:
    server = serve()
    server.client.get("/Prod/other")  # warm

    async def both() -> float:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            hang = asyncio.ensure_future(client.get("/Prod/hostile/hang"))
            await asyncio.sleep(0.5)  # the hung call is running
            started = time.monotonic()
            other = await client.get("/Prod/other")
            waited = time.monotonic() - started
            assert other.status_code == 200
            assert (await hang).status_code == 502
            return waited

    assert asyncio.run(both()) < 1.0  # was 28 s behind a hung function, 3.5 s behind a busy one


def test_environment_tz_and_folder_are_the_functions_alone(serve) -> None:
    server = serve()

    hostile = server.client.get("/Prod/hostile/setenv").json()
    other = server.client.get("/Prod/other").json()
    again = server.client.get("/Prod/hostile/fine").json()

    assert hostile["env"] == {"OWN": "changed by the function", "SHARED": "leaked?",
                              "GITHUB_TOKEN": None,  # only AWS credentials come from the shell
                              "AWS_ACCESS_KEY_ID": "AKIDFROMTHESHELL",
                              "AWS_LAMBDA_FUNCTION_NAME": "Hostile"}
    assert again["env"]["OWN"] == "changed by the function"  # its own, for its next calls
    assert (hostile["zone"], hostile["cwd"]) == ("-0500", "hostile")
    assert other == {"pid": other["pid"], "own": None, "shared": None, "zone": "+0000"}
    assert os.environ.get("SHARED") is None


def test_reload_restarts_only_the_function_that_changed(serve, tmp_path: Path) -> None:
    server = serve(reload=True)
    hostile = server.client.get("/Prod/hostile/fine").json()["pid"]
    other = server.client.get("/Prod/other").json()["pid"]

    code = tmp_path / "p0" / "other" / "app.py"
    code.write_text(code.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    os.utime(code, (time.time() + 5, time.time() + 5))

    assert server.client.get("/Prod/other").json()["pid"] != other
    assert server.client.get("/Prod/hostile/fine").json()["pid"] == hostile


CALLS_TEMPLATE = """\
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

CALLER = """\
import json, os, boto3

def handler(event, context):
    client = boto3.client("lambda")
    answers = []
    for n in range(event["calls"]):
        answer = client.invoke(FunctionName=os.environ["CALLEE"], Payload=json.dumps({"n": n}))
        answers.append(json.loads(answer["Payload"].read()))
    return {"answers": answers, "me": os.getpid()}
"""

CALLEE = """\
import os

def handler(event, context):
    os.environ["CALLEE_%d" % event["n"]] = "set"
    return [event["n"], os.getpid(), len([k for k in os.environ if k.startswith("CALLEE_")])]
"""


def test_a_sandboxed_function_calls_another_through_boto3(gateway, monkeypatch) -> None:
    pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    gw = gateway(CALLS_TEMPLATE, {"caller/app.py": CALLER, "callee/app.py": CALLEE},
                 isolation="process")

    invocation = gw.invoke("Caller", {"calls": 64})

    assert invocation.error is None, invocation.error
    answers = invocation.result["answers"]
    assert [a[0] for a in answers] == list(range(64))
    callees = {a[1] for a in answers}
    assert len(callees) == 1 and invocation.result["me"] not in callees  # one warm callee
    assert answers[-1][2] == 64  # its environment is its own, and kept between calls


LAZY_CALLER = """\
import json, os

def handler(event, context):
    import boto3  # first imported here, in the call

    answer = boto3.client("lambda").invoke(FunctionName=os.environ["CALLEE"],
                                           Payload=json.dumps({"n": 7}))
    return json.loads(answer["Payload"].read())
"""

INIT_CALLER = """\
import json, os

from clients import LAMBDA  # imports boto3 while the function loads


def handler(event, context):
    answer = LAMBDA.invoke(FunctionName=os.environ["CALLEE"], Payload=json.dumps({"n": 8}))
    return json.loads(answer["Payload"].read())
"""

CLIENTS = """\
import boto3

LAMBDA = boto3.client("lambda")
"""


@pytest.mark.parametrize("files", [{"caller/app.py": LAZY_CALLER},
                                   {"caller/app.py": INIT_CALLER, "caller/clients.py": CLIENTS}],
                         ids=["in-the-call", "while-loading"])
def test_boto3_imported_late_still_calls_the_template_function(gateway, monkeypatch,
                                                                files) -> None:
    pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    gw = gateway(CALLS_TEMPLATE, {**files, "callee/app.py": CALLEE}, isolation="process")

    invocation = gw.invoke("Caller", {})

    assert invocation.error is None, invocation.error
    number, callee, _ = invocation.result
    assert number in (7, 8) and callee != os.getpid()


PLAIN = """\
import sys

def handler(event, context):
    return sorted(name for name in sys.modules
                  if name == "boto3" or name.startswith(("botocore", "sam_fastapi.gateway")))
"""


def test_a_plain_functions_sandbox_imports_neither_boto3_nor_the_gateway(gateway) -> None:
    gw = gateway(CALLS_TEMPLATE, {"caller/app.py": PLAIN, "callee/app.py": CALLEE},
                 isolation="process")

    assert gw.invoke("Caller", {}).result == []
    assert gw.invoke("Caller", {}).result == []  # nor after its first call
