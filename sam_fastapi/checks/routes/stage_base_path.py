"""SF404 stage-base-path."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.routes.app import AppRoute
from sam_fastapi.checks.routes.coverage import coverage, deliveries
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class StageBasePath:
    rule = Rule(
        id="SF404",
        name="stage-base-path",
        severity=Severity.WARNING,
        summary="FastAPI's docs break behind the API's stage: the app's root_path does not "
                "name it.",
        docs="""\
## What it does
For each function whose FastAPI docs page (`docs_url`, `/docs` by default) an event delivers
through a stage that is part of the URL (every REST API stage, an HTTP API's named stage),
checks that the app's ASGI `root_path` is that stage: set by an ASGI middleware given
`root_path="/Prod"` (`app.add_middleware(...)`), or by `FastAPI(root_path="/Prod")`.
Mangum's `api_gateway_base_path` alone does not count: it strips the stage from the path but
leaves the scope's `root_path` empty.

## Why is this bad?
The docs page loads the OpenAPI schema from `root_path + openapi_url`. Behind the stage the
page is at `https://.../Prod/docs` but asks the browser for `/openapi.json`, which API Gateway
answers with 403 or 404: Swagger UI shows "Failed to load API definition".

## Example
```python
app = FastAPI(title="Cast service")      # served at https://{api}.execute-api.../Prod/
handler = Mangum(app)
```

## Use instead
Mangum is the server here, and it sets no `root_path`: give the app one as a server's
`--root-path` would, with a small ASGI middleware. `FastAPI(root_path=...)` works too, but
FastAPI 0.115 and later deprecate it in favour of the server's root path.
```python
class RootPathMiddleware:
    \"\"\"Sets the ASGI root_path to the API's stage, as a server's --root-path would.\"\"\"

    def __init__(self, app, root_path):
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "root_path": self.root_path}
        await self.app(scope, receive, send)


app = FastAPI(title="Cast service")
app.add_middleware(RootPathMiddleware, root_path="/Prod")
handler = Mangum(app, api_gateway_base_path="/Prod")
```
`api_gateway_base_path` matters for HTTP APIs with a named stage (their paths carry it) on
FastAPI before 0.109 (Starlette before 0.35), which do not strip `root_path` from the path.
Or turn the docs off where they are not wanted (`docs_url=None, redoc_url=None`).
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        found = coverage(project, ctx)
        for routes in found.functions.values():
            app = routes.app
            if app.docs_url is None or app.openapi_url is None or app.root_path is None \
                    or app.base_path is None:  # without a schema FastAPI serves no docs
                continue
            docs = AppRoute(("GET",), app.docs_url, "fastapi:docs")
            for delivery in deliveries(found.router, routes.function, app, docs, "GET"):
                api = delivery.api
                assert api is not None
                prefix = api.stage_prefix
                if not prefix or app.root_path.rstrip("/") == prefix:
                    continue
                function = routes.function
                base = "/" + app.base_path.strip("/")
                mangum = (f'; with Mangum(app, api_gateway_base_path="{prefix}")'
                          if api.is_http and base != prefix else "")
                yield Violation(
                    f"the docs of {function.logical_id} at {delivery.client_path} load "
                    f"{app.root_path.rstrip('/')}{app.openapi_url or ''} without the stage "
                    f"{prefix}; give the app the root path {prefix}: "
                    f'app.add_middleware(RootPathMiddleware, root_path="{prefix}"){mangum} '
                    "(sam-fastapi rules SF404 shows the middleware)",
                    resource=function.logical_id,
                    path=("Resources", function.logical_id),
                    location=app.location,
                )
                break


@hookimpl
def sam_fastapi_register_checks() -> list[StageBasePath]:
    return [StageBasePath()]
