"""Throughput and latency of ``sam-fastapi serve`` against uvicorn serving the same app directly.

Both servers run as subprocesses on free loopback ports, in the same run, and get the same
bounded load from one client (httpx, ``--connections`` concurrent connections, ``--requests``
requests per round, best of ``--rounds``): requests per second and p50/p99 latency.

- serve   : ``sam-fastapi serve`` over a one-function REST API (``/{proxy+}``), the request
  routed, turned into an event, invoked through Mangum, the result converted;
- uvicorn : ``uvicorn main:app`` on the same FastAPI app, nothing in between;
- bare    : the least any server must do that answers through the Lambda handler: uvicorn
  running a small ASGI app that builds the same event (the gateway's own router and event
  builder) and hands ``handler(event, context)`` to one worker thread (Mangum runs its own
  event loop, so not on the server's). No isolation, no timeout, no second thread: what
  ``serve`` adds to this is the price of those, and this is the most it could reach here.

Target: serve reaches at least 0.7x uvicorn's requests per second. When ``wrk`` is installed
(``apt-get install wrk``) each server is also measured with it (``--wrk-seconds``, 0 to skip):
a client in C, so the numbers are the servers' rather than the Python client's.

    python bench/serve_bench.py
    python bench/serve_bench.py --requests 5000 --connections 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

APP = """\
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/items/{item_id}")
async def item(item_id: int, q: str = ""):
    return {"id": item_id, "q": q}


handler = Mangum(app, lifespan="off")
"""

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Items:
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
BARE = """\
import asyncio
import queue
import threading
from pathlib import Path
from types import SimpleNamespace

from main import handler
from sam_fastapi.gateway.events import RestEvent, Request
from sam_fastapi.gateway.response import from_v1
from sam_fastapi.gateway.router import Router
from sam_fastapi.template import build_project, load_template

TEMPLATE = Path(__file__).parents[2] / "template.yaml"
router = Router.from_project(build_project(load_template(TEMPLATE), TEMPLATE), region="us-east-1")
jobs = queue.SimpleQueue()
context = SimpleNamespace(function_name="Items", aws_request_id="bench")


def work():
    asyncio.set_event_loop(asyncio.new_event_loop())  # Mangum runs each call on this loop
    while True:
        loop, future, event = jobs.get()
        loop.call_soon_threadsafe(future.set_result, handler(event, context))


threading.Thread(target=work, daemon=True).start()


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    message = await receive()
    query = scope["query_string"].decode()
    request = Request.build(scope["method"], scope["path"] + ("?" + query if query else ""),
                            headers=[(k.decode(), v.decode()) for k, v in scope["headers"]],
                            body=message.get("body", b""))
    found = router.match(request.method, request.path)
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    jobs.put((loop, future, RestEvent.build(request, found)))
    response = from_v1(await future)
    headers = [(k.lower().encode(), v.encode()) for k, v in response.headers
               if k.lower() != "content-length"]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
"""
TARGET = 0.7


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], cwd: Path, url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{command[0]} did not answer {url}")


async def load(url: str, requests: int, connections: int) -> tuple[float, list[float]]:
    """Seconds for all requests, and each one's latency in ms."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(requests):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                begin = time.perf_counter()
                response = await client.get(f"{url}{i}?q=x")
                latencies.append((time.perf_counter() - begin) * 1000)
                if response.status_code != 200 or response.json() != {"id": i, "q": "x"}:
                    raise SystemExit(f"wrong answer for {i}: {response.status_code} "
                                     f"{response.text[:200]}")

        begin = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return time.perf_counter() - begin, latencies


def measure(name: str, url: str, args: argparse.Namespace) -> dict[str, float]:
    asyncio.run(load(url, min(200, args.requests), args.connections))  # warm up
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        seconds, latencies = asyncio.run(load(url, args.requests, args.connections))
        rps = args.requests / seconds
        if rps > best.get("rps", 0):
            cuts = statistics.quantiles(latencies, n=100)
            best = {"rps": rps, "p50": cuts[49], "p99": cuts[98]}
    print(f"{name:8} {best['rps']:8.0f} req/s   p50 {best['p50']:6.2f} ms   "
          f"p99 {best['p99']:6.2f} ms", flush=True)
    return best


def measure_wrk(name: str, url: str, args: argparse.Namespace) -> dict[str, float] | None:
    wrk = shutil.which("wrk")
    if wrk is None or args.wrk_seconds <= 0:
        return None
    result = subprocess.run([wrk, "-t2", f"-c{args.connections}", f"-d{args.wrk_seconds}s",
                             "--latency", url + "7?q=x"], capture_output=True, text=True,
                            check=True)
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p99 = (_ms(re.search(rf"^\s+{p}%\s+(\S+)", out, re.M).group(1)) for p in (50, 99))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
    print(f"{name:8} {rps:8.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   (wrk, "
          f"{args.wrk_seconds} s{'; ' + errors.group(0) if errors else ''})", flush=True)
    return {"rps": rps, "p50": p50, "p99": p99}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wrk-seconds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "app").mkdir()
        (root / "app" / "main.py").write_text(APP, encoding="utf-8")
        (root / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
        (root / "app" / "bare").mkdir()
        (root / "app" / "bare" / "gateway.py").write_text(BARE, encoding="utf-8")
        bin_dir = Path(sys.executable).parent
        serve_port, uvicorn_port, bare_port = free_port(), free_port(), free_port()
        results = {}
        wrk_results = {}
        for name, command, cwd, url in (
            ("uvicorn", [sys.executable, "-m", "uvicorn", "main:app", "--port", str(uvicorn_port),
                         "--log-level", "warning", "--no-access-log"], root / "app",
             f"http://127.0.0.1:{uvicorn_port}/items/"),
            ("serve", [str(bin_dir / "sam-fastapi"), "serve", "--port", str(serve_port)], root,
             f"http://127.0.0.1:{serve_port}/Prod/items/"),
            ("bare", [sys.executable, "-m", "uvicorn", "bare.gateway:app", "--port",
                      str(bare_port), "--log-level", "warning", "--no-access-log"], root / "app",
             f"http://127.0.0.1:{bare_port}/Prod/items/"),
        ):
            process = start(command, cwd, url + "0")
            try:
                results[name] = measure(name, url, args)
                wrk_results[name] = measure_wrk(name, url, args)
            finally:
                process.terminate()
                process.wait(10)
    ratio = results["serve"]["rps"] / results["uvicorn"]["rps"]
    verdict = "ok" if ratio >= TARGET else f"BELOW the {TARGET}x target"
    print(f"serve/uvicorn throughput (httpx): {ratio:.2f}x ({verdict}); {args.requests} "
          f"requests, {args.connections} connections, best of {args.rounds}, "
          f"CPUs {os.cpu_count()}")
    print(f"bare/uvicorn throughput (httpx): "
          f"{results['bare']['rps'] / results['uvicorn']['rps']:.2f}x")
    ratios = [ratio]
    if all(wrk_results.get(name) for name in ("serve", "uvicorn", "bare")):
        ratios.append(wrk_results["serve"]["rps"] / wrk_results["uvicorn"]["rps"])
        verdict = "ok" if ratios[-1] >= TARGET else f"BELOW the {TARGET}x target"
        print(f"serve/uvicorn throughput (wrk): {ratios[-1]:.2f}x ({verdict})")
        print(f"bare/uvicorn throughput (wrk): "
              f"{wrk_results['bare']['rps'] / wrk_results['uvicorn']['rps']:.2f}x "
              "(the ceiling of a server that answers through the Lambda handler)")
    return 0 if min(ratios) >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
