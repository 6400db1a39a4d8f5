"""``--import``: read a function's routes exactly by importing its app. This RUNS USER CODE.

The handler module is imported in a separate Python process, never in sam-fastapi's own: with a
time limit, a clean environment holding only the function's environment variables (as the
template gives them) and a few Lambda-like ones, the function's CodeUri as working folder and
first on ``sys.path``, then its local layers, as on Lambda. The child prints one JSON line;
an import that raises, hangs or kills the process becomes an error message, never a crash here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sam_fastapi.checks.routes.app import AppInfo, AppRoute
from sam_fastapi.findings import Location
from sam_fastapi.pysource import lambda_sys_path
from sam_fastapi.template.model import Function, Project

#: Seconds an app may take to import; below the lint runner's limit for one check (30 s).
IMPORT_TIMEOUT = 25.0
_MARKER = "sam-fastapi-routes:"

_CHILD = r"""
import importlib, inspect, json, sys, traceback
spec = json.loads(sys.argv[1])
sys.path[:0] = spec["path"]

def emit(data):
    sys.stdout.write("\n" + spec["marker"] + json.dumps(data) + "\n")
    sys.stdout.flush()

def where(endpoint):
    try:
        return [inspect.getsourcefile(endpoint), endpoint.__code__.co_firstlineno]
    except (TypeError, AttributeError, OSError):
        return None

try:
    from fastapi import FastAPI
    from fastapi.routing import APIRoute
    module = importlib.import_module(spec["module"])
    handler = getattr(module, spec["attribute"])
    base_path = "/"
    app = getattr(handler, "app", None)
    config = getattr(handler, "config", None)
    if isinstance(config, dict):
        base_path = config.get("api_gateway_base_path", "/")
    if app is None:
        apps = [v for v in vars(module).values() if isinstance(v, FastAPI)]
        app = apps[0] if len(apps) == 1 else None
    root_path = None
    for _ in range(8):
        if app is None or isinstance(app, FastAPI):
            break
        if isinstance(getattr(app, "root_path", None), str):
            root_path = app.root_path  # an ASGI wrapper that sets the scope's root_path
        app = getattr(app, "app", None)
    if app is None:
        emit({"error": "cannot tell which FastAPI app the handler serves"})
        sys.exit(0)
    try:  # FastAPI >= 0.16x keeps included routers as they are, behind route contexts
        from fastapi.routing import iter_route_contexts
        found = [c for c in iter_route_contexts(app.routes)
                 if isinstance(c.original_route, APIRoute)]
    except ImportError:
        found = [r for r in app.routes if isinstance(r, APIRoute)]
    routes = [
        {"methods": sorted(r.methods), "path": r.path,
         "endpoint": f"{r.endpoint.__module__}:{r.endpoint.__qualname__}",
         "where": where(r.endpoint)}
        for r in found
    ]
    from starlette.routing import Mount
    for middleware in getattr(app, "user_middleware", ()):
        options = getattr(middleware, "kwargs", None) or getattr(middleware, "options", None)
        if isinstance(options, dict) and isinstance(options.get("root_path"), str):
            root_path = options["root_path"]
    emit({"routes": routes, "root_path": root_path or app.root_path, "base_path": base_path,
          "docs_url": app.docs_url, "openapi_url": app.openapi_url,
          "mounts": [r.path for r in app.routes if isinstance(r, Mount)]})
except BaseException as exc:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    emit({"error": last})
"""


@dataclass(frozen=True)
class ImportFailed:
    """The app could not be imported; ``message`` ends with the exception's last line."""

    function: str
    message: str
    location: Location | None


def import_app(project: Project, function: Function, *,
               timeout: float = IMPORT_TIMEOUT) -> AppInfo | ImportFailed:
    """Import ``function``'s handler module in a subprocess and read its app's routes."""
    module_name, _, attribute = str(function.handler).rpartition(".")
    code_dir = function.code_dir
    assert code_dir is not None
    path = [str(folder) for entry in lambda_sys_path(project, function) for folder in entry]
    spec = {"path": path, "module": module_name.replace("/", "."), "attribute": attribute,
            "marker": _MARKER}

    def failed(message: str) -> ImportFailed:
        return ImportFailed(function.logical_id,
                            f"importing {function.handler} of {function.logical_id} failed: "
                            f"{message}", function.location)

    try:
        process = subprocess.run(
            # -I ignores PYTHONDONTWRITEBYTECODE: -B keeps __pycache__ out of the project.
            [sys.executable, "-I", "-B", "-c", _CHILD, json.dumps(spec)],
            cwd=code_dir, env=_environment(function, code_dir), capture_output=True,
            timeout=timeout, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return failed(f"it did not finish within {timeout:g} s")
    except OSError as exc:
        return failed(f"cannot start Python: {exc.strerror}")
    output = process.stdout.decode("utf-8", "replace")
    lines = [line for line in output.splitlines() if line.startswith(_MARKER)]
    if not lines:
        errors = process.stderr.decode("utf-8", "replace").strip().splitlines()
        return failed(errors[-1] if errors else f"the process exited with {process.returncode}")
    data = json.loads(lines[-1][len(_MARKER):])
    if "error" in data:
        return failed(data["error"])
    return AppInfo(
        function=function.logical_id,
        routes=tuple(_route(r) for r in data["routes"]),
        location=None,
        root_path=data["root_path"],
        base_path=data["base_path"],
        docs_url=data["docs_url"],
        openapi_url=data["openapi_url"],
        mounts=tuple(data["mounts"]),
    )


def _route(data: dict[str, Any]) -> AppRoute:
    where = data.get("where")
    location = Location(where[0], where[1]) if where and where[0] else None
    return AppRoute(tuple(data["methods"]), data["path"], data["endpoint"], location)


def _environment(function: Function, code_dir: Path) -> dict[str, str]:
    """A clean environment: what Lambda sets that apps read, and the function's variables."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "LAMBDA_TASK_ROOT": str(code_dir),
        "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    if sys.platform == "win32":
        env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", "")
    for name, value in function.environment.items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            env[name] = str(value)
        elif isinstance(value, bool):
            env[name] = "true" if value else "false"
    return env
