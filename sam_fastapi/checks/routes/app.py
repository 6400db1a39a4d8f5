"""What a function's FastAPI app serves, read statically or by importing it."""

from __future__ import annotations

import re
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
        return _compiled(self.path).fullmatch(path) is not None


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
            for route in self.routes for candidate in paths
        )


_PARAMETER = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")


@lru_cache(maxsize=1024)
def _compiled(path: str) -> re.Pattern[str]:
    parts = []
    position = 0
    for match in _PARAMETER.finditer(path):
        parts.append(re.escape(path[position:match.start()]))
        parts.append(".*" if match[2] == "path" else "[^/]+")
        position = match.end()
    parts.append(re.escape(path[position:]))
    return re.compile("".join(parts))


def sample_path(template: str) -> str:
    """A concrete request path for a path template: every parameter becomes ``1``."""
    return re.sub(r"\{[^}]+\}", "1", template)
