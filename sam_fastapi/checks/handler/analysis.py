"""The analysis of one function's ``Handler``, shared by the rules SF301-SF305.

How a Handler resolves (``awslambdaric``: ``module, attribute = Handler.rsplit(".", 1)``, then
``importlib.import_module(module.replace("/", "."))``): the module is found as Lambda's runtime
finds it (``pysource.finder``), its syntax read with ``ast`` and what ``handler`` is worked out
from the syntax trees (``pysource.values``), never importing it. What the analysis cannot see
through is "unknown", and unknown is never reported.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.functions import module_finder, new_analyser, uses_web_adapter
from sam_fastapi.findings import Location
from sam_fastapi.pysource import (
    ASGI_PACKAGES,
    Analyser,
    Loaded,
    Module,
    Scope,
    SourceError,
    Value,
    own_nodes,
    python_version,
    walk,
)
from sam_fastapi.template.model import Function, Project

# -- verdicts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Whether a handler is a Mangum-wrapped ASGI app: "ok", "not" (saying what it is), "unknown".

    ``per_invocation`` lists the ``Mangum(...)`` calls a handler function makes on every call.
    """

    status: Literal["ok", "not", "unknown"]
    what: str = ""
    per_invocation: tuple[Location, ...] = ()




class Judge:
    """Decides whether a value is a handler Lambda can call: a Mangum object wrapping an app,
    or a function passing (event, context) on to one."""

    def __init__(self, analyser: Analyser) -> None:
        self.analyser = analyser
        self._verdicts: dict[int, Verdict] = {}

    # verdicts

    def judge(self, value: Value) -> Verdict:
        if value.kind == "mangum":
            app = value.app
            if app is None:
                return Verdict("not", "a Mangum object without an app")
            if app.kind in ("app", "unknown", "external"):
                return Verdict("ok")
            return Verdict("not", f"a Mangum object wrapping {app.what}, not a FastAPI or "
                                  "Starlette app")
        if value.kind == "function":
            if isinstance(value.node, ast.AsyncFunctionDef):
                return Verdict("not", f"{value.what}, which is async (Lambda's Python runtime "
                                      "does not await handlers)")
            return self._judge_function(value)
        if value.kind in ("unknown", "external"):
            return Verdict("unknown")
        if value.kind == "app":
            return Verdict("not", f"the app {value.what} itself, not wrapped in Mangum")
        if value.kind == "mangum_class":
            return Verdict("not", "the Mangum class itself, not a Mangum(app) object")
        return Verdict("not", value.what)

    def _judge_function(self, function: Value) -> Verdict:
        """A handler function is fine when it passes (event, context) on to a Mangum object."""
        node = function.node
        key = id(node)
        if key in self._verdicts:
            return self._verdicts[key]
        self._verdicts[key] = Verdict("unknown")
        scope = self.analyser.function_scope(function)
        verdict = self._judge_body(function, scope)
        self._verdicts[key] = verdict
        return verdict

    def _judge_body(self, function: Value, scope: Scope) -> Verdict:
        node = function.node
        if not isinstance(node, ast.FunctionDef | ast.Lambda):
            return Verdict("unknown")
        positional = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
        if len(positional) < 2 and node.args.vararg is None:
            return Verdict("not", f"{function.what}, which does not take Lambda's "
                                  "(event, context) arguments")
        wanted = set(positional[:2])
        body = [node.body] if isinstance(node, ast.Lambda) else node.body
        stored = _stored_calls(body, scope.globals)
        file = str(scope.loaded.module.file)
        per_invocation: list[Location] = []
        statuses: set[str] = set()
        for call in own_nodes(body):
            if not isinstance(call, ast.Call):
                continue
            callee = self.analyser.evaluate(call.func, scope)
            if callee.kind == "mangum_class" and id(call) not in stored:
                per_invocation.append(Location(file, call.lineno, call.col_offset + 1))
            if not wanted <= _names_passed(call):
                continue
            if callee.kind == "mangum":
                statuses.add("ok")
            elif callee.kind == "function" and callee.node is not None:
                delegate = self.judge(callee)
                per_invocation.extend(delegate.per_invocation)
                statuses.add(delegate.status)
            elif callee.kind == "unknown" or (
                callee.kind == "external" and not callee.dotted.startswith("builtins.")
            ):
                statuses.add("unknown")
        found = tuple(dict.fromkeys(per_invocation))
        if "ok" in statuses:
            return Verdict("ok", per_invocation=found)
        if "unknown" in statuses:
            return Verdict("unknown", per_invocation=found)
        return Verdict("not", f"{function.what}, which never passes (event, context) to a "
                              "Mangum object", found)



def _stored_calls(body: Sequence[ast.AST], global_names: frozenset[str]) -> set[int]:
    """Calls whose result is kept past the call (in a global, an attribute, a dict), as in
    ``_h = _h or Mangum(app)``: built once and reused, not per invocation."""
    stored: set[int] = set()
    for node in own_nodes(body):
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if all(
            isinstance(t, ast.Attribute | ast.Subscript)
            or (isinstance(t, ast.Name) and t.id in global_names)
            for t in targets
        ):
            stored.update(id(n) for n in walk(node.value) if isinstance(n, ast.Call))
    return stored


