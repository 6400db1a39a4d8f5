"""Throughput and latency of ``sam-fastapi serve`` against uvicorn serving the same app directly.

The four servers run as subprocesses on free loopback ports, in the same run, and get the
same bounded load from one client (httpx, ``--connections`` concurrent connections,
``--requests`` requests a round): requests per second and p50/p99 latency. The rounds
(``--rounds``) take the servers in turn, so the machine's drift hits all three alike; the
ratios are the median of each round's.

- serve   : ``sam-fastapi serve`` over a one-function REST API (``/{proxy+}``), the request
  routed, turned into an event, invoked through Mangum in the function's sandbox process
  (the event in and the result out as JSON over a pipe), the result converted;
- thread  : the same with ``--isolation thread``: the function in serve's own process, its
  modules, environment and folder swapped in around each call, one call at a time;
- uvicorn : ``uvicorn main:app`` on the same FastAPI app, nothing in between;
- bare    : the least any server must do that answers through the Lambda handler: uvicorn
  running a small ASGI app that builds the same event (the gateway's own router and event
  builder) and hands ``handler(event, context)`` to one worker thread (Mangum runs its own
  event loop, so not on the server's). No isolation, no timeout, no second thread: what
  ``serve`` adds to this is the price of those, and this is the most it could reach here.

Target: serve reaches at least 0.7x uvicorn's requests per second. When ``wrk`` is installed
(``apt-get install wrk``) each round also loads each server with it (``--wrk-seconds``, 0 to
skip): a client in C, so the numbers are the servers' rather than the Python client's.

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


def measure(url: str, args: argparse.Namespace) -> dict[str, float]:
    """One round of the Python client's load: requests per second, p50 and p99 in ms."""
    seconds, latencies = asyncio.run(load(url, args.requests, args.connections))
    cuts = statistics.quantiles(latencies, n=100)
    return {"rps": args.requests / seconds, "p50": cuts[49], "p99": cuts[98]}


def measure_wrk(url: str, args: argparse.Namespace) -> dict[str, float]:
    """One round of wrk's load (``--wrk-seconds``)."""
    result = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.wrk_seconds}s",
                             "--latency", url + "7?q=x"], capture_output=True, text=True,
                            check=True)
    out = result.stdout
    if re.search(r"Non-2xx or 3xx responses|Socket errors", out):
        raise SystemExit(f"wrk saw errors from {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p99 = (_ms(re.search(rf"^\s+{p}%\s+(\S+)", out, re.M).group(1)) for p in (50, 99))
    return {"rps": rps, "p50": p50, "p99": p99}


def report(client: str, runs: dict[str, list[dict[str, float]]]) -> float:
    """Each server's median round, and the others' throughput over uvicorn's, round by
    round (the machine drifts between rounds; within one, all three met the same machine)."""
    for name, rounds in runs.items():
        middle = sorted(rounds, key=lambda r: r["rps"])[len(rounds) // 2]
        print(f"{name:8} {middle['rps']:8.0f} req/s   p50 {middle['p50']:6.2f} ms   "
              f"p99 {middle['p99']:6.2f} ms   ({client}, median of {len(rounds)} rounds)")
    ratios = {}
    for name in ("serve", "thread", "bare"):
        each = [r["rps"] / u["rps"] for r, u in zip(runs[name], runs["uvicorn"], strict=True)]
        ratios[name] = statistics.median(each)
        print(f"{name}/uvicorn throughput ({client}): {ratios[name]:.2f}x "
              f"(rounds {min(each):.2f}-{max(each):.2f})")
    return ratios["serve"]


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
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # the servers' imports from warm caches
    use_wrk = shutil.which("wrk") is not None and args.wrk_seconds > 0
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "app").mkdir()
        (root / "app" / "main.py").write_text(APP, encoding="utf-8")
        (root / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
        (root / "app" / "bare").mkdir()
        (root / "app" / "bare" / "gateway.py").write_text(BARE, encoding="utf-8")
        bin_dir = Path(sys.executable).parent
        ports = {name: free_port() for name in ("uvicorn", "serve", "thread", "bare")}
        servers = {
            "uvicorn": ([sys.executable, "-m", "uvicorn", "main:app", "--port",
                         str(ports["uvicorn"]), "--log-level", "warning", "--no-access-log"],
                        root / "app", "/items/"),
            "serve": ([str(bin_dir / "sam-fastapi"), "serve", "--port", str(ports["serve"])],
                      root, "/Prod/items/"),
            "thread": ([str(bin_dir / "sam-fastapi"), "serve", "--isolation", "thread",
                        "--port", str(ports["thread"])], root, "/Prod/items/"),
            "bare": ([sys.executable, "-m", "uvicorn", "bare.gateway:app", "--port",
                      str(ports["bare"]), "--log-level", "warning", "--no-access-log"],
                     root / "app", "/Prod/items/"),
        }
        urls = {name: f"http://127.0.0.1:{ports[name]}{path}"
                for name, (_, _, path) in servers.items()}
        processes = []
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
        wrk_runs: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
        try:
            for name, (command, cwd, _) in servers.items():
                processes.append(start(command, cwd, urls[name] + "0"))
                asyncio.run(load(urls[name], min(200, args.requests), args.connections))
            # Rounds go server by server, so each round compares them on the same machine.
            for _ in range(args.rounds):
                for name, url in urls.items():
                    runs[name].append(measure(url, args))
                    if use_wrk:
                        wrk_runs[name].append(measure_wrk(url, args))
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
    print(f"{args.requests} requests a round (httpx), {args.connections} connections, "
          f"{args.rounds} rounds, CPUs {os.cpu_count()}")
    ratios = [report("httpx", runs)]
    if use_wrk:
        ratios.append(report("wrk", wrk_runs))
    verdict = "ok" if min(ratios) >= TARGET else f"BELOW the {TARGET}x target"
    print(f"serve/uvicorn: {verdict}; bare is the most a server answering through the Lambda "
          "handler reaches here")
    return 0 if min(ratios) >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
