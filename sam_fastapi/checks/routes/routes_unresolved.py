"""SF400 routes-unresolved."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.routes.coverage import coverage
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class RoutesUnresolved:
    rule = Rule(
        id="SF400",
        name="routes-unresolved",
        severity=Severity.INFO,
        summary="Part of a FastAPI app's routes is only known when its code runs.",
        docs="""\
## What it does
Says where the static reading of a function's routes stopped: a router prefix, a path or
methods computed at run time, a router built by a function, an endpoint that is not a
function of the code. What the code's own modules tell is read, not reported: a prefix from a
module constant (`prefix=API_V1_STR`, `config.API_V1_STR`), from a settings class attribute
with a literal default (`prefix=settings.API_V1_STR` with `settings = Settings()`), and
f-strings or `+` of those. A pydantic `BaseSettings` default is taken as the value, though an
environment variable of the same name would override it at run time. The route rules then
skip what depends on what is reported (SF402 skips the function's events) instead of
guessing.

## Why is this bad?
It is not: it says which parts of the route coverage were not checked. `--import` (which
imports the app in a subprocess, running its code) reads the routes exactly.

## Example
```python
PREFIX = os.environ["PREFIX"]
app.include_router(casts.router, prefix=PREFIX)
```

## Use instead
```python
app.include_router(casts.router, prefix="/casts")
```
or run `sam-fastapi lint --import`.
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for routes in coverage(project, ctx).functions.values():
            for note in routes.app.notes:
                yield Violation(note.message, resource=routes.function.logical_id,
                                location=note.location)


@hookimpl
def sam_fastapi_register_checks() -> list[RoutesUnresolved]:
    return [RoutesUnresolved()]
