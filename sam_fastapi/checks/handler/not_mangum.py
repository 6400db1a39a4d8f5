"""SF303 handler-not-mangum."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext, shown
from sam_fastapi.checks.functions import python_functions
from sam_fastapi.checks.handler.analysis import analyse
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class HandlerNotMangum:
    rule = Rule(
        id="SF303",
        name="handler-not-mangum",
        severity=Severity.ERROR,
        summary="The Handler is not a Mangum-wrapped FastAPI or Starlette app.",
        docs="""\
## What it does
Works out from the source what the handler is, following names, factory functions and imports
between the function's own modules. It accepts `Mangum(app)` (under any import alias, with any
options) around a FastAPI or Starlette app (or middleware around one, or an app built by a
factory), a function that passes `(event, context)` on to such a Mangum object, and a handler
imported from another module that is one of these. Checked are the functions that serve
HTTP: those with an `Api` or `HttpApi` event, and those whose handler module imports Mangum,
FastAPI or Starlette (behind a function URL or a load balancer). Lambda authorizers, queue
consumers and scheduled jobs are plain handlers by design. Functions behind the AWS Lambda Web
Adapter (its layer or `AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap`) are not checked either. What
the analysis cannot see through, such as a third-party import, is not reported.

## Why is this bad?
Lambda calls `handler(event, context)`. A FastAPI app called like that fails with
`TypeError: FastAPI.__call__() missing 1 required positional argument`, a plain function
answers API Gateway without the app, and an async function returns an un-awaited coroutine.

## Example
```python
app = FastAPI()
handler = app
```

## Use instead
```python
from mangum import Mangum

app = FastAPI()
handler = Mangum(app, lifespan="off")
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        reported: set[tuple[object, str]] = set()
        for function in python_functions(project, ctx):
            analysis = analyse(project, function, ctx)
            if not function.events and not analysis.imports_asgi:
                continue
            verdict, location, module = analysis.verdict, analysis.definition, analysis.module
            if verdict.status != "not" or location is None or module is None:
                continue
            file = shown(project, location.file)
            message = (
                f"'{analysis.attribute}' in {file} is {verdict.what}; Lambda needs a Mangum-"
                f"wrapped FastAPI or Starlette app: {analysis.attribute} = Mangum(app)"
            )
            if (location, message) in reported:
                continue
            reported.add((location, message))
            yield Violation(message, resource=function.logical_id, location=location)


@hookimpl
def sam_fastapi_register_checks() -> list[HandlerNotMangum]:
    return [HandlerNotMangum()]
