"""SF102 code-folder-missing."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class CodeFolderMissing:
    rule = Rule(
        id="SF102",
        name="code-folder-missing",
        severity=Severity.ERROR,
        summary="A local CodeUri or ContentUri points at a folder that does not exist.",
        docs="""\
## What it does
Checks that every function's local `CodeUri` and every layer's local `ContentUri` names an
existing folder, relative to the template.

## Why is this bad?
`sam build` stops with "CodeUri ... does not exist" (or, for a file, zips the wrong thing),
usually after a folder was renamed or the template moved.

## Example
```yaml
CastFunction:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: cast-service/   # the folder is cast_service/
```

## Use instead
```yaml
    CodeUri: cast_service/
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for function in project.functions.values():
            if function.package_type == "Image" or function.code_dir is None:
                continue
            if not function.code_dir.is_dir():
                yield Violation(
                    f"CodeUri folder '{_shown(project, function.code_dir)}' does not exist; "
                    "point CodeUri at the function's source folder",
                    resource=function.logical_id,
                    path=("Resources", function.logical_id, "Properties", "CodeUri"),
                )
        for layer in project.layers.values():
            if layer.content_dir is not None and not layer.content_dir.is_dir():
                yield Violation(
                    f"ContentUri folder '{_shown(project, layer.content_dir)}' does not exist; "
                    "point ContentUri at the layer's folder",
                    resource=layer.logical_id,
                    path=("Resources", layer.logical_id, "Properties", "ContentUri"),
                )


def _shown(project: Project, folder) -> str:
    try:
        return str(folder.relative_to(project.root))
    except ValueError:
        return str(folder)


@hookimpl
def sam_fastapi_register_checks() -> list[CodeFolderMissing]:
    return [CodeFolderMissing()]
