"""Cold start of a sandbox (``serve``'s default instance) against a bare Python process.

Side by side in one run, taking turns round by round so the machine's drift hits both alike:

- sandbox : a cold call through the gateway's invoker with process isolation: the sandbox
  process started, the handler imported on ``init``, one event in and its result out;
- python  : ``python -c "import <the handler's module>"`` in the function's folder: a process
  start plus the same imports, nothing of sam-fastapi. What the sandbox adds is the difference.

Two functions: a plain handler importing nothing, and a FastAPI app behind Mangum. The ratio is
the median of each round's; the milliseconds are medians too.

    python bench/sandbox_cold_bench.py
    python bench/sandbox_cold_bench.py --rounds 30

``--tree DIR`` (repeatable) compares trees of sam-fastapi (a checkout's folder, or a ``git
archive`` of one) in the same run: for each round and each tree in turn (each round starting
with the next tree), the sandbox process
of each function is started straight over its pipes with that tree first on its path, sent
``init`` and one ``call``, and timed until the answer; the medians and each tree's ratio to the
first tree's are printed.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 30
Resources:
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: plain/
      Handler: app.handler
  Api:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: api/
      Handler: app.handler
      Events:
        Get: {Type: Api, Properties: {Path: /hello, Method: GET}}
"""

PLAIN = """\
def handler(event, context):
    return {"ok": True}
"""

API = """\
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/hello")
def hello():
    return {"hello": "world"}


handler = Mangum(app, lifespan="off")
"""

#: The REST event of GET /hello.
EVENT = {"resource": "/hello", "path": "/hello", "httpMethod": "GET", "headers": {},
         "multiValueHeaders": {}, "queryStringParameters": None,
         "multiValueQueryStringParameters": None, "pathParameters": None,
         "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/hello", "httpMethod": "GET",
                            "path": "/Prod/hello", "stage": "Prod", "requestId": "r",
                            "identity": {"sourceIp": "127.0.0.1"}}}


def compare_trees(trees: list[Path], rounds: int) -> None:
    """Cold start (process, ``init``, one ``call``) of each function per tree."""
    from sam_fastapi.gateway.process import _BOOTSTRAP

    for tree in trees:
        compileall.compile_dir(str(tree / "sam_fastapi"), quiet=1)
    print(f"{'function':<8} {'tree':<40} {'cold ms':>8} {'ratio':>6}")
    for name, source in (("Plain", PLAIN), ("Api", API)):
        with tempfile.TemporaryDirectory() as folder:
            code = Path(folder)
            (code / "app.py").write_text(source, encoding="utf-8")
            times: dict[Path, list[float]] = {tree: [] for tree in trees}
            for number in range(rounds + 1):  # the first round warms the caches: dropped
                # Each round starts with the next tree: the second process of a round runs
                # slower.
                turn = number % len(trees)
                for tree in trees[turn:] + trees[:turn]:
                    times[tree].append(_cold_call(tree, code, _BOOTSTRAP))
        first = statistics.median(times[trees[0]][1:])
        for tree in trees:
            median = statistics.median(times[tree][1:])
            print(f"{name:<8} {tree!s:<40} {median * 1000:>8.1f} {median / first:>6.2f}")


def _cold_call(tree: Path, code: Path, bootstrap: str) -> float:
    requests_read, requests_write = os.pipe()
    answers_read, answers_write = os.pipe()
    paths = [str(tree), *(p for p in sys.path if p)]
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", bootstrap, str(requests_read), str(answers_write), *paths],
        cwd=code, pass_fds=(requests_read, answers_write), stdin=subprocess.DEVNULL)
    os.close(requests_read)
    os.close(answers_write)
    with os.fdopen(requests_write, "wb") as requests, os.fdopen(answers_read, "rb") as answers:
        context = {"function_name": "Plain", "function_version": "$LATEST",
                   "invoked_function_arn": "arn", "memory_limit_in_mb": "128",
                   "aws_request_id": "r", "log_group_name": "g", "log_stream_name": "s",
                   "deadline": time.time() + 30}
        for message in ({"op": "init", "handler": "app.handler", "paths": [str(code)],
                         "functions": {}, "region": "us-east-1", "apis": {}, "web_app": None},
                        {"op": "call", "event": EVENT, "context": context, "trace_id": "t"}):
            _send(requests, message)
            answer = _receive(answers)
            assert answer["error"] is None, answer
        elapsed = time.perf_counter() - started
    process.wait()
    return elapsed


def _send(stream: Any, message: Any) -> None:
    data = json.dumps(message).encode("utf-8")
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def _receive(stream: Any) -> Any:
    size = struct.unpack(">I", stream.read(4))[0]
    return json.loads(stream.read(size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--tree", type=Path, action="append", default=[])
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # imports from warm bytecode caches
    if args.tree:
        compare_trees([tree.resolve() for tree in args.tree], args.rounds)
        return
    import sam_fastapi

    compileall.compile_dir(str(Path(sam_fastapi.__file__).parent), quiet=1)
    from sam_fastapi.gateway.invoker import Invoker
    from sam_fastapi.gateway.process import ProcessInstance
    from sam_fastapi.template import build_project, load_template

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, text in {"template.yaml": TEMPLATE, "plain/app.py": PLAIN,
                           "api/app.py": API}.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
        compileall.compile_dir(folder, quiet=1)
        template = root / "template.yaml"
        invoker = Invoker(build_project(load_template(template), template),
                          start=ProcessInstance)
        print(f"sam_fastapi from {Path(sam_fastapi.__file__).parent.parent}")
        print(f"{'function':<8} {'sandbox ms':>11} {'python ms':>10} {'ratio':>6}")
        for logical_id, code in (("Plain", root / "plain"), ("Api", root / "api")):
            sandbox: list[float] = []
            python: list[float] = []
            for _ in range(args.rounds + 1):  # the first round warms the caches: dropped
                invoker.cold_start(logical_id)
                started = time.perf_counter()
                invocation = invoker.invoke(logical_id, EVENT)
                sandbox.append(time.perf_counter() - started)
                assert invocation.cold and invocation.error is None, invocation
                started = time.perf_counter()
                subprocess.run([sys.executable, "-c", "import app"], cwd=code, check=True)
                python.append(time.perf_counter() - started)
            ratios = [s / p for s, p in zip(sandbox[1:], python[1:], strict=True)]
            print(f"{logical_id:<8} {statistics.median(sandbox[1:]) * 1000:>11.1f} "
                  f"{statistics.median(python[1:]) * 1000:>10.1f} "
                  f"{statistics.median(ratios):>6.2f}")
        invoker.cold_start()


if __name__ == "__main__":
    main()
