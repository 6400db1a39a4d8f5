"""Template events -> route table -> the route API Gateway would pick for a request.

REST APIs (``Api`` events) are resource trees: at each path segment a literal child is tried
before a ``{param}`` child, before a greedy ``{param+}`` child, and the search backtracks when a
branch has no resource with the request's method (APIGW-BEHAVIOR §1.1). HTTP APIs (``HttpApi``
events) pick a full match first, then a greedy match, then the ``$default`` route (§2).

When several APIs could serve a path, ``Router.match`` prefers, in order: an API whose stage
name leads the path (the client named it), a full match over a greedy one over ``$default``,
the route with more literal segments, then the API declared first in the template.
``api_id`` restricts matching to one API.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import unquote

from sam_fastapi.template.model import Api, Function, Project

#: What ``ANY`` stands for (APIGW-BEHAVIOR §1.1).
ANY_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
DEFAULT_ROUTE = "$default"
DEFAULT_STAGE = "$default"
#: How many distinct requests a router remembers the answer for.
_ANSWERS_KEPT = 4096


@dataclass(frozen=True)
class ApiInfo:
    """What events and responses need to know about one API."""

    logical_id: str
    kind: str  # "rest" or "http"
    stage: str
    api_id: str  # the id AWS would give it, stable per logical id
    binary_media_types: tuple[str, ...] = ()
    region: str = "us-east-1"

    @property
    def domain(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    @property
    def is_http(self) -> bool:
        return self.kind == "http"

    @property
    def stage_prefix(self) -> str:
        """``/stage`` for a named stage, empty for an HTTP API's ``$default`` stage."""
        return "" if self.stage == DEFAULT_STAGE else f"/{self.stage}"


@dataclass(frozen=True)
class Route:
    """One method on one resource (REST) or one route key (HTTP API), served by a function."""

    api: ApiInfo
    method: str  # a verb or "ANY"
    path: str  # the resource template, or "$default"
    function: str  # logical id
    payload_format_version: str  # "1.0" or "2.0"
    event_name: str

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


@dataclass(frozen=True)
class Match:
    """The route a request reaches, with the path parameters it binds."""

    route: Route
    path: str  # the request path after the stage, as sent (percent-encoding kept)
    path_parameters: Mapping[str, str]
    rank: int = 0  # 0 full match, 1 greedy, 2 $default: lower is more specific


@dataclass(frozen=True)
class Miss:
    """No route: the gateway answers itself."""

    api: ApiInfo
    reason: str


@dataclass
class _Node:
    """One segment of a REST API's resource tree and what hangs below it."""

    methods: dict[str, Route] = field(default_factory=dict)
    literals: dict[str, _Node] = field(default_factory=dict)
    params: list[tuple[str, _Node]] = field(default_factory=list)
    greedy: list[tuple[str, _Node]] = field(default_factory=list)

    def child(self, segment: str) -> _Node:
        if segment.startswith("{") and segment.endswith("}"):
            name = segment[1:-1]
            group = self.greedy if name.endswith("+") else self.params
            name = name.removesuffix("+")
            for existing, node in group:
                if existing == name:
                    return node
            node = _Node()
            group.append((name, node))
            return node
        return self.literals.setdefault(segment, _Node())

    def route_for(self, method: str) -> Route | None:
        found = self.methods.get(method)
        if found is None and method in ANY_METHODS:
            found = self.methods.get("ANY")
        return found


class ApiRoutes:
    """The precompiled routes of one API."""

    def __init__(self, api: ApiInfo) -> None:
        self.api = api
        self.root = _Node()
        self.default: Route | None = None
        self.routes: list[Route] = []
        #: The routes of each function (logical id), in the order they were added.
        self.by_function: dict[str, list[Route]] = {}

    def add(self, route: Route) -> None:
        self.routes.append(route)
        self.by_function.setdefault(route.function, []).append(route)
        if route.path == DEFAULT_ROUTE:
            self.default = self.default or route
            return
        node = self.root
        for segment in _segments(route.path):
            node = node.child(segment)
        node.methods.setdefault(route.method, route)

    def match(self, method: str, path: str) -> Match | None:
        segments = _segments(path)
        decode = unquote if self.api.is_http else _keep
        if self.api.is_http:
            # HTTP APIs try every full match before any greedy one (§2 selection order).
            found = _walk(self.root, segments, 0, method, {}, greedy=False, decode=decode)
            if found is not None:
                return Match(found[0], path, MappingProxyType(found[1]), rank=0)
        found = _walk(self.root, segments, 0, method, {}, greedy=True, decode=decode)
        if found is not None:
            greedy = any(part.endswith("+}") for part in _segments(found[0].path))
            return Match(found[0], path, MappingProxyType(found[1]), rank=1 if greedy else 0)
        if self.default is not None:
            return Match(self.default, path, MappingProxyType({}), rank=2)
        return None

    def find(self, method: str, template: str) -> Route | None:
        """The route declared for ``template`` (a resource path or route key) and ``method``."""
        if template == DEFAULT_ROUTE:
            return self.default
        node: _Node | None = self.root
        for segment in _segments(template):
            if node is None:
                return None
            if segment.startswith("{") and segment.endswith("}"):
                name = segment[1:-1]
                group = node.greedy if name.endswith("+") else node.params
                node = next((n for p, n in group if p == name.removesuffix("+")), None)
            else:
                node = node.literals.get(segment)
        return node.route_for(method) if node is not None else None


