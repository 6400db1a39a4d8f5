"""Reading a monolithic FastAPI app, and recording its answers, in a subprocess.

This is the only place sam-fastapi runs a user's code: ``split`` has to import the app to see
its routes. It does so in a child process (``python -m sam_fastapi.scaffold.monolith``) with a
timeout, so neither the user's import-time side effects nor a hang reach the sam-fastapi
process. The child prints nothing but one JSON document; the app's own prints go to stderr.

Two modes: ``routes`` describes the app (routes, the router each came from, sample requests
built from the OpenAPI schema, what cannot be split safely); ``record`` sends a list of
requests through FastAPI's ``TestClient`` in one session and returns the answers.
"""

from __future__ import annotations

import base64
import importlib
import json
import subprocess
import sys
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sam_fastapi.scaffold import DEFAULT_TIMEOUT

#: ``FastAPI(...)`` arguments a split function's app repeats (when they are plain values).
_SETTINGS = ("title", "version", "description", "openapi_url", "docs_url", "redoc_url",
             "root_path")
_SKIPPED_METHODS = ("HEAD", "OPTIONS")


class MonolithError(Exception):
    """The app could not be read; the message says why in one line."""


def run_monolith(mode: str, target: str, *, path: Path, timeout: float = DEFAULT_TIMEOUT,
                 requests: Sequence[Mapping[str, Any]] = ()) -> Any:
    """Run the child for ``mode`` on ``target`` (``package.module:app``), importing from
    ``path``, and return what it found."""
    command = [sys.executable, "-m", "sam_fastapi.scaffold.monolith", mode, target, str(path)]
    try:
        done = subprocess.run(command, input=json.dumps(list(requests)), capture_output=True,
                              text=True, timeout=timeout, cwd=path)
    except subprocess.TimeoutExpired:
        raise MonolithError(
            f"{target} did not load within {timeout:g} s (importing it runs its code; "
            "--timeout allows more)") from None
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise MonolithError(f"reading {target} failed: {last}") from None
    if "error" in answer:
        raise MonolithError(answer["error"])
    return answer["result"]


# -- the child ---------------------------------------------------------------------------------


def _load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise MonolithError(f"{target!r}: expected PACKAGE.MODULE:APP, e.g. myapp.main:app")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        raise MonolithError(f"{exc.filename}:{exc.lineno}: SyntaxError: {exc.msg}") from None
    except Exception as exc:
        raise MonolithError(
            f"importing {module_name} failed: {type(exc).__name__}: {exc}") from None
    app = getattr(module, attribute, None)
    from fastapi import FastAPI

    if not isinstance(app, FastAPI):
        what = "missing" if app is None else f"a {type(app).__name__}"
        raise MonolithError(f"{target}: {attribute} is {what}, not a FastAPI app")
    return app


class _Includes:
    """Every ``include_router`` call, recorded while the app is imported.

    Which router a route came from is lost once the app is built: FastAPI either copies the
    routes into the parent (older versions) or keeps the included router whole behind a
    private wrapper (newer ones). Recording the calls answers it for both: ``parents`` leads
    from an included router to the one it was included into, ``tags`` from a copied route to
    the router it was copied from (kept alive with its tag, so ids stay unique).
    """

    def __init__(self) -> None:
        from fastapi.routing import APIRouter

        self.parents: dict[int, tuple[Any, Any]] = {}
        self.tags: dict[int, tuple[Any, Any]] = {}
        self.lifespans: list[Any] = []
        include = APIRouter.include_router
        init = APIRouter.__init__
        includes = self

        def tracking_init(self, *args, **kwargs):
            # FastAPI(lifespan=...) passes it on to its router; the router's own default
            # lifespan, or one merged from included routers, is nobody's startup work.
            if kwargs.get("lifespan") is not None:
                includes.lifespans.append(kwargs["lifespan"])
            init(self, *args, **kwargs)

        def tracking_include(self, router, *args, **kwargs):
            before = len(self.routes)
            include(self, router, *args, **kwargs)
            includes.parents[id(router)] = (router, self)
            for route in self.routes[before:]:
                includes.tags[id(route)] = (route, router)

        APIRouter.__init__ = tracking_init
        APIRouter.include_router = tracking_include

    def routers(self) -> list[Any]:
        found = {id(r): r for pair in self.parents.values() for r in pair}
        return list(found.values())

    def chain(self, original: Any, app_router: Any) -> list[Any]:
        """The routers a route of the app was included through, outermost first."""
        for router, _ in self.parents.values():
            if any(r is original for r in router.routes):
                chain = [router]
                while id(chain[0]) in self.parents:
                    parent = self.parents[id(chain[0])][1]
                    if parent is app_router:
                        break
                    chain.insert(0, parent)
                return chain
        return self._copied_chain(original)

    def _copied_chain(self, route: Any) -> list[Any]:
        # Older FastAPI: each inclusion made a copy, found again in the included router by
        # its endpoint and methods.
        chain = []
        while True:
            tagged = self.tags.get(id(route))
            if tagged is None or tagged[0] is not route:
                return chain
            router = tagged[1]
            chain.append(router)
            inner = [r for r in router.routes
                     if getattr(r, "endpoint", None) is getattr(route, "endpoint", None)
                     and getattr(r, "methods", None) == getattr(route, "methods", None)]
            if not inner:
                return chain
            route = inner[0]


