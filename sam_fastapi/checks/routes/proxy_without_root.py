"""SF403 proxy-without-root."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.routes.app import sample_path
from sam_fastapi.checks.routes.coverage import coverage
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class ProxyWithoutRoot:
    rule = Rule(
        id="SF403",
        name="proxy-without-root",
        severity=Severity.WARNING,
        summary="A `/x/{proxy+}` event without an event for `/x` itself.",
        docs="""\
## What it does
Finds `Api`/`HttpApi` events whose path ends in a greedy parameter (`/casts/{proxy+}`) when
no route of the same API matches the parent path itself (`/casts`) for the event's method,
and the function's FastAPI app has a route an event for `/casts` would deliver. When the app
serves nothing there (its routes are all under `/casts/...`), nothing is lost; when its routes
cannot be read (a Web Adapter or container function), the warning stays.

## Why is this bad?
A greedy path parameter matches one or more segments, never zero: `GET /casts` does not reach
the function, and API Gateway answers `403 Missing Authentication Token` (REST) or
`404 Not Found` (HTTP API) for what is usually the collection's main endpoint.

## Example
```yaml
Events:
  CastsProxy:
    Type: Api
    Properties: {Path: /casts/{proxy+}, Method: ANY}
```

## Use instead
```yaml
Events:
  Casts:
    Type: Api
    Properties: {Path: /casts, Method: ANY}
  CastsProxy:
    Type: Api
    Properties: {Path: /casts/{proxy+}, Method: ANY}
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        found = coverage(project, ctx)
        router = found.router
        for function, event in project.events():
            table = router.apis.get(event.api_id)
            path = event.path
            if table is None or path is None or not path.rstrip("/").endswith("+}"):
                continue
            parent = path.rstrip("/").rpartition("/")[0]
            if not parent:
                continue  # /{proxy+}: the root; SF401 reports the routes it misses
            method = event.method if event.method and event.method != "ANY" else "GET"
            if table.match(method, sample_path(parent)) is not None:
                continue
            routes = found.functions.get(function.logical_id)
            if routes is not None:
                api = table.api
                seen = sample_path(parent)
                seen = api.stage_prefix + seen if api.is_http else seen
                if not routes.app.served(None if event.method in (None, "ANY") else method,
                                         seen):
                    continue  # the app has nothing there: the missing event loses nothing
            yield Violation(
                f"event {event.name} of {function.logical_id} ({path}) does not match "
                f"{parent} itself; add an event for {parent}",
                resource=function.logical_id,
                path=("Resources", function.logical_id, "Properties", "Events", event.name,
                      "Properties", "Path"),
            )


@hookimpl
def sam_fastapi_register_checks() -> list[ProxyWithoutRoot]:
    return [ProxyWithoutRoot()]
