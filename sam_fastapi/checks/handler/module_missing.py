"""SF301 handler-module-missing."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext, shown
from sam_fastapi.checks.functions import python_functions
from sam_fastapi.checks.handler.analysis import HandlerAnalysis, analyse
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Function, Project


class HandlerModuleMissing:
    rule = Rule(
        id="SF301",
        name="handler-module-missing",
        severity=Severity.ERROR,
        summary="A Python function's Handler names a module that is not in its code.",
        docs="""\
## What it does
Looks for the module of each Python function's `Handler` (`app.main.handler` -> `app.main`)
where Lambda's Python runtime would import it from: `CodeUri/app/main.py` or
`CodeUri/app/main/__init__.py`, then the `python/` folder of the function's local layers.
Names match case-sensitively, as on Lambda. Functions built with `BuildMethod: makefile` are
only checked when the module is found, since their Makefile decides what is deployed.
With the Lambda Web Adapter the Handler is the startup script (`run.sh`) in `CodeUri`.

## Why is this bad?
Every invocation fails with `Runtime.ImportModuleError: Unable to import module 'app.main'`,
usually after the code was moved into a package or `CodeUri` points one folder too high or too
low.

## Example
```yaml
CastFunction:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: cast_service/
    Handler: main.handler        # the module is cast_service/app/main.py
```

## Use instead
```yaml
    Handler: app.main.handler
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for function in python_functions(project, ctx):
            analysis = analyse(project, function, ctx)
            message = _problem(project, function, analysis)
            if message is not None:
                yield Violation(message, resource=function.logical_id, path=analysis.handler_path)


def _problem(project: Project, function: Function, analysis: HandlerAnalysis) -> str | None:
    handler = analysis.handler
    if analysis.web_adapter:
        if analysis.script is not None or analysis.module is not None:
            return None
        folder = shown(project, function.code_dir or project.root)
        return (
            f"Handler '{handler}' is not a file in CodeUri '{folder}'; with the Lambda Web "
            "Adapter the Handler is the startup script (e.g. run.sh)"
        )
    if analysis.module_name is None or analysis.attribute is None:
        return (
            f"Handler '{handler}' is not 'module.attribute'; Lambda splits it at the last dot, "
            "e.g. app.main.handler for handler in app/main.py"
        )
    if analysis.module is not None or function.build_method == "makefile":
        return None
    files = " or ".join(shown(project, p) for p in analysis.looked_for)
    if next(project.function_layers(function), None) is not None:
        files += " (nor in a local layer's python/ folder)"
    if analysis.same_but_case is not None:
        files += (f"; there is {shown(project, analysis.same_but_case)}, but names are "
                  "case-sensitive on Lambda")
    return (
        f"Handler '{handler}': module {analysis.module_name} not found; looked for {files}; "
        "create the module or fix Handler"
    )


@hookimpl
def sam_fastapi_register_checks() -> list[HandlerModuleMissing]:
    return [HandlerModuleMissing()]