def _flat_routes(app: Any) -> list[tuple[Any, Any, Any]]:
    """``(view, route, original)`` for every route the app serves: ``view`` has the full path
    and the attributes, ``route`` the class, ``original`` the route as its router declared it."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return [(route, route, route) for route in app.router.routes]
    return [(context, context.route, context.original_route)
            for context in iter_route_contexts(app.router.routes)]


def _group_router(chain: Sequence[Any]) -> Any:
    """The router a route is grouped by: the outermost one with a prefix of its own (an
    umbrella router that only gathers others is not a resource), else the outermost."""
    return next((router for router in chain if router.prefix), chain[0] if chain else None)


def describe(target: str) -> dict[str, Any]:
    includes = _Includes()
    app = _load(target)
    module_name = target.partition(":")[0]
    top = module_name.split(".")[0]
    package = sys.modules[top]
    if getattr(package, "__file__", None):
        package_file = Path(package.__file__)
    else:  # a namespace package: no __init__.py, only its folder
        package_file = Path(next(iter(package.__path__))) / "__init__.py"
    is_package = package_file.name == "__init__.py"
    schema = _openapi(app)
    names = _global_names(top)
    routes = []
    for view, route, original in _flat_routes(app):
        router = _group_router(includes.chain(original, app.router))
        routes.append(_route(view, route, router, names, schema, top))
    return {
        "package": top,
        "package_path": str(package_file.parent if is_package else package_file),
        "is_package": is_package,
        "source_root": str(package_file.parent.parent if is_package else package_file.parent),
        "title": app.title,
        "settings": {name: getattr(app, name, None) for name in _SETTINGS},
        "lifespan": _lifespan(app, includes),
        "docs": [url for url in (app.openapi_url, app.docs_url, app.redoc_url,
                                 app.swagger_ui_oauth2_redirect_url) if url],
        "middleware": [_name(m.cls) for m in app.user_middleware],
        "routes": routes,
        "distributions": _distributions(top),
    }


def _route(view: Any, route: Any, router: Any, names: Mapping[int, str],
           schema: Mapping[str, Any], top: str) -> dict[str, Any]:
    from fastapi.routing import APIRoute, APIWebSocketRoute
    from starlette.routing import Host, Mount, Route, WebSocketRoute

    path = getattr(view, "path", None) or ""
    if isinstance(route, APIWebSocketRoute | WebSocketRoute):
        return {"kind": "websocket", "path": path, "name": view.name}
    if isinstance(route, Mount | Host):
        return {"kind": "mount", "path": path or "/", "name": view.name,
                "app": _name(type(route.app))}
    if not isinstance(route, Route):
        return {"kind": "other", "path": path, "name": _name(type(route))}
    methods = sorted(view.methods or ())
    described = {
        "kind": "api" if isinstance(route, APIRoute) else "route",
        "path": path,
        "name": view.name,
        "methods": methods,
        "endpoint": _name(view.endpoint),
        "endpoint_import": _importable(view.endpoint),
        "router": names.get(id(router)) if router is not None else None,
        "state": sorted(_state(view, names, top)),
        "include_in_schema": bool(getattr(view, "include_in_schema", False)),
        "samples": {},
    }
    operations = schema.get("paths", {}).get(path, {})
    for method in methods:
        if method in _SKIPPED_METHODS and len(methods) > 1:
            continue
        described["samples"][method] = _sample_request(
            view, operations.get(method.lower(), {}), schema)
    return described


def _lifespan(app: Any, includes: _Includes) -> str | None:
    """What the app runs at startup and shutdown, if anything."""
    handlers = [h for router in (app.router, *includes.routers())
                for h in (*router.on_startup, *router.on_shutdown)]
    work = [_name(h) for h in (*includes.lifespans, *handlers)]
    return ", ".join(dict.fromkeys(work)) or None


def _importable(function: Any) -> list[str] | None:
    """``[module, name]`` when ``from module import name`` gives back this very function."""
    module = getattr(function, "__module__", None)
    name = getattr(function, "__qualname__", "")
    if not module or not name.isidentifier():
        return None
    return [module, name] if getattr(sys.modules.get(module), name, None) is function else None


def _name(thing: Any) -> str:
    inner = getattr(thing, "__wrapped__", thing)
    module = getattr(inner, "__module__", None) or "?"
    return f"{module}.{getattr(inner, '__qualname__', type(inner).__name__)}"


def _global_names(top: str) -> dict[int, str]:
    """``id(object) -> module.name`` for the module-level names of the user's package."""
    names: dict[int, str] = {}
    for module_name, module in list(sys.modules.items()):
        if module is None or not (module_name == top or module_name.startswith(top + ".")):
            continue
        for name, value in vars(module).items():
            names.setdefault(id(value), f"{module_name}.{name}")
    return names


