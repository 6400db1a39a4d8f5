"""Which API event delivers each FastAPI route, and which events and recorded events no route
serves: the one analysis behind SF400-SF405 and ``sam-fastapi routes``.

A route is delivered by an event when a request the app routes to it, sent by a client through
the API (stage included), is matched by API Gateway (``gateway.router``, with its precedence
between functions) to an event of the route's own function. What the app sees of the path is
worked out as Lambda and Mangum hand it over: REST events carry the path without the stage,
HTTP API events with it; Mangum strips ``api_gateway_base_path`` and Starlette the app's
``root_path``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.functions import python_functions
from sam_fastapi.checks.platform.artifacts import inside
from sam_fastapi.checks.routes.app import AppInfo, AppRoute, common_path, sample_path
from sam_fastapi.checks.routes.imported import ImportFailed, import_app
from sam_fastapi.checks.routes.static import read_app
from sam_fastapi.template.model import ApiEvent, Function, Project

if TYPE_CHECKING:  # the gateway is imported when coverage is first computed, not at start-up
    from sam_fastapi.gateway.router import ApiInfo, ApiRoutes, Router

#: Recorded events larger than this are not API Gateway events anyone recorded by hand.
MAX_EVENT_BYTES = 1024 * 1024
EVENTS_FOLDER = "events"


@dataclass(frozen=True)
class Delivery:
    """One method of one route, and the event that delivers it (None: no event does)."""

    function: str
    route: AppRoute
    method: str
    event: str | None = None
    api: ApiInfo | None = None
    client_path: str | None = None  # as the client calls it, stage included


@dataclass(frozen=True)
class FunctionRoutes:
    function: Function
    app: AppInfo
    deliveries: tuple[Delivery, ...]
    unserved: tuple[ApiEvent, ...]  # empty when the app's routes are not all known

    @property
    def unreachable(self) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.event is None)


@dataclass(frozen=True)
class RecordedEvent:
    file: Path
    method: str
    path: str
    function: str | None  # None when no event of the template routes it
    served: bool


@dataclass(frozen=True)
class Coverage:
    functions: dict[str, FunctionRoutes]
    failures: tuple[ImportFailed, ...]
    recorded: tuple[RecordedEvent, ...]
    router: Router


def coverage(project: Project, ctx: CheckContext) -> Coverage:
    """The route coverage of ``project``, with ``--import`` as ``ctx.config`` says; computed
    once per run (``ctx.memo``), since six rules and the routes command each ask for it."""
    return ctx.memo.get(("route-coverage", ctx.config.import_apps),
                        lambda: _coverage(project, ctx))


def _coverage(project: Project, ctx: CheckContext) -> Coverage:
    from sam_fastapi.gateway.router import Router

    router = Router.from_project(project)
    functions = [f for f in python_functions(project, ctx) if f.events]
    apps: dict[str, AppInfo] = {}
    failures: list[ImportFailed] = []
    imported: dict[str, AppInfo | ImportFailed] = {}
    if ctx.config.import_apps and functions:
        from concurrent.futures import ThreadPoolExecutor  # --import only

        with ThreadPoolExecutor(max_workers=min(4, len(functions))) as pool:
            for function, result in zip(
                    functions, pool.map(lambda f: import_app(project, f), functions),
                    strict=True):
                imported[function.logical_id] = result
    for function in functions:
        result = imported.get(function.logical_id)
        static = read_app(project, function, ctx)
        if isinstance(result, AppInfo):
            # Where the app is made is only in the code: findings about it point there.
            location = static.location if static is not None else None
            apps[function.logical_id] = replace(result, location=location)
            continue
        if isinstance(result, ImportFailed):
            failures.append(result)
        if static is not None:  # also the fallback when the import failed
            apps[function.logical_id] = static
    routes = {
        function.logical_id: _function_routes(router, function, apps[function.logical_id])
        for function in functions if function.logical_id in apps
    }
    recorded = tuple(_recorded(project, router, routes))
    return Coverage(routes, tuple(failures), recorded, router)


def deliveries(router: Router, function: Function, app: AppInfo, route: AppRoute,
               method: str) -> Iterator[Delivery]:
    """The events of ``function`` that deliver ``method route.path`` to its app.

    A request delivers the route when API Gateway's router sends it to an event of this
    function and the app routes what it then sees to the route. The requests tried are the
    route's path with its parameters filled in, and each path it shares with an event of the
    function (``/hello`` for ``GET /{name}`` and an event ``/hello``).
    """
    for api_id in dict.fromkeys(e.api_id for e in function.events):
        table = router.apis.get(api_id)
        if table is None:
            continue
        api = table.api
        for lambda_path, event_path in _event_paths(api, app, route.path):
            for request in _requests(table, function, event_path):
                match = table.match(method, request)
                if match is None or match.route.function != function.logical_id:
                    continue
                seen = app.app_path(api.stage_prefix + request if api.is_http else request)
                if not route.matches(seen):
                    continue
                client = api.stage_prefix + event_path if not api.is_http else lambda_path
                yield Delivery(function.logical_id, route, method, match.route.event_name, api,
                               client)
                break
            else:
                continue
            break


def _event_paths(api: ApiInfo, app: AppInfo, path: str) -> Iterator[tuple[str, str]]:
    """(as Lambda hands it to Mangum, as the event's route sees it) for each request path the
    app routes to ``path``: an HTTP API hands the path over with its stage."""
    for lambda_path in app.request_paths(path):
        if not api.is_http:
            yield lambda_path, lambda_path
            continue
        prefix = api.stage_prefix
        if prefix and not (lambda_path == prefix or lambda_path.startswith(prefix + "/")):
            continue
        yield lambda_path, lambda_path[len(prefix):] or "/"


def _requests(table: ApiRoutes, function: Function, template: str) -> Iterator[str]:
    """Concrete request paths for a path template: its parameters filled in, then each path it
    shares with a resource of ``function`` on this API."""
    from sam_fastapi.gateway.router import DEFAULT_ROUTE

    yield sample_path(template)
    for resource in table.by_function.get(function.logical_id, ()):
        if resource.path != DEFAULT_ROUTE:
            shared = common_path(resource.path, template)
            if shared is not None:
                yield shared


def _function_routes(router: Router, function: Function, app: AppInfo) -> FunctionRoutes:
    found: list[Delivery] = []
    for route in app.routes:
        if route.path == app.pass_through_path:
            continue  # the Web Adapter's door for other events, never an API's
        for method in route.methods:
            first = next(deliveries(router, function, app, route, method), None)
            found.append(first or Delivery(function.logical_id, route, method))
    delivering = {d.event for d in found if d.event is not None}
    for route in app.builtin_routes:  # the docs: served, though no route of the code
        delivering.update(d.event for d in deliveries(router, function, app, route, "GET"))
    unserved = []
    if app.complete:
        for event in function.events:
            if event.name not in delivering and not _served(router, event, app, function):
                unserved.append(event)
    return FunctionRoutes(function, app, tuple(found), tuple(unserved))


def _served(router: Router, event: ApiEvent, app: AppInfo, function: Function) -> bool:
    """An event is served when the app answers a request the router sends to it (its
    parameters filled in, or a path it shares with a route of the app), or (a greedy one,
    ``$default``) when it delivers some route."""
    from sam_fastapi.gateway.router import DEFAULT_ROUTE

    table = router.apis.get(event.api_id)
    if table is None:
        return True  # not routed at all: nothing to say about it here
    route = next((r for r in table.by_function.get(function.logical_id, ())
                  if r.event_name == event.name), None)
    if route is None:
        return True
    if route.path == DEFAULT_ROUTE:
        return False
    api = table.api
    method = None if route.method == "ANY" else route.method
    requests = [sample_path(route.path)]
    for app_route in app.routes:
        for _, event_path in _event_paths(api, app, app_route.path):
            shared = common_path(route.path, event_path)
            if shared is not None:
                requests.append(shared)
    for request in dict.fromkeys(requests):
        match = table.match(method or "GET", request)
        if match is None or match.route is not route:
            continue
        if app.served(method, api.stage_prefix + request if api.is_http else request):
            return True
    return False


def recorded_event_files(project: Project) -> Iterator[Path]:
    """``events/**/*.json`` beside the template, without the response snapshots; a file whose
    symlinks lead out of the project is never read (SF103's promise)."""
    folder = project.root / EVENTS_FOLDER
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*.json")):
        if not path.name.endswith(".response.json") and path.is_file() and inside(project, path):
            yield path


def _recorded(project: Project, router: Router,
              routes: dict[str, FunctionRoutes]) -> Iterator[RecordedEvent]:
    from sam_fastapi.gateway.router import Miss

    if not router.apis:
        return
    for path in recorded_event_files(project):
        # The event builders are imported only for a project that keeps recordings.
        from sam_fastapi.gateway.events import classify

        try:
            if path.stat().st_size > MAX_EVENT_BYTES:
                continue
            event = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            continue  # the replay tests report unreadable events
        kind = classify(event)
        if kind is None:
            continue
        method, request_path = kind.method(event), kind.path(event)
        match = router.match(method, request_path)
        if isinstance(match, Miss):
            yield RecordedEvent(path, method, request_path, None, False)
            continue
        function = match.route.function
        served = routes.get(function)
        if served is None or not served.app.complete:
            continue
        api = match.route.api
        seen = api.stage_prefix + "/" + match.path.lstrip("/") if api.is_http else match.path
        yield RecordedEvent(path, method, request_path, function,
                            served.app.served(method, seen))
