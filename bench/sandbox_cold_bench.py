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

To compare two trees of sam-fastapi, run it with ``PYTHONPATH=<tree>`` for each: the sandbox
imports sam-fastapi from where this process does.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # imports from warm bytecode caches
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
        event = {"resource": "/hello", "path": "/hello", "httpMethod": "GET", "headers": {},
                 "multiValueHeaders": {}, "queryStringParameters": None,
                 "multiValueQueryStringParameters": None, "pathParameters": None,
                 "stageVariables": None, "body": None, "isBase64Encoded": False,
                 "requestContext": {"resourcePath": "/hello", "httpMethod": "GET",
                                    "path": "/Prod/hello", "stage": "Prod",
                                    "requestId": "r", "identity": {"sourceIp": "127.0.0.1"}}}
        print(f"sam_fastapi from {Path(sam_fastapi.__file__).parent.parent}")
        print(f"{'function':<8} {'sandbox ms':>11} {'python ms':>10} {'ratio':>6}")
        for logical_id, code in (("Plain", root / "plain"), ("Api", root / "api")):
            sandbox: list[float] = []
            python: list[float] = []
            for _ in range(args.rounds + 1):  # the first round warms the caches: dropped
                invoker.cold_start(logical_id)
                started = time.perf_counter()
                invocation = invoker.invoke(logical_id, event)
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
