"""What a function's FastAPI app serves, read statically or by importing it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sam_fastapi.findings import Location

#: FastAPI's defaults for the documentation URLs.
DEFAULT_DOCS_URL = "/docs"
DEFAULT_REDOC_URL = "/redoc"
DEFAULT_OPENAPI_URL = "/openapi.json"


@dataclass(frozen=True)
class AppRoute:
    """One FastAPI path operation: its methods, full path and endpoint (``module:qualname``)."""

    methods: tuple[str, ...]
    path: str
    endpoint: str
    location: Location | None = None

    @property
    def key(self) -> tuple[tuple[str, ...], str, str]:
        """What static reading and ``--import`` must agree on."""
        return self.methods, self.path, self.endpoint

    def matches(self, path: str) -> bool:
        """Whether Starlette would route ``path`` (as the app sees it) to this route."""
        if "{" not in self.path:  # no parameter: the pattern would be the path itself
            return path == self.path
        segments = _whole_segments(self.path)
        if segments is None:
            return _compiled(self.path).fullmatch(path) is not None
        parts = path.split("/")
        return len(parts) == len(segments) and all(
            part == text if kind == "literal" else _accepts_whole(kind, part)
            for (kind, text), part in zip(segments, parts, strict=True))


@dataclass(frozen=True)
class Note:
    """Something about the app that the analysis cannot tell; reported at info level."""

    message: str
    location: Location


@dataclass(frozen=True)
class AppInfo:
    """A function's app as far as it is known.

    ``root_path`` and ``base_path`` (Mangum's ``api_gateway_base_path``) are ``None`` when the
    code sets them to something only running it would tell. ``complete`` is False when some
    routes could not be read, so an event without a route may still be served.
    """

    function: str
    routes: tuple[AppRoute, ...]
    location: Location | None
    root_path: str | None = ""
    base_path: str | None = "/"
    docs_url: str | None = DEFAULT_DOCS_URL
    openapi_url: str | None = DEFAULT_OPENAPI_URL
    mounts: tuple[str, ...] = ()  # paths where another ASGI app takes over (``app.mount``)
    complete: bool = True
    notes: tuple[Note, ...] = ()
    #: Behind the Web Adapter: where events other than HTTP ones are POSTed, not an API route.
    pass_through_path: str | None = None

    def app_path(self, path: str) -> str:
        """What the app routes on for a request path: Mangum strips its base path, Starlette
        the app's ``root_path`` when the path starts with it."""
        base = self.base_path or "/"
        if base != "/":
            base = "/" + base.strip("/")
            if path.startswith(base):
                path = path[len(base):] or "/"
        root = (self.root_path or "").rstrip("/")
        if root and (path == root or path.startswith(root + "/")):
            path = path[len(root):] or "/"
        return path

    def request_paths(self, path: str) -> tuple[str, ...]:
        """The paths (as Lambda hands them to Mangum) that the app routes to ``path``."""
        candidates = [path]
        root = (self.root_path or "").rstrip("/")
        if root:
            candidates.append(root + path)
        base = "/" + (self.base_path or "/").strip("/")
        if base != "/":
            candidates += [base + c for c in candidates]
        return tuple(dict.fromkeys(c for c in candidates if self.app_path(c) == path))

    @property
    def builtin_routes(self) -> tuple[AppRoute, ...]:
        """What FastAPI serves itself: the OpenAPI schema, and the docs page beside it."""
        if self.openapi_url is None:
            return ()
        found = [AppRoute(("GET", "HEAD"), self.openapi_url, "fastapi:openapi")]
        if self.docs_url is not None:
            found.append(AppRoute(("GET", "HEAD"), self.docs_url, "fastapi:docs"))
            found.append(AppRoute(("GET", "HEAD"), self.docs_url.rstrip("/")
                                  + "/oauth2-redirect", "fastapi:oauth2-redirect"))
        return tuple(found)

    def served(self, method: str | None, path: str) -> bool:
        """Some route answers ``method`` (None: any) on the request ``path``, or on it with its
        trailing slash toggled, where Starlette redirects (``redirect_slashes``)."""
        seen = self.app_path(path)
        if any(seen == m or seen.startswith(m.rstrip("/") + "/") for m in self.mounts):
            return True  # what is mounted answers for itself
        toggled = seen.rstrip("/") if seen.endswith("/") else seen + "/"
        paths = (seen, toggled) if seen != "/" else (seen,)
        return any(
            route.matches(candidate) and (method is None or method in route.methods)
            for route in (*self.routes, *self.builtin_routes) for candidate in paths
        )


_PARAMETER = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")
#: Starlette's convertors (``starlette.convertors.CONVERTOR_TYPES``), as regular expressions.
_CONVERTOR_PATTERNS = {
    "str": "[^/]+",
    "path": ".*",
    "int": "[0-9]+",
    "float": r"[0-9]+(\.[0-9]+)?",
    "uuid": "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}",
}


@lru_cache(maxsize=1024)
def _compiled(path: str) -> re.Pattern[str]:
    parts = []
    position = 0
    for match in _PARAMETER.finditer(path):
        parts.append(re.escape(path[position:match.start()]))
        parts.append(_CONVERTOR_PATTERNS.get(match[2] or "str", "[^/]+"))
        position = match.end()
    parts.append(re.escape(path[position:]))
    return re.compile("".join(parts))


@lru_cache(maxsize=1024)
def _whole_segments(path: str) -> tuple[tuple[str, str], ...] | None:
    """``path`` split at its slashes, each part a ``("literal", text)`` or a parameter
    (``("str", "")``, ``("int", "")``) taking the whole part; None when a parameter shares its
    part with text or its convertor is another. Matching these parts one by one is what the
    pattern ``_compiled`` makes would do (no convertor of the two matches a slash), without
    compiling a pattern for every route of every function."""
    segments = []
    for part in path.split("/"):
        if "{" not in part:
            segments.append(("literal", part))
            continue
        match = _PARAMETER.fullmatch(part)
        if match is None:
            return None
        convertor = match[2] or "str"
        if convertor == "int":
            segments.append(("int", ""))
        elif _CONVERTOR_PATTERNS.get(convertor, "[^/]+") == "[^/]+":
            segments.append(("str", ""))
        else:
            return None
    return tuple(segments)


def _accepts_whole(kind: str, part: str) -> bool:
    """``[^/]+`` (str) or ``[0-9]+`` (int) matches all of ``part``, which holds no slash."""
    return part.isascii() and part.isdigit() if kind == "int" else part != ""


_ANY_PARAMETER = re.compile(r"\{[^}]+\}")


def sample_path(template: str) -> str:
    """A concrete request path for a path template: every parameter becomes ``1``."""
    return _ANY_PARAMETER.sub("1", template)


#: A value each Starlette convertor accepts, for a parameter both sides leave open.
_SAMPLES = {"int": "1", "float": "1", "uuid": "00000000-0000-0000-0000-000000000001"}


@dataclass(frozen=True)
class _Segment:
    kind: str  # "literal", "param" or "rest" (API Gateway's {x+}, Starlette's {x:path})
    text: str = ""  # the literal; the convertor of a param
    minimum: int = 0  # how many segments a rest needs: 1 for {x+}, 0 for {x:path}


_TEMPLATE_PARAMETER = re.compile(r"\{([^}:]+?)(\+)?(?::([^}]+))?\}")


@lru_cache(maxsize=4096)
def _segments_of(template: str) -> tuple[_Segment, ...] | None:
    """The segments of a path template in API Gateway's or Starlette's syntax; None when a
    parameter shares its segment with text (``/{id}.json``), which these paths do not mix.
    Read once per template: each route of a function is tried against each of its events."""
    found = []
    for part in template.strip("/").split("/") if template.strip("/") else []:
        match = _TEMPLATE_PARAMETER.fullmatch(part)
        if match is None:
            if "{" in part:
                return None
            found.append(_Segment("literal", part))
        elif match[2] or match[3] == "path":
            found.append(_Segment("rest", minimum=1 if match[2] else 0))
        else:
            found.append(_Segment("param", match[3] or "str"))
    return tuple(found)


def _accepts(param: _Segment, text: str) -> bool:
    pattern = _CONVERTOR_PATTERNS.get(param.text, _CONVERTOR_PATTERNS["str"])
    return re.fullmatch(pattern, text) is not None


def _filled(segments: Sequence[_Segment]) -> list[str]:
    return [s.text if s.kind == "literal" else _SAMPLES.get(s.text, "1") for s in segments]


def _unify(a: Sequence[_Segment], b: Sequence[_Segment]) -> list[str] | None:
    if not a or not b:
        rest = a or b
        if all(s.kind == "rest" and s.minimum == 0 for s in rest):
            return []
        return None
    x, y = a[0], b[0]
    if x.kind == "rest" or y.kind == "rest":
        rest, other = (x, b) if x.kind == "rest" else (y, a)
        filled = _filled([s for s in other if s.kind != "rest"])
        return filled if len(filled) >= rest.minimum else [*filled, "1"]
    if x.kind == "literal" and y.kind == "literal":
        head = x.text if x.text == y.text else None
    elif x.kind == "literal" or y.kind == "literal":
        literal, param = (x, y) if x.kind == "literal" else (y, x)
        head = literal.text if _accepts(param, literal.text) else None
    else:
        strict = x if x.text != "str" else y
        head = _SAMPLES.get(strict.text, "1")
    if head is None:
        return None
    tail = _unify(a[1:], b[1:])
    return None if tail is None else [head, *tail]


def common_path(gateway: str, app: str) -> str | None:
    """A request path both templates match, API Gateway's resource (``/{proxy+}``) and a
    Starlette route (``/{name}``, ``/files/{p:path}``): ``/hello`` for ``/hello`` and
    ``/{name}``. None when no path matches both (or a segment mixes text and a parameter).
    The trailing slash is the app's: API Gateway ignores it, Starlette does not."""
    a, b = _segments_of(gateway), _segments_of(app)
    if a is None or b is None:
        return None
    found = _unify(a, b)
    if found is None:
        return None
    path = "/" + "/".join(found)
    return path + "/" if app.endswith("/") and path != "/" else path
