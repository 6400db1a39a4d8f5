"""SF504 package-too-large."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.platform.artifacts import (
    Artifact,
    files_of,
    function_artifact,
    layer_artifact,
)
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project

#: Lambda's quota for a function's code and all its layers, unzipped (L-LIMITS).
UNZIPPED_LIMIT = 250 * 1024 * 1024


class PackageTooLarge:
    rule = Rule(
        id="SF504",
        name="package-too-large",
        severity=Severity.ERROR,
        summary="A function's code plus its layers is over Lambda's 250 MB unzipped limit.",
        docs="""\
## What it does
Adds up the size of every file a zip function deploys: its code and each layer resource of
the template it uses. Each is measured on `sam build`'s output (`.aws-sam/build/<LogicalId>/`)
when it exists, else on the `CodeUri` / `ContentUri` folder (without `.aws-sam`, `.git`,
`__pycache__` and virtualenv folders). The total is compared with Lambda's quota of 250 MB
(262,144,000 bytes) unzipped, layers included. Layers given by ARN cannot be measured and are
not counted.

## Why is this bad?
`sam deploy` fails with "Unzipped size must be smaller than 262144000 bytes", after the build
and the upload; often this shows up only once a heavy dependency (numpy, pandas, torch) lands
in a shared layer.

## Example
```
.aws-sam/build/ReportFunction/    40 MB
.aws-sam/build/ScienceLayer/     230 MB   # numpy, scipy, pandas with tests and caches
```

## Use instead
Trim the layer (no tests, no `__pycache__`, no duplicate packages between function and layer),
split the function, or ship it as a container image (`PackageType: Image`, up to 10 GB).
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        sizes: dict[str, int] = {}
        for function in project.functions.values():
            if function.package_type == "Image":
                continue
            parts = [function_artifact(project, function, ctx)]
            parts += [layer_artifact(project, layer, ctx)
                      for layer in project.function_layers(function)]
            measured = [(part, _size(project, part, sizes, ctx))
                        for part in parts if part is not None]
            total = sum(size for _, size in measured)
            if total <= UNZIPPED_LIMIT:
                continue
            details = ", ".join(f"{part.logical_id} {_mb(size)} in {part.shown(project)}"
                                for part, size in sorted(measured, key=lambda m: -m[1]))
            yield Violation(
                f"{function.logical_id} unzips to {_mb(total)} with its layers, over Lambda's "
                f"{_mb(UNZIPPED_LIMIT)} limit ({details}): trim the dependencies, split the "
                "function, or deploy it as a container image",
                resource=function.logical_id,
                path=("Resources", function.logical_id, "Properties", "CodeUri"),
            )


def _size(project: Project, artifact: Artifact, sizes: dict[str, int],
          ctx: CheckContext) -> int:
    """Apparent size in bytes (what the zip unpacks to), measured once per folder."""
    key = str(artifact.folder)
    if key not in sizes:
        sizes[key] = sum(size for _, size in files_of(project, artifact.folder, ctx))
    return sizes[key]


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


@hookimpl
def sam_fastapi_register_checks() -> list[PackageTooLarge]:
    return [PackageTooLarge()]