# -- shared mutable state ----------------------------------------------------------------------

_IMMUTABLE = (int, float, complex, str, bytes, bool, tuple, frozenset, type(None), range)


def _state(route: Any, names: Mapping[int, str], top: str) -> set[str]:
    """The user's module-level mutable objects a route reaches: its endpoint, its
    dependencies, and the package's functions they call, by the names in their code."""
    found: set[str] = set()
    seen: set[int] = set()
    todo: list[Callable[..., Any]] = [route.endpoint]
    dependant = getattr(route, "dependant", None)
    todo.extend(_dependency_calls(dependant))
    while todo:
        function = todo.pop()
        function = getattr(function, "__wrapped__", function)
        if id(function) in seen or not isinstance(function, types.FunctionType):
            continue
        seen.add(id(function))
        if not function.__module__.startswith(top):
            continue
        for name in _code_names(function.__code__):
            value = function.__globals__.get(name)
            if isinstance(value, types.FunctionType):
                todo.append(value)
            elif _mutable(value, top) and id(value) in names:
                found.add(names[id(value)])
    return found


def _dependency_calls(dependant: Any) -> Iterator[Callable[..., Any]]:
    for dependency in getattr(dependant, "dependencies", ()) or ():
        if dependency.call is not None:
            yield dependency.call
        yield from _dependency_calls(dependency)


