"""SF305 handler-syntax-error."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.functions import python_functions
from sam_fastapi.checks.handler.analysis import analyse
from sam_fastapi.findings import Location, Rule, Severity, Violation
from sam_fastapi.template.model import Project


class HandlerSyntaxError:
    rule = Rule(
        id="SF305",
        name="handler-syntax-error",
        severity=Severity.ERROR,
        summary="The handler's module, or a module it needs, is not valid Python.",
        docs="""\
## What it does
Compiles (never runs) the Handler's module, the `__init__.py` of the packages it sits in, the
modules the handler analysis follows and the local modules they import at module level (not
under `if TYPE_CHECKING:`, not inside functions), decoding them as import does (UTF-8, a BOM or
a PEP 263 coding cookie). It reports Python's own error at its line: syntax errors, bad
indentation, undecodable bytes, null bytes. When the function's runtime is newer than the
Python running lint, errors on lines using grammar newer versions extended (type parameters,
f-strings...) are not reported.

## Why is this bad?
Every cold start fails with `Runtime.UserCodeSyntaxError`, and no request gets an answer.

## Example
```python
@app.get("/casts")
def list_casts()
    return casts
```

## Use instead
```python
@app.get("/casts")
def list_casts():
    return casts
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        reported: set[tuple[Location, str]] = set()
        for function in python_functions(project, ctx):
            analysis = analyse(project, function, ctx)
            for error in analysis.syntax_errors:
                if (error.location, error.message) in reported:
                    continue
                reported.add((error.location, error.message))
                yield Violation(
                    f"{error.message} (Handler '{analysis.handler}' cannot be imported)",
                    resource=function.logical_id,
                    location=error.location,
                )


@hookimpl
def sam_fastapi_register_checks() -> list[HandlerSyntaxError]:
    return [HandlerSyntaxError()]
