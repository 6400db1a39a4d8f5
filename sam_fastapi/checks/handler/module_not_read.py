"""SF308 handler-module-not-read."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext, shown
from sam_fastapi.checks.functions import python_functions
from sam_fastapi.checks.handler.analysis import analyse
from sam_fastapi.findings import Location, Rule, Severity, Violation
from sam_fastapi.pysource import MAX_SOURCE_BYTES
from sam_fastapi.template.model import Project

#: The rules that read the handler module's source, and so say nothing about one not read.
SKIPPED = ("the handler (SF302-SF307), route (SF400-SF404) and dependency (SF501) checks")


class HandlerModuleNotRead:
    rule = Rule(
        id="SF308",
        name="handler-module-not-read",
        severity=Severity.INFO,
        summary="A handler module too large for lint to read: the checks that read it skip it.",
        docs=f"""\
## What it does
Reports a Python function's handler module of more than {MAX_SOURCE_BYTES // (1024 * 1024)} MB.
Lint does not parse files that large (they are generated code or data, and parsing one would
take seconds and hundreds of MB), so the handler (SF302-SF307), route (SF400-SF404) and
dependency (SF501) checks have nothing to say about it. This finding names them, so that
their silence is not read as a clean bill.

## Why is this bad?
A missing handler attribute, a route no event reaches or a missing dependency in that module
would reach Lambda unnoticed.

## Example
```python
# app/main.py, 3 MB: the app plus a generated table
app = FastAPI()
COUNTRIES = {{"AD": ..., ...}}  # 40,000 lines
handler = Mangum(app)
```

## Use instead
Keep the handler module small; load the data from a file or a module of its own:
```python
from app.countries import COUNTRIES
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for function in python_functions(project, ctx):
            analysis = analyse(project, function, ctx)
            path = analysis.module.file if analysis.module is not None else None
            if path is None or analysis.web_adapter:
                continue
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if size > MAX_SOURCE_BYTES:
                yield Violation(
                    f"{shown(project, path)} is {size / (1024 * 1024):.1f} MB, over the "
                    f"{MAX_SOURCE_BYTES // (1024 * 1024)} MB lint reads: {SKIPPED} did not "
                    "look at it; move generated code or data out of the handler module",
                    resource=function.logical_id, location=Location(str(path), 1))


@hookimpl
def sam_fastapi_register_checks() -> list[HandlerModuleNotRead]:
    return [HandlerModuleNotRead()]