def _code_names(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _code_names(constant)


def _mutable(value: Any, top: str) -> bool:
    if isinstance(value, (*_IMMUTABLE, types.ModuleType, type)) or callable(value):
        return False
    if isinstance(value, dict | list | set | bytearray):
        return True
    try:
        from pydantic import BaseModel

        if isinstance(value, BaseModel):
            return False  # settings objects: configuration, not state
    except ImportError:
        pass
    return type(value).__module__.startswith(top)


# -- sample requests from the OpenAPI schema --------------------------------------------------


def _openapi(app: Any) -> dict[str, Any]:
    try:
        return app.openapi()
    except Exception:
        # Some apps cannot render a schema; routes then get plain sample values.
        return {}


def _sample_request(route: Any, operation: Mapping[str, Any],
                    schema: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    query: list[tuple[str, str]] = []
    headers: list[tuple[str, str]] = []
    for parameter in operation.get("parameters", ()):
        where, name = parameter.get("in"), parameter.get("name")
        value = sample(parameter.get("schema", {}), schema)
        if where == "path":
            values[name] = value
        elif where == "query" and parameter.get("required"):
            query.extend((name, _text(v)) for v in (value if isinstance(value, list) else [value]))
        elif where == "header" and parameter.get("required"):
            headers.append((name, _text(value)))
    for name in getattr(route, "param_convertors", None) or {}:
        values.setdefault(name, 1)
    filled = route.path_format
    for name, value in values.items():
        filled = filled.replace("{" + name + "}", _text(value))
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    request: dict[str, Any] = {"path": filled, "query": query, "headers": headers}
    if body is not None:
        request["json"] = sample(body.get("schema", {}), schema)
    return request


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sample(node: Mapping[str, Any], schema: Mapping[str, Any], depth: int = 0) -> Any:
    """A value that satisfies a JSON schema, as simply as possible: the same every time."""
    if depth > 8:
        return None
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return sample(schema.get("components", {}).get("schemas", {}).get(name, {}), schema,
                      depth + 1)
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return node["enum"][0]
    if node.get("examples"):
        return node["examples"][0]
    if node.get("default") is not None:
        return node["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in node.get(key, ()) if o.get("type") != "null"]
        if options:
            return sample(options[0], schema, depth + 1)
    kind = node.get("type")
    if kind in ("integer", "number"):
        value = max(1, node.get("minimum", 1), node.get("exclusiveMinimum", 0) + 1)
        value = min(value, node.get("maximum", value), node.get("exclusiveMaximum", value + 1) - 1)
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample(node.get("items", {}), schema, depth + 1)] * max(node.get("minItems", 1), 1)
    if kind == "object" or "properties" in node:
        return {name: sample(prop, schema, depth + 1)
                for name, prop in node.get("properties", {}).items()}
    if kind == "string":
        return _sample_string(node)
    return "sample"


_FORMATS = {
    "uuid": "00000000-0000-4000-8000-000000000001",
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
}


def _sample_string(node: Mapping[str, Any]) -> str:
    if node.get("format") in _FORMATS:
        return _FORMATS[node["format"]]
    text = "sample"
    low, high = node.get("minLength", 0), node.get("maxLength")
    text = text.ljust(low, "x")
    return text[:high] if high is not None else text


# -- recording ---------------------------------------------------------------------------------


def record(target: str, requests: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Send ``requests`` through one ``TestClient`` session (lifespan included), in order."""
    from fastapi.testclient import TestClient

    app = _load(target)
    answers = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for request in requests:
            response = client.request(
                request["method"], request["path"], params=request.get("query") or None,
                headers=[tuple(h) for h in request.get("headers", ())],
                content=request.get("body", "").encode("utf-8") or None,
            )
            answers.append({
                "status": response.status_code,
                "headers": list(response.headers.multi_items()),
                "body": base64.b64encode(response.content).decode("ascii"),
            })
    return answers


_OWN_MODULES = frozenset(name.split(".")[0] for name in sys.modules)


def _distributions(top: str) -> list[str]:
    """``name==version`` of the installed distributions whose modules the app imported."""
    import importlib.metadata

    from sam_fastapi._metadata import packages_distributions

    owners = packages_distributions()
    found: dict[str, str] = {}
    for module_name in list(sys.modules):
        root = module_name.split(".")[0]
        if (root == top or root in _OWN_MODULES or root in sys.stdlib_module_names
                or root.startswith("_")):
            continue
        for distribution in owners.get(root, ()):
            try:
                found[distribution.lower()] = importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                continue
    return [f"{name}=={version}" for name, version in sorted(found.items())]


def _main(argv: Sequence[str]) -> int:
    mode, target, path = argv
    requests = json.loads(sys.stdin.read() or "[]")
    out = sys.stdout
    # The app's own prints must not mix with the answer.
    sys.stdout = sys.stderr
    sys.path.insert(0, path)
    # Leave no __pycache__ behind in the user's source tree.
    sys.dont_write_bytecode = True
    try:
        result = describe(target) if mode == "routes" else record(target, requests)
        answer: dict[str, Any] = {"result": result}
    except MonolithError as exc:
        answer = {"error": str(exc)}
    except Exception as exc:
        answer = {"error": f"reading {target} failed: {type(exc).__name__}: {exc}"}
    out.write(json.dumps(answer) + "\n")
    out.flush()
    return 0 if "result" in answer else 1


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
