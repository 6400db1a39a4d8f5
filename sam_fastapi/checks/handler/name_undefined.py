"""SF307 import-name-undefined."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext, shown
from sam_fastapi.checks.functions import python_functions
from sam_fastapi.checks.handler.load_path import broken_imports
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class ImportNameUndefined:
    rule = Rule(
        id="SF307",
        name="import-name-undefined",
        severity=Severity.ERROR,
        summary="`from module import name` on the handler's load path, where the function's "
                "module defines no such name.",
        docs="""\
## What it does
Reads the files Lambda runs when it imports the Handler's module and, for each
`from module import name` of the function's own code, checks that the module binds `name`
at its top level (in any branch, by assignment, `def`, `class` or import) or has a submodule
of that name. A module with a star import, a module-level `__getattr__`, or code that adds
names at run time (`globals()`, `setattr`, `sys.modules`) is taken to define anything.
Imports in a `try` that catches `ImportError` have a fallback and are not reported.

## Why is this bad?
Every cold start fails with `Runtime.ImportModuleError: cannot import name 'GPSDAO' from
'app.core'`: usually a class renamed or moved while an old import stayed behind, which local
runs miss when a stale `.pyc` or another path still provides it.

## Example
```python
# app/core/__init__.py
from app.core.dao import GpsDao

# app/main.py
from app.core import GPSDAO
```

## Use instead
```python
from app.core import GpsDao
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        reported: set[tuple[str, int, str]] = set()
        for function in python_functions(project, ctx):
            for broken in broken_imports(project, function, ctx):
                key = (broken.location.file, broken.location.line, broken.name)
                if broken.kind != "undefined" or key in reported:
                    continue
                reported.add(key)
                yield Violation(
                    f"`{broken.statement}` in {shown(project, broken.location.file)}: module "
                    f"{broken.source} defines no '{broken.name}', so loading Handler "
                    f"'{function.handler}' fails (ImportError: cannot import name "
                    f"'{broken.name}'); import the name it defines, or define it there",
                    resource=function.logical_id,
                    location=broken.location,
                )


@hookimpl
def sam_fastapi_register_checks() -> list[ImportNameUndefined]:
    return [ImportNameUndefined()]
