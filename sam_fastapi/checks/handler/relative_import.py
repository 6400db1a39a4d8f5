"""SF306 handler-relative-import."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext, shown
from sam_fastapi.checks.functions import python_functions
from sam_fastapi.checks.handler.load_path import broken_imports
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class HandlerRelativeImport:
    rule = Rule(
        id="SF306",
        name="handler-relative-import",
        severity=Severity.ERROR,
        summary="A relative import on the handler's load path has no parent package on Lambda.",
        docs="""\
## What it does
Reads the files Lambda runs when it imports the Handler's module (the module, the packages
above it, and the modules of the function's code they import at load time) and reports a
relative import (`from .x import y`) that has no package to be relative to: in a module that
Lambda imports as a top-level module (`Handler: main.handler` with `CodeUri: app/`), or one
going above the top-level package. An import in a `try` that catches `ImportError` has a
fallback and is not reported.

## Why is this bad?
Lambda imports `main`, not `app.main`: `main` has no parent package, and every invocation
fails with `Runtime.ImportModuleError: attempted relative import with no known parent
package`. Locally it works, because the app is run as `app.main:app` from the folder above.

## Example
```yaml
CodeUri: app/
Handler: main.handler
```
```python
# app/main.py
from .routers import items
```

## Use instead
```python
# app/main.py
from routers import items
```
or keep the package: `CodeUri: .` with `Handler: app.main.handler` (and `app/__init__.py`).
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        reported: set[tuple[str, int]] = set()
        for function in python_functions(project, ctx):
            for broken in broken_imports(project, function, ctx):
                key = (broken.location.file, broken.location.line)
                if broken.kind != "relative" or key in reported:
                    continue
                reported.add(key)
                where = ("a top-level module" if "." not in broken.module
                         else f"module {broken.module}, too high for its package")
                yield Violation(
                    f"`{broken.statement}` in {shown(project, broken.location.file)} fails on "
                    f"Lambda: Handler '{function.handler}' loads it as {where} "
                    "(ImportError: attempted relative import with no known parent package); "
                    "import absolutely from CodeUri, or move CodeUri up and name the package "
                    "in Handler",
                    resource=function.logical_id,
                    location=broken.location,
                )


@hookimpl
def sam_fastapi_register_checks() -> list[HandlerRelativeImport]:
    return [HandlerRelativeImport()]