def _names_passed(call: ast.Call) -> set[str]:
    arguments = [*call.args, *(k.value for k in call.keywords)]
    return {a.id for a in arguments if isinstance(a, ast.Name)}



# -- the analysis of one function's handler ----------------------------------------------------


@dataclass(frozen=True)
class HandlerAnalysis:
    """Everything the handler rules report about one function."""

    function: Function
    handler: str
    module_name: str | None  # None when the Handler is not "module.attribute"
    attribute: str | None
    module: Module | None  # None when not found
    looked_for: tuple[Path, ...] = ()
    same_but_case: Path | None = None  # what a case-insensitive file system would import
    web_adapter: bool = False
    script: Path | None = None  # the Web Adapter's startup script, when the Handler names one
    syntax_errors: tuple[SourceError, ...] = ()
    defined: bool | None = None  # None: cannot tell (unparsable, compiled, star import)
    definition: Location | None = None  # the last binding of the attribute in the module
    imports_asgi: bool = False  # the module imports Mangum, FastAPI or Starlette somewhere
    verdict: Verdict = field(default_factory=lambda: Verdict("unknown"))

    @property
    def handler_path(self) -> tuple[str, ...]:
        """Where the template sets the Handler (the runner falls back to the resource when it
        comes from Globals)."""
        return ("Resources", self.function.logical_id, "Properties", "Handler")


def analyse(project: Project, function: Function, ctx: CheckContext) -> HandlerAnalysis:
    """Find, parse and classify ``function``'s handler, never importing it.

    The five handler rules ask for the same analysis in one lint run: it is made once per run
    (``ctx.memo``).
    """
    return ctx.memo.get(("handler-analysis", function.logical_id),
                        lambda: _analyse(project, function, ctx))


def _analyse(project: Project, function: Function, ctx: CheckContext) -> HandlerAnalysis:
    handler = str(function.handler)
    module_name, _, attribute = handler.rpartition(".")
    module_name = module_name.replace("/", ".")
    finder = module_finder(project, function, ctx)
    module = finder.find(module_name) if module_name and attribute else None
    base = HandlerAnalysis(function, handler, module_name or None, attribute or None, module)
    if uses_web_adapter(function):
        script = function.code_dir / handler if function.code_dir is not None else None
        return replace(base, web_adapter=True,
                       script=script if script is not None and script.is_file() else None)
    if base.module_name is None or base.attribute is None:
        return base
    if module is None:
        return replace(base, looked_for=finder.candidates(base.module_name),
                       same_but_case=finder.same_but_case(base.module_name))
    analyser = new_analyser(finder, ctx)
    try:
        loaded = analyser.load(module)
        defined, definition, verdict = _classify(analyser, loaded, base.attribute)
        analyser.load_imports(loaded)
    except RecursionError:
        defined, definition, verdict = None, None, Verdict("unknown")
    scope = analyser.load(module).scope
    imports_asgi = scope is not None and _imports_asgi(scope.body)
    errors = tuple(analyser.errors.values())
    version = python_version(function.runtime)
    if version is not None and version > sys.version_info[:2]:
        errors = tuple(e for e in errors if not e.newer_grammar)
    return replace(base, syntax_errors=errors, defined=defined, definition=definition,
                   verdict=verdict, imports_asgi=imports_asgi)


def _imports_asgi(body: Sequence[ast.stmt]) -> bool:
    for node in (n for stmt in body for n in walk(stmt)):
        if isinstance(node, ast.Import):
            if any(a.name.partition(".")[0] in ASGI_PACKAGES for a in node.names):
                return True
        elif (
            isinstance(node, ast.ImportFrom)
            and not node.level
            and (node.module or "").partition(".")[0] in ASGI_PACKAGES
        ):
            return True
    return False


def _classify(analyser: Analyser, loaded: Loaded,
              attribute: str) -> tuple[bool | None, Location | None, Verdict]:
    scope = loaded.scope
    if scope is None:
        namespace = loaded.module.file is None and not loaded.module.compiled
        return (False if namespace else None), None, Verdict("unknown")
    sites = scope.sites(attribute)
    if not sites:
        unknowable = scope.star_import or bool(scope.sites("__getattr__"))
        return (None if unknowable else False), None, Verdict("unknown")
    judge = Judge(analyser)
    verdicts = [judge.judge(analyser.site_value(site)) for site in sites]
    fine = [v for v in verdicts if v.status == "ok"]
    if fine:
        per_invocation = tuple(dict.fromkeys(p for v in fine for p in v.per_invocation))
        verdict = Verdict("ok", per_invocation=per_invocation)
    elif any(v.status == "unknown" for v in verdicts):
        verdict = Verdict("unknown", per_invocation=tuple(
            dict.fromkeys(p for v in verdicts for p in v.per_invocation)))
    else:
        verdict = verdicts[-1]
    return True, sites[-1].location, verdict