class Router:
    """Every API of a project, with their routes."""

    def __init__(self, apis: Iterable[ApiRoutes]) -> None:
        self.apis: dict[str, ApiRoutes] = {a.api.logical_id: a for a in apis}
        # Routes never change, and tests send the same few requests again and again.
        self._answers: dict[tuple[str, str, str | None, tuple[str, ...]], Match | Miss] = {}

    @classmethod
    def from_project(cls, project: Project, *, region: str = "us-east-1") -> Router:
        tables: dict[str, ApiRoutes] = {}
        for logical_id, api in project.apis.items():
            tables[logical_id] = ApiRoutes(api_info(api, region))
        for function, event in project.events():
            table = tables.get(event.api_id)
            if table is None:
                continue
            route = _route(table.api, function, event.path, event.method, event.name,
                           event.payload_format_version)
            if route is not None:
                table.add(route)
        return cls(t for t in tables.values() if t.routes)

    def api(self, api_id: str) -> ApiRoutes:
        try:
            return self.apis[api_id]
        except KeyError:
            known = ", ".join(self.apis) or "none"
            raise LookupError(f"no API {api_id!r} with routes in the template "
                              f"(APIs: {known})") from None

    def match(self, method: str, path: str, *, api_id: str | None = None,
              kinds: tuple[str, ...] = ("rest", "http")) -> Match | Miss:
        """The route for ``method path`` (path as the client sends it, after the host)."""
        key = (method, path, api_id, kinds)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._match(method, path, api_id, kinds)
            if len(self._answers) >= _ANSWERS_KEPT:
                self._answers.clear()
            self._answers[key] = answer
        return answer

    def _match(self, method: str, path: str, api_id: str | None,
               kinds: tuple[str, ...]) -> Match | Miss:
        tables = [self.api(api_id)] if api_id is not None else [
            t for t in self.apis.values() if t.api.kind in kinds] or list(self.apis.values())
        if not tables:
            raise LookupError("the template has no Api or HttpApi events")
        path = "/" + path.lstrip("/")
        best: tuple[tuple[int, int, int, int], Match] | None = None
        for order, table in enumerate(tables):
            for named_stage, candidate in _candidates(table.api, path):
                found = table.match(method, candidate)
                if found is None:
                    continue
                if len(tables) == 1:
                    return found
                literals = sum(1 for s in _segments(found.route.path) if not s.startswith("{"))
                key = (0 if named_stage else 1, found.rank, -literals, order)
                if best is None or key < best[0]:
                    best = (key, found)
                break
        if best is not None:
            return best[1]
        miss_api = next((t.api for t in tables if _stage_leads(t.api, path)), tables[0].api)
        return Miss(miss_api, f"no route matches {method} {path}")


def api_info(api: Api, region: str = "us-east-1") -> ApiInfo:
    # The implicit REST API deploys a "Prod" stage; an HTTP API without one serves "$default".
    stage = api.stage_name or (DEFAULT_STAGE if api.kind == "http" else "Prod")
    digest = hashlib.sha1(api.logical_id.encode()).hexdigest()
    # AWS API ids are 10 lowercase alphanumerics.
    api_id = "".join(c if c.isalpha() else "abcdefghij"[int(c)] for c in digest[:10])
    return ApiInfo(api.logical_id, api.kind, stage, api_id, tuple(api.binary_media_types),
                   region)


def _route(api: ApiInfo, function: Function, path: str | None, method: str | None, name: str,
           payload: str) -> Route | None:
    if api.is_http and (path is None or path == DEFAULT_ROUTE):
        return Route(api, "ANY", DEFAULT_ROUTE, function.logical_id, payload, name)
    if path is None or (method is None and not api.is_http):
        return None
    if method is None or method == "X-AMAZON-APIGATEWAY-ANY-METHOD":
        method = "ANY"
    path = "/" + path.strip("/") if path != "/" else "/"
    return Route(api, method, path, function.logical_id, payload, name)


def _candidates(api: ApiInfo, path: str) -> list[tuple[bool, str]]:
    """The path with the API's stage stripped when it leads (tried first), and as is."""
    if api.stage_prefix and _stage_leads(api, path):
        rest = "/" + path[len(api.stage_prefix):].lstrip("/")
        return [(True, rest), (False, path)]
    return [(False, path)]


def _stage_leads(api: ApiInfo, path: str) -> bool:
    prefix = api.stage_prefix
    return bool(prefix) and (path == prefix or path.startswith(prefix + "/"))


def _segments(path: str) -> list[str]:
    # Leading slashes collapse and a trailing slash is ignored for matching (§1.3); inner
    # empty segments stay so that a greedy parameter keeps "a//b".
    trimmed = path.strip("/")
    return trimmed.split("/") if trimmed else []


def _keep(value: str) -> str:
    return value


def _walk(node: _Node, segments: list[str], index: int, method: str, params: dict[str, str],
          *, greedy: bool, decode: Callable[[str], str]) -> tuple[Route, dict[str, str]] | None:
    if index == len(segments):
        route = node.route_for(method)
        return (route, params) if route is not None else None
    segment = segments[index]
    child = node.literals.get(segment)
    if child is not None:
        found = _walk(child, segments, index + 1, method, params, greedy=greedy, decode=decode)
        if found is not None:
            return found
    if segment:
        for name, child in node.params:
            found = _walk(child, segments, index + 1, method,
                          {**params, name: decode(segment)},
                          greedy=greedy, decode=decode)
            if found is not None:
                return found
    if greedy:
        for name, child in node.greedy:
            route = child.route_for(method)
            if route is not None:
                value = "/".join(segments[index:])
                return route, {**params, name: decode(value)}
    return None
