"""SF503 layer-incompatible."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Function, Project, TemplatePath


class LayerIncompatible:
    rule = Rule(
        id="SF503",
        name="layer-incompatible",
        severity=Severity.ERROR,
        summary="A function uses a local layer whose CompatibleRuntimes or "
                "CompatibleArchitectures exclude the function's runtime or architecture.",
        docs="""\
## What it does
For every zip function and each layer resource of the template it lists in `Layers`, checks
that the layer's `CompatibleRuntimes` (when given) contain the function's `Runtime`, and that
its `CompatibleArchitectures` (when given) contain the function's architecture (`x86_64` when
`Architectures` is not set). The finding is at the function's entry in `Layers` (or in
`Globals` when the layer comes from there). Layers given by ARN are not checked.

## Why is this bad?
Lambda refuses to create or update the function ("Layer version ... is not compatible with
the runtime/architecture"), so `sam deploy` fails half-way; and a layer built for another
Python version or machine would not import even if it were attached.

## Example
```yaml
Globals:
  Function:
    Runtime: python3.12
    Architectures: [arm64]
Resources:
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      CompatibleRuntimes: [python3.11]
      CompatibleArchitectures: [x86_64]
```

## Use instead
```yaml
      CompatibleRuntimes: [python3.12]
      CompatibleArchitectures: [arm64]
```
and build the layer for that runtime and machine (`sam-fastapi layer build SharedLayer`).
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        from_globals = _globals_layer_count(project)
        for function in project.functions.values():
            if function.package_type == "Image":
                continue
            for index, ref in enumerate(function.layers):
                layer = project.layers.get(ref.logical_id or "")
                if layer is None:
                    continue
                path = _layer_entry_path(function, index, from_globals)
                runtime = function.runtime
                if (isinstance(runtime, str) and layer.compatible_runtimes
                        and runtime not in layer.compatible_runtimes):
                    yield Violation(
                        f"{function.logical_id} runs {runtime}, but its layer "
                        f"{layer.logical_id} is only compatible with "
                        f"{', '.join(layer.compatible_runtimes)}: Lambda refuses the layer; "
                        f"add {runtime} to the layer's CompatibleRuntimes and build it for it",
                        resource=function.logical_id,
                        path=path,
                    )
                architecture = function.architecture
                if (layer.compatible_architectures
                        and architecture not in layer.compatible_architectures):
                    yield Violation(
                        f"{function.logical_id} runs on {architecture}, but its layer "
                        f"{layer.logical_id} is only compatible with "
                        f"{', '.join(layer.compatible_architectures)}: Lambda refuses the "
                        f"layer; add {architecture} to the layer's CompatibleArchitectures and "
                        "build its native packages for that machine",
                        resource=function.logical_id,
                        path=path,
                    )


def _globals_layer_count(project: Project) -> int:
    """How many layers ``Globals: Function: Layers`` lists (they come first in each function's)."""
    return sum(
        1 for path in project.positions
        if len(path) == 4 and path[:3] == ("Globals", "Function", "Layers")
    )


def _layer_entry_path(function: Function, index: int, from_globals: int) -> TemplatePath:
    """Where the function's ``index``-th layer is written: Globals' layers come first."""
    if index < from_globals:
        return ("Globals", "Function", "Layers", index)
    return ("Resources", function.logical_id, "Properties", "Layers", index - from_globals)


@hookimpl
def sam_fastapi_register_checks() -> list[LayerIncompatible]:
    return [LayerIncompatible()]
