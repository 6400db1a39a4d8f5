"""SF303 handler-not-mangum."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.handler.analysis import analyse, python_functions, shown
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
imported from another module that is one of these. Lambda authorizers (a function an API's
`Auth.Authorizers` names by `FunctionArn`) answer API Gateway with a policy, not HTTP, and are
not checked; nor are functions behind the AWS Lambda Web Adapter
(its layer or `AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap`) are not checked. What the analysis
cannot see through, such as a third-party import, is not reported.

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

    def run(self, project: Project) -> Iterator[Violation]:
        reported: set[tuple[object, str]] = set()
        authorizers = _authorizer_functions(project)
        for function in python_functions(project):
            if function.logical_id in authorizers:
                continue
            analysis = analyse(project, function)
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


def _authorizer_functions(project: Project) -> set[str]:
    """Logical ids of the functions named as Lambda authorizers (``!GetAtt Fn.Arn``)."""
    found = set()
    for api in project.apis.values():
        auth = api.auth if isinstance(api.auth, dict) else {}
        authorizers = auth.get("Authorizers")
        for config in authorizers.values() if isinstance(authorizers, dict) else ():
            arn = config.get("FunctionArn") if isinstance(config, dict) else None
            target = arn.get("Fn::GetAtt") if isinstance(arn, dict) else None
            if isinstance(target, str):
                target = target.split(".")
            if isinstance(target, list) and target and isinstance(target[0], str):
                found.add(target[0])
    return found


@hookimpl
def sam_fastapi_register_checks() -> list[HandlerNotMangum]:
    return [HandlerNotMangum()]
