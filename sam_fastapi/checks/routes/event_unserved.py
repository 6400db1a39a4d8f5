"""SF402 event-unserved."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext, shown
from sam_fastapi.checks.routes.coverage import coverage
from sam_fastapi.findings import Location, Rule, Severity, Violation
from sam_fastapi.template.model import Project


class EventUnserved:
    rule = Rule(
        id="SF402",
        name="event-unserved",
        severity=Severity.ERROR,
        summary="An API event, or a recorded event, that no route of the function's app serves.",
        docs="""\
## What it does
Checks each `Api`/`HttpApi` event of a function against the FastAPI routes of its app: a
plain event path (parameters filled in) must be answered by some route for its method (any
method for `ANY`); a `{proxy+}` event or the HTTP API `$default` route counts as served when
any route lies under it; paths under `app.mount(...)` are served by what is mounted there.
Recorded events in the `events/` folder beside the template are routed through the template
as API Gateway would, and must reach a route too; they are reported at their file.
Functions whose routes are not all known statically are skipped (SF400 says why);
`--import` reads them exactly.

## Why is this bad?
Every request the event delivers ends in FastAPI's `404 Not Found` (or `405`): the template
promises an endpoint the code does not have, usually after a route was renamed or a router's
prefix changed.

## Example
```yaml
Events:
  Ratings:
    Type: Api
    Properties: {Path: /movies/{movie_id}/ratings, Method: GET}
```
```python
@router.get("/movies/{movie_id}/rating")
```

## Use instead
```python
@router.get("/movies/{movie_id}/ratings")
```
or remove the event (or the recorded event) that nothing serves.
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        found = coverage(project, ctx)
        for routes in found.functions.values():
            function = routes.function
            for event in routes.unserved:
                where = f"{event.method or 'ANY'} {event.path or '$default'}"
                yield Violation(
                    f"event {event.name} ({where}) of {function.logical_id} reaches no route "
                    "of its FastAPI app; add the route or remove the event",
                    resource=function.logical_id,
                    path=("Resources", function.logical_id, "Properties", "Events",
                          event.name, "Properties", "Path"),
                )
        for recorded in found.recorded:
            if recorded.served:
                continue
            request = f"{recorded.method} {recorded.path}"
            if recorded.function is None:
                message = (f"recorded event {shown(project, recorded.file)} ({request}) "
                           "matches no API event of the template")
            else:
                message = (f"recorded event {shown(project, recorded.file)} ({request}) "
                           f"reaches {recorded.function}, whose FastAPI app has no route for it")
            yield Violation(message, resource=recorded.function,
                            location=Location(str(recorded.file), 1))


@hookimpl
def sam_fastapi_register_checks() -> list[EventUnserved]:
    return [EventUnserved()]
