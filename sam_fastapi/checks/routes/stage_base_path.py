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
        summary="FastAPI's docs break behind the API's stage: no root_path or "
                "api_gateway_base_path names it.",
        docs="""\
## What it does
For each function whose FastAPI docs page (`docs_url`, `/docs` by default) an event delivers
through a stage that is part of the URL (every REST API stage, an HTTP API's named stage),
checks that the app knows that prefix: `FastAPI(root_path="/Prod")` or
`Mangum(app, api_gateway_base_path="/Prod")`.

## Why is this bad?
The docs page loads the OpenAPI schema from `root_path + openapi_url`. Behind the stage the
page is at `https://.../Prod/docs` but asks the browser for `/openapi.json`, which API Gateway
answers with 403 or 404: Swagger UI shows "Failed to load API definition".

## Example
```python
app = FastAPI(title="Cast service")      # served at https://{api}.execute-api.../Prod/
```

## Use instead
```python
app = FastAPI(title="Cast service", root_path="/Prod")
```
or turn the docs off where they are not wanted (`docs_url=None, redoc_url=None`).
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        found = coverage(project, ctx)
        for routes in found.functions.values():
            app = routes.app
            if app.docs_url is None or app.root_path is None or app.base_path is None:
                continue
            docs = AppRoute(("GET",), app.docs_url, "fastapi:docs")
            for delivery in deliveries(found.router, routes.function, app, docs, "GET"):
                api = delivery.api
                assert api is not None
                prefix = api.stage_prefix
                base = "/" + app.base_path.strip("/")
                if not prefix or app.root_path.rstrip("/") == prefix or base == prefix:
                    continue
                function = routes.function
                yield Violation(
                    f"the docs of {function.logical_id} at {delivery.client_path} load "
                    f"{app.root_path.rstrip('/')}{app.openapi_url or ''} without the stage "
                    f"{prefix}; set FastAPI(root_path=\"{prefix}\") or "
                    f"Mangum(app, api_gateway_base_path=\"{prefix}\")",
                    resource=function.logical_id,
                    path=("Resources", function.logical_id),
                    location=app.location,
                )
                break


@hookimpl
def sam_fastapi_register_checks() -> list[StageBasePath]:
    return [StageBasePath()]
