"""SF302 handler-attribute-missing."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext, shown
from sam_fastapi.checks.functions import python_functions
from sam_fastapi.checks.handler.analysis import analyse
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class HandlerAttributeMissing:
    rule = Rule(
        id="SF302",
        name="handler-attribute-missing",
        severity=Severity.ERROR,
        summary="The Handler's module has no top-level name the Handler asks for.",
        docs="""\
## What it does
Reads the Handler's module (without importing it) and checks that it binds the name after the
last dot at top level: an assignment (also in a tuple or under `if`/`try`), a `def`, a class,
an `import ... as`, a `from ... import`, or a `global` assignment inside a function. A module
with `from x import *` or a module-level `__getattr__` is given the benefit of the doubt.

## Why is this bad?
Every invocation fails with `Runtime.HandlerNotFound: Handler 'handler' missing on module
'app.main'`, typically after renaming `handler` to `lambda_handler` on one side only.

## Example
```python
# app/main.py, Handler: app.main.handler
app = FastAPI()
lambda_handler = Mangum(app)
```

## Use instead
```python
handler = Mangum(app)
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for function in python_functions(project, ctx):
            analysis = analyse(project, function, ctx)
            module = analysis.module
            if analysis.web_adapter or module is None or analysis.defined is not False:
                continue
            if module.file is None:
                message = (
                    f"Handler '{analysis.handler}': {module.name} is a folder without "
                    f"__init__.py, which has no attribute '{analysis.attribute}'; point Handler "
                    "at the module that defines it"
                )
            else:
                message = (
                    f"Handler '{analysis.handler}': {shown(project, module.file)} defines no "
                    f"top-level '{analysis.attribute}'; define it "
                    f"({analysis.attribute} = Mangum(app)) or fix Handler"
                )
            yield Violation(
                message,
                resource=function.logical_id,
                path=analysis.handler_path,
            )


@hookimpl
def sam_fastapi_register_checks() -> list[HandlerAttributeMissing]:
    return [HandlerAttributeMissing()]
