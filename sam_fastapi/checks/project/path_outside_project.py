"""SF103 path-outside-project."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import OutsidePath, Project


class PathOutsideProject:
    rule = Rule(
        id="SF103",
        name="path-outside-project",
        severity=Severity.ERROR,
        summary="A CodeUri, ContentUri or ContextPath leads out of the project folder.",
        docs="""\
## What it does
Checks that every local `CodeUri`, `ContentUri` and `Metadata: ContextPath` stays inside the
project: the nearest folder above the template holding `pyproject.toml`, `samconfig.toml` or
`.git` (else the template's folder). `../`, absolute paths, symlinks that lead out and symlink
loops are reported, and sam-fastapi does not read them.

## Why is this bad?
`sam build` packages whatever the path names: a path out of the project ships files from
wherever the build happens to run (a home folder, another checkout), differs between machines
and CI, and may pull secrets into the deployment package.

## Example
```yaml
CastFunction:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: /home/me/cast_service/
```

## Use instead
```yaml
    CodeUri: cast_service/     # relative, inside the project
```
A template in `infra/` may use `../src` when `pyproject.toml` (or `.git`) sits above both.
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for function in project.functions.values():
            yield from _check(project, function.logical_id, function.code_uri,
                              ("Properties", "CodeUri"))
            yield from _check(project, function.logical_id, function.context_path,
                              ("Metadata", "ContextPath"))
        for layer in project.layers.values():
            yield from _check(project, layer.logical_id, layer.content_uri,
                              ("Properties", "ContentUri"))
            yield from _check(project, layer.logical_id, layer.context_path,
                              ("Metadata", "ContextPath"))


def _check(project: Project, logical_id: str, value: object,
           where: tuple[str, str]) -> Iterator[Violation]:
    if isinstance(value, OutsidePath):
        yield Violation(
            f"{where[1]} {value.path} is {value.reason}, outside the project folder "
            f"{project.project_root}; keep the code inside the project (it was not read)",
            resource=logical_id,
            path=("Resources", logical_id, *where),
        )


@hookimpl
def sam_fastapi_register_checks() -> list[PathOutsideProject]:
    return [PathOutsideProject()]
