"""SF401 route-unreachable."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.routes.coverage import FunctionRoutes, coverage
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class RouteUnreachable:
    rule = Rule(
        id="SF401",
        name="route-unreachable",
        severity=Severity.ERROR,
        summary="A FastAPI route that no API event of its function can deliver.",
        docs="""\
## What it does
Reads the FastAPI routes of each function with API events (statically, or exactly with
`--import`) and checks that some `Api`/`HttpApi` event of that same function delivers each
route and method: a request for it, sent through the API with its stage, is routed by API
Gateway to this function (not to a more specific event of another one), and the path the app
then sees (after Mangum's `api_gateway_base_path` and the app's `root_path`) is the route's.

## Why is this bad?
API Gateway answers such requests itself (`403 Missing Authentication Token` on REST APIs,
`404 Not Found` on HTTP APIs) or hands them to another function: the endpoint exists in the
code and in local tests against the app, but never in production.

## Example
```python
app.include_router(casts.router, prefix="/api/v1/casts")
```
```yaml
Events:
  Casts:
    Type: Api
    Properties: {Path: /casts/{proxy+}, Method: ANY}
```
The app's routes are under `/api/v1/casts`, but only `/casts/...` reaches the function; with
only a `/{proxy+}` event, `GET /` is unreachable too.

## Use instead
```python
app.include_router(casts.router, prefix="/casts")
```
or give the function an event for the path (`Path: /api/v1/casts/{proxy+}`, and `Path: /`
for the root).
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for routes in coverage(project, ctx).functions.values():
            yield from _unreachable(routes)


def _unreachable(routes: FunctionRoutes) -> Iterator[Violation]:
    function = routes.function
    events = ", ".join(sorted({f"{e.method or 'ANY'} {e.path or '$default'}"
                               for e in function.events}))
    by_route: dict[int, list[str]] = {}
    for delivery in routes.unreachable:
        by_route.setdefault(id(delivery.route), []).append(delivery.method)
    for route in routes.app.routes:
        methods = by_route.get(id(route))
        if not methods:
            continue
        yield Violation(
            f"{', '.join(methods)} {route.path} ({route.endpoint}) of {function.logical_id} is "
            f"delivered by none of its API events ({events}); add an event for it or move "
            "the route under one",
            resource=function.logical_id,
            path=("Resources", function.logical_id, "Properties", "Events"),
            location=route.location,
        )


@hookimpl
def sam_fastapi_register_checks() -> list[RouteUnreachable]:
    return [RouteUnreachable()]
