"""Which functions run Python code of the project, and how they are served."""

from __future__ import annotations

from sam_fastapi.checks.base import CheckContext
from sam_fastapi.pysource import Analyser, ModuleFinder, ModuleScopes, lambda_sys_path
from sam_fastapi.template.model import Function, Project
from sam_fastapi.webadapter import uses_web_adapter

__all__ = ["module_finder", "module_scopes", "new_analyser", "python_functions",
           "uses_web_adapter"]


def python_functions(project: Project, ctx: CheckContext) -> tuple[Function, ...]:
    """Python zip functions with a local code folder and a string Handler, found once per run
    (most checks ask).

    Image functions, code in S3 or given by an intrinsic, and missing folders (SF102) are left out.
    """
    return ctx.memo.get("python-functions", lambda: tuple(
        function for function in project.functions.values()
        if function.package_type != "Image"
        and function.is_python
        and function.code_dir is not None
        and isinstance(function.handler, str)
        and ctx.folders.is_dir(function.code_dir)
    ))


def module_finder(project: Project, function: Function, ctx: CheckContext) -> ModuleFinder:
    """The finder of ``function``'s modules on its Lambda ``sys.path``, one per run: the
    handler, route and dependency rules look up the same modules."""
    return ctx.memo.get(("module-finder", function.logical_id), lambda: ModuleFinder(
        lambda_sys_path(project, function), project.project_root, folders=ctx.folders))


def module_scopes(ctx: CheckContext) -> ModuleScopes:
    """The scopes of the modules read in this run, shared by every analysis of it."""
    return ctx.memo.get("module-scopes", ModuleScopes)


def new_analyser(finder: ModuleFinder, ctx: CheckContext) -> Analyser:
    """A new analysis on ``finder``'s modules that reads each module as the run's others do."""
    return Analyser(finder, scopes=module_scopes(ctx))
