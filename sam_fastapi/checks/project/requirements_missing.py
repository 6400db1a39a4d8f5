"""SF101 requirements-missing."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class RequirementsMissing:
    rule = Rule(
        id="SF101",
        name="requirements-missing",
        severity=Severity.ERROR,
        summary="A Python function's code folder has no requirements.txt.",
        docs="""\
## What it does
Checks that every Python zip function whose `CodeUri` is a local folder has a
`requirements.txt` in that folder. Functions built with `BuildMethod: makefile`, image
functions and code in S3 are skipped.

## Why is this bad?
`sam build` looks for `requirements.txt` in `CodeUri` to choose the Python builder; without it
the function is packaged without its dependencies (or the build fails with "requirements.txt
file not found"), and the first import fails on Lambda.

## Example
```
cast_service/
  app/main.py
template.yaml        # CodeUri: cast_service/
```

## Use instead
```
cast_service/
  app/main.py
  requirements.txt   # may be empty when a layer carries the dependencies
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for function in project.functions.values():
            folder = function.code_dir
            if (
                folder is None
                or not function.is_python
                or function.package_type == "Image"
                or function.build_method == "makefile"
                or not folder.is_dir()
            ):
                continue
            if not (folder / "requirements.txt").is_file():
                yield Violation(
                    f"no requirements.txt in CodeUri folder of {function.logical_id}; "
                    "add one (empty when a layer provides the dependencies)",
                    resource=function.logical_id,
                    path=("Resources", function.logical_id, "Properties", "CodeUri"),
                )


@hookimpl
def sam_fastapi_register_checks() -> list[RequirementsMissing]:
    return [RequirementsMissing()]
