"""A function's FastAPI routes read from its code with ``ast``, never running it.

The source analysis (``sam_fastapi.pysource``) finds the ``Mangum`` object the Handler
names and the app it wraps; from there every module the handler imports at load time is read
for path operations on that app and on the routers it includes:

* ``@app.get(path)`` (and post, put, patch, delete, options, head, trace), ``@app.api_route``,
  ``app.add_api_route(path, endpoint, methods=...)``;
* ``APIRouter(prefix=...)`` and ``include_router(router, prefix=...)``, nested to any depth,
  on routers reached through relative or absolute imports inside the function's code;
* ``FastAPI(root_path=..., docs_url=..., openapi_url=...)`` and
  ``Mangum(app, api_gateway_base_path=...)``.

What only running the code would tell (a prefix from a variable, a router a function builds) is
kept as a ``Note`` and makes the reading incomplete; nothing is guessed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.functions import module_finder, new_analyser, uses_web_adapter
from sam_fastapi.checks.routes.app import (
    DEFAULT_DOCS_URL,
    DEFAULT_OPENAPI_URL,
    AppInfo,
    AppRoute,
    Note,
)
from sam_fastapi.findings import Location
from sam_fastapi.pysource import (
    KNOWN_PACKAGES,
    MAX_MODULES,
    NOT_CONSTANT,
    Analyser,
    ModuleFinder,
    Scope,
    Value,
    absolute_module,
    child_nodes,
    constant,
    lambda_sys_path,
    own_nodes,
)
from sam_fastapi.template.model import Function, Project
from sam_fastapi.webadapter import read_web_app

ROUTER_CLASSES = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})
FASTAPI_CLASSES = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI"})
#: Decorators named after the one method they register.
METHOD_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "options", "head",
                               "trace"})
_UNSET = object()
_DYNAMIC = object()


@dataclass(eq=False)
class _Object:
    """An app or router: the call that made it, and what is registered on it."""

    kind: str  # "app" or "router"
    call: ast.Call
    scope: Scope
    prefix: str | None = ""
    routes: list[AppRoute] = field(default_factory=list)
    includes: list[tuple[int, _Object, str]] = field(default_factory=list)  # (line, router, prefix)


def read_app(project: Project, function: Function, ctx: CheckContext) -> AppInfo | None:
    """The app ``function``'s handler wraps and its routes; None when the handler is not a
    Mangum object (or function calling one) wrapping an app the analysis can see, or, behind
    the Web Adapter, the startup script serves no app the analysis can see."""
    if uses_web_adapter(function):
        return _read_web_app(project, function, ctx)
    if not isinstance(function.handler, str):
        return None
    module_name, _, attribute = function.handler.rpartition(".")
    finder = module_finder(project, function, ctx)
    module = finder.find(module_name.replace("/", ".")) if module_name and attribute else None
    if module is None:
        return None
    analyser = new_analyser(finder, ctx)
    try:
        loaded = analyser.load(module)
        if loaded.scope is None:
            return None
        mangum = _mangum(analyser, loaded.scope, attribute)
        if mangum is None:
            return None
        app_call = _app_call(analyser, mangum.app)
        if app_call is None:
            return None
        analyser.load_imports(loaded)
        return _Reader(analyser, function).read(mangum, app_call)
    except RecursionError:
        return None


def _read_web_app(project: Project, function: Function, ctx: CheckContext) -> AppInfo | None:
    """The app a Web Adapter function's startup script serves (``webadapter``): the Adapter
    hands the app the event's path, less ``AWS_LWA_REMOVE_BASE_PATH``, as Mangum hands it the
    path less ``api_gateway_base_path``."""
    web = read_web_app(project, function)
    from sam_fastapi.runtime.webadapter import WebApp  # brings asyncio: Adapter functions only

    if not isinstance(web, WebApp) or web.factory:
        return None  # an app factory's app is only known by calling it
    finder = ModuleFinder(((web.app_dir,), *lambda_sys_path(project, function)),
                          project.project_root, folders=ctx.folders)
    module = finder.find(web.module)
    if module is None:
        return None
    analyser = new_analyser(finder, ctx)
    try:
        loaded = analyser.load(module)
        if loaded.scope is None:
            return None
        sites = loaded.scope.sites(web.attribute)
        if not sites:
            return None
        app_call = _app_call(analyser, analyser.site_value(sites[-1]))
        if app_call is None:
            return None
        analyser.load_imports(loaded)
        app = _Reader(analyser, function).read(None, app_call,
                                               base_path=web.settings.remove_base_path or "/")
        return replace(app, pass_through_path=web.settings.pass_through_path)
    except RecursionError:
        return None


def _mangum(analyser: Analyser, scope: Scope, attribute: str) -> Value | None:
    sites = scope.sites(attribute)
    if not sites:
        return None
    value = analyser.site_value(sites[-1])
    if value.kind == "mangum":
        return value
    if value.kind == "function" and value.node is not None:
        # A handler function that calls a Mangum object (SF304 reports building it per call).
        body = analyser.function_scope(value)
        for node in own_nodes(body.body):
            if isinstance(node, ast.Call):
                callee = analyser.evaluate(node.func, body)
                if callee.kind == "mangum":
                    return callee
    return None


def _app_call(analyser: Analyser, app: Value | None) -> tuple[ast.Call, Scope] | None:
    """The ``FastAPI(...)`` call behind ``app`` (what Mangum wraps), through middleware."""
    for _ in range(8):
        if app is None or app.kind != "app" or not isinstance(app.node, ast.Call) \
                or app.scope is None:
            return None
        callee = analyser.evaluate(app.node.func, app.scope)
        if callee.kind == "app_class":
            # Starlette apps and FastAPI subclasses route in ways this reading does not know.
            return (app.node, app.scope) if callee.dotted in FASTAPI_CLASSES else None
        app = analyser.app_argument(app.node, app.scope)
    return None


class _Reader:
    def __init__(self, analyser: Analyser, function: Function) -> None:
        self.analyser = analyser
        self.function = function
        self.objects: dict[int, _Object] = {}
        self.notes: list[Note] = []
        self.mounts: list[str] = []
        self.middleware_root_path: object = None
        self.app: _Object | None = None
        self.complete = True

    def read(self, mangum: Value | None, app_call: tuple[ast.Call, Scope], *,
             base_path: str | None = None) -> AppInfo:
        """The app's routes; the base path from ``mangum``'s ``api_gateway_base_path``, or
        ``base_path`` when no Mangum object stands between the event and the app."""
        app = self.app = self._object_for(*app_call, kind="app")
        call, scope = app_call
        # Resolving a router may read a module no module-level import named (an import inside
        # an app factory): read until every module read has been walked.
        walked: set[int] = set()
        while pending := [m for m in self.analyser.loaded_modules if id(m) not in walked]:
            for loaded in pending:
                walked.add(id(loaded))
                if loaded.scope is not None:
                    self._walk(loaded.scope, loaded.scope.body, "")
        if len(self.analyser.loaded_modules) >= MAX_MODULES:
            self._unknown(call, scope, f"the code has more than {MAX_MODULES} modules; routes "
                                       "registered beyond them are not read")
        root_path = self._keyword(call, scope, "root_path", "")
        if self.middleware_root_path is not None:
            root_path = self.middleware_root_path
        docs_url = self._keyword(call, scope, "docs_url", DEFAULT_DOCS_URL)
        openapi_url = self._keyword(call, scope, "openapi_url", DEFAULT_OPENAPI_URL)
        if mangum is not None:
            assert isinstance(mangum.node, ast.Call) and mangum.scope is not None
            base_path = self._keyword(mangum.node, mangum.scope, "api_gateway_base_path", "/")
        routes = tuple(self._routes_of(app, set()))
        return AppInfo(
            function=self.function.logical_id,
            routes=routes,
            location=self._location(call, scope),
            root_path=root_path if root_path is not _DYNAMIC else None,
            base_path=base_path if base_path is not _DYNAMIC else None,
            docs_url=docs_url if docs_url is not _DYNAMIC else None,
            openapi_url=openapi_url if openapi_url is not _DYNAMIC else None,
            mounts=tuple(self.mounts),
            complete=self.complete,
            notes=tuple(sorted(self.notes, key=lambda n: (n.location.file, n.location.line))),
        )

    # -- what is an app or a router -----------------------------------------------------------

    def _object_for(self, call: ast.Call, scope: Scope, kind: str) -> _Object:
        found = self.objects.get(id(call))
        if found is None:
            found = _Object(kind, call, scope)
            if kind == "router":
                prefix = self._keyword(call, scope, "prefix", "")
                found.prefix = prefix if isinstance(prefix, str) else None
            self.objects[id(call)] = found
        return found

    def _resolve(self, expr: ast.expr, scope: Scope, depth: int = 0) -> _Object | None:
        """The app or router ``expr`` names, following names, attributes and imports."""
        if depth > 8:
            return None
        if isinstance(expr, ast.Call):
            callee = self.analyser.evaluate(expr.func, scope)
            if callee.kind == "app_class":
                return self._object_for(expr, scope, "app")
            if callee.kind == "external" and callee.dotted in ROUTER_CLASSES:
                return self._object_for(expr, scope, "router")
            return None
        if isinstance(expr, ast.Name):
            return self._resolve_name(expr.id, scope, depth)
        if isinstance(expr, ast.Attribute):
            base = self.analyser.evaluate(expr.value, scope)
            if base.kind == "module" and base.module is not None:
                loaded = self.analyser.load(base.module)
                if loaded.scope is not None:
                    return self._resolve_name(expr.attr, loaded.scope, depth + 1)
        return None

    def _resolve_name(self, name: str, scope: Scope, depth: int) -> _Object | None:
        sites = scope.visible_sites(name)
        if not sites:
            return None
        site = sites[-1]
        if site.kind == "value" and site.expr is not None:
            return self._resolve(site.expr, site.scope, depth + 1)
        if site.kind == "from" and isinstance(site.stmt, ast.ImportFrom):
            return self._resolve_import(site.stmt, site.name, site.scope, depth)
        return None

    def _resolve_import(self, stmt: ast.ImportFrom, name: str, scope: Scope,
                        depth: int) -> _Object | None:
        target = absolute_module(stmt, scope.loaded.module)
        if target is None or target.partition(".")[0] in KNOWN_PACKAGES:
            return None
        module = self.analyser.finder.find(target)
        if module is None:
            return None
        loaded = self.analyser.load(module)
        if loaded.scope is None:
            return None
        return self._resolve_name(name, loaded.scope, depth + 1)

    # -- registrations ---------------------------------------------------------------------------

    def _walk(self, scope: Scope, body: list[ast.stmt], qualname: str) -> None:
        """Every registration in ``body``; functions and classes are read with their own scope
        (an app factory registers on a local name)."""
        for node in _this_level(body):
            if isinstance(node, ast.Call):
                self._call(node, scope)
            else:
                self._decorated(node, scope, qualname)
        for node in _nested_definitions(body):
            inner = f"{qualname}{node.name}"
            if isinstance(node, ast.ClassDef):
                self._walk(scope, node.body, f"{inner}.")
            else:
                function = self.analyser.function_scope(
                    Value("function", node.name, node, scope))
                self._walk(function, node.body, f"{inner}.<locals>.")

    def _decorated(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope,
                   qualname: str) -> None:
        for decorator in node.decorator_list:
            if not (isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)):
                continue
            verb = decorator.func.attr
            if verb not in METHOD_DECORATORS and verb != "api_route":
                continue
            owner = self._resolve(decorator.func.value, scope)
            if owner is None:
                self._on_parameter(decorator, scope)
                continue
            methods = (verb.upper(),) if verb != "api_route" else self._methods(decorator, scope)
            path = self._argument(decorator, scope, 0, "path")
            endpoint = f"{scope.loaded.module.name}:{qualname}{node.name}"
            self._add_route(owner, decorator, scope, methods, path, endpoint)

    def _call(self, call: ast.Call, scope: Scope) -> None:
        assert isinstance(call.func, ast.Attribute)
        verb = call.func.attr
        if verb not in ("include_router", "add_api_route", "mount", "add_middleware"):
            return
        owner = self._resolve(call.func.value, scope)
        if owner is None:
            if verb != "add_middleware":
                self._on_parameter(call, scope)
            return
        if verb == "add_middleware":
            if owner is self.app and self._argument_node(call, None, "root_path") is not None:
                # An ASGI middleware that sets the scope's root_path, as a server would.
                self.middleware_root_path = self._keyword(call, scope, "root_path", "")
            return
        if verb == "mount":
            path = self._argument(call, scope, 0, "path")
            if owner is not self.app:
                return  # a router's mounts are not included with it
            if isinstance(path, str):
                self.mounts.append(path)
            else:
                self._unknown(call, scope, "something is mounted at a path only running the "
                                           "code would tell")
            return
        if verb == "include_router":
            router_expr = self._argument_node(call, 0, "router")
            router = self._resolve(router_expr, scope) if router_expr is not None else None
            prefix = self._argument(call, scope, 1, "prefix", "")
            if router is None or not isinstance(prefix, str):
                self._unknown(call, scope, "a router or prefix only running the code would "
                                           "tell is included here")
                return
            owner.includes.append((call.lineno, router, prefix))
            return
        path = self._argument(call, scope, 0, "path")
        endpoint_expr = self._argument_node(call, 1, "endpoint")
        endpoint = self._endpoint(endpoint_expr, scope) if endpoint_expr is not None else None
        if endpoint is None:
            self._unknown(call, scope, "the endpoint of this route is not a function of the code")
            return
        self._add_route(owner, call, scope, self._methods(call, scope), path, endpoint)

    def _on_parameter(self, call: ast.Call, scope: Scope) -> None:
        """A registration on a function's parameter (``def mount_frontend(app): @app.get``):
        which app or router it reaches is only known when the code runs."""
        assert isinstance(call.func, ast.Attribute)
        target = call.func.value
        if isinstance(target, ast.Name) and target.id in scope.params:
            self._unknown(call, scope, f"routes are registered on the parameter {target.id}, "
                                       "whose app or router only running the code would tell")

    def _add_route(self, owner: _Object, call: ast.Call, scope: Scope,
                   methods: tuple[str, ...] | None, path: object, endpoint: str) -> None:
        if not isinstance(path, str) or methods is None or owner.prefix is None:
            self._unknown(call, scope, "this route's path or methods are only known when the "
                                       "code runs")
            return
        owner.routes.append(AppRoute(tuple(sorted(methods)), (owner.prefix or "") + path,
                                     endpoint, self._location(call, scope)))

    def _endpoint(self, expr: ast.expr, scope: Scope) -> str | None:
        value = self.analyser.evaluate(expr, scope)
        if value.kind != "function" or value.scope is None or \
                not isinstance(value.node, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        if not value.scope.is_module:
            return None
        return f"{value.scope.loaded.module.name}:{value.node.name}"

    def _methods(self, call: ast.Call, scope: Scope) -> tuple[str, ...] | None:
        value = self._argument(call, scope, None, "methods", None)
        if value is None:
            return ("GET",)  # FastAPI's default for api_route and add_api_route
        if isinstance(value, list | tuple | set) and all(isinstance(v, str) for v in value):
            return tuple(sorted({v.upper() for v in value}))
        return None

    # -- reading arguments ------------------------------------------------------------------------

    @staticmethod
    def _argument_node(call: ast.Call, index: int | None, name: str) -> ast.expr | None:
        for keyword in call.keywords:
            if keyword.arg == name:
                return keyword.value
        if index is not None and len(call.args) > index and not any(
                isinstance(a, ast.Starred) for a in call.args[: index + 1]):
            return call.args[index]
        return None

    def _argument(self, call: ast.Call, scope: Scope, index: int | None, name: str,
                  default: object = _UNSET) -> object:
        node = self._argument_node(call, index, name)
        if node is None:
            if any(k.arg is None for k in call.keywords):
                return _DYNAMIC  # **kwargs may carry it
            return default if default is not _UNSET else _DYNAMIC
        value = constant(node, scope, self.analyser)
        return _DYNAMIC if value is NOT_CONSTANT else value

    def _keyword(self, call: ast.Call, scope: Scope, name: str, default: str | None) -> object:
        value = self._argument(call, scope, None, name, default)
        return value if value is None or isinstance(value, str) else _DYNAMIC

    # -- putting it together ----------------------------------------------------------------------

    def _routes_of(self, owner: _Object, seen: set[int]) -> Iterator[AppRoute]:
        if id(owner) in seen:
            return
        seen = seen | {id(owner)}
        # FastAPI keeps routes in the order they were added, and the first match wins.
        yield from sorted(owner.routes, key=lambda r: (r.location.line, r.location.column)
                          if r.location else (0, 0))
        for _, router, prefix in sorted(owner.includes, key=lambda i: i[0]):
            outer = (owner.prefix or "") + prefix
            for route in self._routes_of(router, seen):
                yield AppRoute(route.methods, outer + route.path, route.endpoint, route.location)

    def _unknown(self, call: ast.Call, scope: Scope, message: str) -> None:
        self.complete = False
        self.notes.append(Note(f"{self.function.logical_id}: {message}",
                               self._location(call, scope)))

    @staticmethod
    def _location(node: ast.AST, scope: Scope) -> Location:
        return Location(str(scope.loaded.module.file), getattr(node, "lineno", 1),
                        getattr(node, "col_offset", 0) + 1)


def _this_level(body: list[ast.stmt]) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef
                                                   | ast.Call]:
    """The function definitions and method calls (``x.y(...)``) of ``body``, where routes are
    registered; definitions are yielded (their decorators run here) but not entered."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if not isinstance(node, ast.ClassDef):
                yield node
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            yield node
        if not isinstance(node, ast.Lambda):
            stack.extend(child_nodes(node))


def _nested_definitions(body: list[ast.stmt]) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef
                                                           | ast.ClassDef]:
    """Functions and classes defined in ``body`` (also under if/try/with), not deeper."""
    pending = list(body)
    while pending:
        stmt = pending.pop(0)
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield stmt
            continue
        pending.extend(child for child in child_nodes(stmt)
                       if isinstance(child, ast.stmt))
