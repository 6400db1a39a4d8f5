"""Request overhead of ``sam_client`` against FastAPI's TestClient and a bare Mangum call.

Side by side in one run, on the same FastAPI app (the generated project of lint_bench.py),
once for a plain ``def`` endpoint (FastAPI runs it on a worker thread) and once for an
``async def`` one (run on Mangum's event loop):

- (a) ``sam_client.get`` : route through the template, build the REST event, invoke, convert
  (and ``Gateway.request`` alone, to tell the client's share from the gateway's);
- (b) ``TestClient.get`` : FastAPI's own test client (httpx over ASGI);
- (c) ``handler(event, context)`` : ``Mangum(app, lifespan="off")`` called directly with the
  event (a) built, so nothing but the app and Mangum;
- (d) the gateway's own work around (c) and nothing else: route, build the event, call the
  handler on this thread, JSON round trip of the result, convert it to the HTTP response. No
  isolation, no thread, no timeout: a floor for any in-process gateway that builds real events.

Then a project of N functions: the first request (a cold start that imports FastAPI), every
other function once (each a cold start of its own code), and the process's peak memory.
Targets: (a) within 1.3x of (c); 50 functions in at most 5 s; under 400 MB.

    python bench/invoke_bench.py
    python bench/invoke_bench.py --requests 5000 --functions 100
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from lint_bench import generate

from pytest_samfastapi.client import SamClient
from sam_fastapi.gateway import BUILDERS, Gateway
from sam_fastapi.gateway.events import Request
from sam_fastapi.gateway.response import from_v1
from sam_fastapi.template import build_project, load_template

#: Calls of one contender in a row; the contenders take turns, block by block, to the end.
BLOCK = 20


def load_app_module(path: Path) -> ModuleType:
    """The app module outside ``sys.modules["app"]``, which the gateway's copy owns."""
    spec = importlib.util.spec_from_file_location("bench_app_main", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def per_request_us(calls: dict[str, Callable[[], Any]], requests: int) -> dict[str, float]:
    """Median microseconds per call. The contenders take turns in short blocks: this machine's
    speed drifts by a third within minutes, and long turns let the drift pick the winner."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        for _ in range(50):  # warm-up
            call()
    for _ in range(max(1, requests // BLOCK)):
        for name, call in calls.items():
            for _ in range(BLOCK):
                start = time.perf_counter_ns()
                call()
                samples[name].append((time.perf_counter_ns() - start) / 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def project(root: Path, functions: int) -> Gateway:
    template = generate(root, functions)
    return Gateway(build_project(load_template(template), template))


def compare_clients(tmp: Path, requests: int) -> None:
    with warnings.catch_warnings():
        # Starlette warns that its TestClient's httpx is deprecated; not this table's business.
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    root = tmp / "one"
    root.mkdir()
    gateway = project(root, 1)
    client = SamClient(gateway)
    module = load_app_module(root / "res0_service" / "app" / "main.py")
    test_client = TestClient(module.app)
    # FastAPI runs a plain `def` endpoint on a worker thread, an `async def` one on the loop.
    for path, kind in (("/res0", "a def endpoint"), ("/res0/7", "an async def endpoint")):
        response = client.get(path)
        assert response.status_code == 200 and response.function == "Res0Function", response
        event, context = response.event, SimpleNamespace(function_name="Res0Function")
        assert module.handler(event, context)["statusCode"] == 200

        medians = per_request_us({
            "(a) sam_client.get": lambda path=path: client.get(path),
            "    of which Gateway.request": lambda path=path: gateway.request("GET", path),
            "(b) FastAPI TestClient.get": lambda path=path: test_client.get(path),
            "(c) Mangum handler(event, context)": (
                lambda event=event, context=context: module.handler(event, context)),
            "(d) route+event+(c)+JSON+convert": (
                lambda path=path, context=context: floor(gateway, module, path, context)),
        }, requests)
        print_table(f"GET {path}, {kind}", medians, requests)


def floor(gateway: Gateway, module: ModuleType, path: str, context: Any) -> Any:
    """(d): what the gateway does around the handler, on this thread, without isolation."""
    found = gateway.router.match("GET", path)
    kind = BUILDERS[(found.route.api.kind, found.route.payload_format_version)]
    event = kind.build(Request.build("GET", path), found)
    result = json.loads(json.dumps(module.handler(event, context)))
    return from_v1(result)


def print_table(title: str, medians: dict[str, float], requests: int) -> None:
    direct = medians["(c) Mangum handler(event, context)"]
    print()
    print(title)
    print(f"{'per request (median of ' + str(requests) + ')':<38} {'µs':>9} {'vs (c)':>7}")
    for name, value in medians.items():
        print(f"{name:<38} {value:>9.1f} {value / direct:>6.2f}x")


def many_functions(tmp: Path, functions: int) -> None:
    root = tmp / "many"
    root.mkdir()
    client = SamClient(project(root, functions))
    start = time.perf_counter()
    assert client.get("/res0").status_code == 200
    first = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(1, functions):
        response = client.get(f"/res{i}")
        assert response.status_code == 200 and response.invocation.cold, response
    rest = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"{functions} functions, one request each")
    print(f"{'first request (cold, imports FastAPI)':<38} {first:>8.2f}s")
    print(f"{'the other ' + str(functions - 1) + ' (each a cold start)':<38} {rest:>8.2f}s")
    print(f"{'all ' + str(functions):<38} {first + rest:>8.2f}s")
    print(f"{'peak memory of this process':<38} {peak_mb:>7.0f}MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--functions", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # The many-functions run goes first, so its first request is a true cold start.
        many_functions(Path(tmp), args.functions)
        compare_clients(Path(tmp), args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
