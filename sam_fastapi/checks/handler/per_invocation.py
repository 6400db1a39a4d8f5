"""SF304 mangum-per-invocation."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.functions import python_functions
from sam_fastapi.checks.handler.analysis import analyse
from sam_fastapi.findings import Location, Rule, Severity, Violation
from sam_fastapi.template.model import Project


class MangumPerInvocation:
    rule = Rule(
        id="SF304",
        name="mangum-per-invocation",
        severity=Severity.WARNING,
        summary="The handler function builds a new Mangum object on every invocation.",
        docs="""\
## What it does
Finds `Mangum(...)` calls inside the handler function (or a function it delegates to) whose
result is not kept in a global, an attribute or a dict for the next invocation.

## Why is this bad?
Each invocation then runs the ASGI lifespan (startup and shutdown handlers: database pools,
HTTP clients, caches) again and throws away everything a warm container could reuse, which
adds latency to every request and may exhaust connections.

## Example
```python
def handler(event, context):
    return Mangum(app)(event, context)
```

## Use instead
```python
handler = Mangum(app)
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        reported: set[Location] = set()
        for function in python_functions(project, ctx):
            analysis = analyse(project, function, ctx)
            for location in analysis.verdict.per_invocation:
                if location in reported:
                    continue
                reported.add(location)
                yield Violation(
                    f"Mangum(...) is built on every invocation of Handler '{analysis.handler}'; "
                    "build it once at module level (handler = Mangum(app)) so warm invocations "
                    "reuse the app",
                    resource=function.logical_id,
                    location=location,
                )


@hookimpl
def sam_fastapi_register_checks() -> list[MangumPerInvocation]:
    return [MangumPerInvocation()]
