"""SF405 app-import-failed."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.routes.coverage import coverage
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class AppImportFailed:
    rule = Rule(
        id="SF405",
        name="app-import-failed",
        severity=Severity.WARNING,
        summary="With --import, a function's handler module could not be imported.",
        docs="""\
## What it does
With `--import` only: imports each function's handler module in a subprocess (CodeUri and
local layers on `sys.path`, the function's environment variables, a time limit) to read its
routes exactly, and reports an import that raises, hangs or kills the process, with the
exception's last line. The route rules then fall back to reading the code statically.

## Why is this bad?
The same import runs at every cold start on Lambda; if it fails there too, every request
fails with `Runtime.ImportModuleError`. It may also fail only here, for a dependency that is
not installed locally or a variable the template sets with an intrinsic function.

## Example
```python
TABLE = os.environ["TABLE_NAME"]   # the template sets no TABLE_NAME
```

## Use instead
```yaml
Environment:
  Variables:
    TABLE_NAME: movies
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for failure in coverage(project, ctx).failures:
            yield Violation(failure.message, resource=failure.function,
                            path=("Resources", failure.function, "Properties", "Handler"))


@hookimpl
def sam_fastapi_register_checks() -> list[AppImportFailed]:
    return [AppImportFailed()]
