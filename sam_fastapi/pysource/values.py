"""What names and expressions are bound to, followed across the modules of one function's code.

Decided conservatively: anything the analysis cannot see through (a third-party import, a
parameter, a star import, a module it could not parse) is "unknown", and unknown is never
reported. Mangum objects and ASGI apps are told apart from everything else, since that is what
the handler and route rules ask about.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sam_fastapi.pysource.finder import Module, ModuleFinder
from sam_fastapi.pysource.imports import absolute_module, load_time_imports
from sam_fastapi.pysource.parsing import SourceError, parse_module
from sam_fastapi.pysource.scopes import Loaded, ModuleScopes, Scope, Site, own_nodes

#: How many imports deep a name is followed (``from a import x`` where ``a`` imports ``x`` ...).
MAX_IMPORT_DEPTH = 8
#: How many modules one function's analysis may read (the dependency and route rules too).
MAX_MODULES = 256

MANGUM = frozenset({"mangum.Mangum", "mangum.adapter.Mangum"})
ASGI_APPS = frozenset(
    {"fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"}
)
#: Known things that are not an ASGI app Mangum could serve, by what calling them makes.
NOT_APPS = {
    "flask.Flask": "a Flask app (WSGI, and Mangum serves ASGI apps only)",
    "fastapi.APIRouter": "an APIRouter (include it in a FastAPI app and wrap the app)",
    "fastapi.routing.APIRouter": "an APIRouter (include it in a FastAPI app and wrap the app)",
}
#: Never followed into, even when vendored into CodeUri: their names above are what counts.
KNOWN_PACKAGES = frozenset({"mangum", "fastapi", "starlette", "flask"})
#: A handler module importing one of these is meant to serve an ASGI app.
ASGI_PACKAGES = frozenset({"mangum", "fastapi", "starlette"})


# -- what names are bound to -------------------------------------------------------------------

Kind = Literal[
    "mangum",  # a Mangum(...) object
    "mangum_class",
    "app",  # a FastAPI/Starlette application (or middleware wrapping one)
    "app_class",
    "function",  # a def or lambda of the user's code
    "class",
    "instance",  # an instance of a class of the user's code
    "module",  # a module of the user's code
    "external",  # something from outside the code (a third-party or stdlib name)
    "unknown",
    "other",  # something known not to be any of the above: None, a list, an undefined name...
]
_PREFERENCE: tuple[Kind, ...] = (
    "mangum", "app", "function", "mangum_class", "app_class", "unknown", "external", "module",
    "class", "instance", "other",
)


@dataclass(frozen=True, eq=False)
class Value:
    """What an expression evaluates to, as far as the syntax tree tells."""

    kind: Kind
    what: str  # how a message names it: "None", "the function make()", "flask.Flask"...
    node: ast.AST | None = None  # the def or lambda, for functions and classes
    scope: Scope | None = None  # where ``node`` was defined
    module: Module | None = None
    dotted: str = ""
    app: Value | None = None  # for a Mangum object: what it wraps


UNKNOWN = Value("unknown", "something the analysis cannot see through")


class Analyser:
    """Evaluates names and expressions across the modules of one function's code."""

    _IN_PROGRESS = Value("unknown", "a circular definition")

    def __init__(self, finder: ModuleFinder, *, scopes: ModuleScopes | None = None) -> None:
        """``scopes``: the module scopes of a lint run, shared with its other analyses."""
        self.finder = finder
        self.scopes = scopes if scopes is not None else ModuleScopes()
        self.errors: dict[Path, SourceError] = {}
        self._loaded: dict[Module, Loaded] = {}
        self._site_values: dict[int, Value] = {}
        self._returns: dict[int, Value] = {}
        self._function_scopes: dict[int, Scope] = {}
        self._depth = 0

    # modules

    @property
    def loaded_modules(self) -> list[Loaded]:
        """Every module read so far, in the order it was first read."""
        return list(self._loaded.values())

    def load(self, module: Module) -> Loaded:
        if module in self._loaded:
            return self._loaded[module]
        if len(self._loaded) >= MAX_MODULES:
            return Loaded(module)
        for init in module.runs_first:
            self._parse(init)
        tree = self._parse(module.file) if module.file is not None else None
        loaded = self.scopes.loaded(module, tree) if tree is not None else Loaded(module)
        self._loaded[module] = loaded
        return loaded

    def _parse(self, path: Path) -> ast.Module | None:
        result = parse_module(path)
        if isinstance(result, SourceError):
            self.errors.setdefault(path, result)
            return None
        return result

    def load_imports(self, loaded: Loaded) -> None:
        """Read every local module ``loaded`` imports at module level, and theirs: importing
        the handler runs them all, so their syntax errors break it too."""
        pending = [loaded]
        seen = {loaded.module}
        while pending and len(self._loaded) < MAX_MODULES:
            current = pending.pop()
            if current.scope is None:
                continue
            for found in load_time_imports(current.scope.body, current.module):
                dotted = found.name
                if dotted.partition(".")[0] in KNOWN_PACKAGES:
                    continue
                module = self.finder.find(dotted)
                if module is not None and module not in seen:
                    seen.add(module)
                    pending.append(self.load(module))

    def attribute_of(self, module: Module, name: str) -> Value:
        if self._depth >= MAX_IMPORT_DEPTH:
            return UNKNOWN
        self._depth += 1
        try:
            return self._attribute_of(module, name)
        finally:
            self._depth -= 1

    def _attribute_of(self, module: Module, name: str) -> Value:
        loaded = self.load(module)
        scope = loaded.scope
        sites = scope.sites(name) if scope is not None else []
        if sites:
            return self.best(self.site_value(site) for site in sites)
        if module.is_package:
            submodule = self.finder.find(f"{module.name}.{name}")
            if submodule is not None:
                return Value("module", f"the module {submodule.name}", module=submodule)
        if scope is None or scope.star_import or scope.sites("__getattr__"):
            return UNKNOWN
        return Value("other", f"'{name}', which module {module.name} does not define")

    # names

    def site_value(self, site: Site) -> Value:
        key = id(site)
        if key in self._site_values:
            return self._site_values[key]
        self._site_values[key] = self._IN_PROGRESS
        value = self._site_value(site)
        self._site_values[key] = value
        return value

    def _site_value(self, site: Site) -> Value:
        if site.kind == "value" and site.expr is not None:
            return self.evaluate(site.expr, site.scope)
        if site.kind == "def":
            return self._definition(site)
        if site.kind == "import":
            return self._import(site.name)
        if site.kind == "from" and isinstance(site.stmt, ast.ImportFrom):
            return self._import_from(site.stmt, site.name, site.scope)
        return UNKNOWN

    def _definition(self, site: Site) -> Value:
        node = site.stmt
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                kind = self.evaluate(base, site.scope).kind
                if kind in ("mangum_class", "app_class"):
                    return Value(kind, f"the class {node.name}", node, site.scope)
            return Value("class", f"the class {node.name}", node, site.scope)
        name = getattr(node, "name", "?")
        return Value("function", f"the function {name}()", node, site.scope)

    def _import(self, dotted: str) -> Value:
        if dotted.partition(".")[0] in KNOWN_PACKAGES:
            return _external(dotted)
        module = self.finder.find(dotted)
        if module is None:
            return _external(dotted)
        return Value("module", f"the module {dotted}", module=module)

    def _import_from(self, stmt: ast.ImportFrom, name: str, scope: Scope) -> Value:
        target = absolute_module(stmt, scope.loaded.module)
        if target is None:
            return UNKNOWN
        if target.partition(".")[0] in KNOWN_PACKAGES:
            return _external(f"{target}.{name}")
        module = self.finder.find(target)
        if module is None:
            return UNKNOWN if stmt.level else _external(f"{target}.{name}")
        return self.attribute_of(module, name)

    def lookup(self, name: str, scope: Scope) -> Value:
        current: Scope | None = scope
        while current is not None:
            if name in current.globals:
                current = scope.loaded.scope
                continue
            if name in current.params:
                return Value("unknown", f"the parameter {name}")
            sites = current.sites(name)
            if sites:
                return self.best(self.site_value(site) for site in sites)
            current = current.parent
        module_scope = scope.loaded.scope
        if module_scope is not None and module_scope.star_import:
            return UNKNOWN
        if hasattr(builtins, name) or name in ("__file__", "__name__", "__path__"):
            return _external(f"builtins.{name}")
        return Value("other", f"'{name}', which is not defined in module "
                              f"{scope.loaded.module.name}")

    # expressions

    def evaluate(self, expr: ast.expr, scope: Scope) -> Value:
        if isinstance(expr, ast.Constant):
            if expr.value is None:
                return Value("other", "None")
            return Value("other", f"the constant {_short(repr(expr.value))}")
        if isinstance(expr, ast.Name):
            return self.lookup(expr.id, scope)
        if isinstance(expr, ast.Attribute):
            return self._attribute(expr, scope)
        if isinstance(expr, ast.Call):
            return self._call(expr, scope)
        if isinstance(expr, ast.Lambda):
            return Value("function", "a lambda", expr, scope)
        if isinstance(expr, ast.NamedExpr):
            return self.evaluate(expr.value, scope)
        if isinstance(expr, ast.IfExp):
            return self.best([self.evaluate(expr.body, scope), self.evaluate(expr.orelse, scope)])
        if isinstance(expr, ast.BoolOp):
            return self.best(self.evaluate(value, scope) for value in expr.values)
        literal = _LITERALS.get(type(expr))
        if literal is not None:
            return Value("other", literal)
        return UNKNOWN

    def _attribute(self, expr: ast.Attribute, scope: Scope) -> Value:
        base = self.evaluate(expr.value, scope)
        if base.kind == "module" and base.module is not None:
            return self.attribute_of(base.module, expr.attr)
        if base.kind in ("external", "mangum_class", "app_class") and base.dotted:
            return _external(f"{base.dotted}.{expr.attr}")
        return UNKNOWN

    def _call(self, call: ast.Call, scope: Scope) -> Value:
        callee = self.evaluate(call.func, scope)
        if callee.kind == "mangum_class":
            app = self.app_argument(call, scope)
            return Value("mangum", "a Mangum object", call, scope, app=app)
        if callee.kind == "app_class":
            name = callee.dotted.rpartition(".")[2] or getattr(callee.node, "name", "")
            return Value("app", f"{name}(...)", call, scope)
        if callee.kind == "function" and callee.node is not None:
            if isinstance(callee.node, ast.AsyncFunctionDef):
                return Value("other", f"a coroutine of {callee.what}")
            return self.returned(callee)
        if callee.kind == "mangum":
            return Value("other", "the result of calling a Mangum object")
        wrapped = self._wrapped_app(call, scope)
        if wrapped is not None:
            return wrapped
        if callee.kind == "class" and isinstance(callee.node, ast.ClassDef):
            if any(isinstance(n, ast.FunctionDef) and n.name == "__call__"
                   for n in callee.node.body):
                return UNKNOWN  # a callable object may well delegate to Mangum
            return Value("instance", f"an instance of {callee.node.name}", callee.node,
                         callee.scope)
        if callee.kind == "external" and callee.dotted in NOT_APPS:
            return Value("other", NOT_APPS[callee.dotted])
        if callee.kind in ("other", "instance"):
            return Value("other", f"a call of {callee.what}")
        return UNKNOWN

    def app_argument(self, call: ast.Call, scope: Scope) -> Value | None:
        """What a call gets as its ASGI app (first argument or ``app=``); None when nothing."""
        for keyword in call.keywords:
            if keyword.arg == "app":
                return self.evaluate(keyword.value, scope)
        if call.args and not isinstance(call.args[0], ast.Starred):
            return self.evaluate(call.args[0], scope)
        if call.args or any(keyword.arg is None for keyword in call.keywords):
            return UNKNOWN  # *args or **kwargs may carry it
        return None

    def _wrapped_app(self, call: ast.Call, scope: Scope) -> Value | None:
        """ASGI middleware built around an app (``CORSMiddleware(app, ...)``) is an app too.

        Only what is named like middleware: any other call given an app (a third-party
        ``make_handler(app)``) may return anything, a Lambda handler included.
        """
        func = call.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if "middleware" not in name.lower():
            return None
        argument = self.app_argument(call, scope)
        if argument is not None and argument.kind == "app":
            return Value("app", f"{name} around {argument.what}", call, scope)
        return None

    def returned(self, function: Value) -> Value:
        """What calling a user function returns: the best of its ``return`` values."""
        node = function.node
        key = id(node)
        if key in self._returns:
            return self._returns[key]
        self._returns[key] = self._IN_PROGRESS
        scope = self.function_scope(function)
        if isinstance(node, ast.Lambda):
            value = self.evaluate(node.body, scope)
        else:
            returns = [n.value for n in own_nodes(getattr(node, "body", []))
                       if isinstance(n, ast.Return) and n.value is not None]
            value = (self.best(self.evaluate(r, scope) for r in returns) if returns
                     else Value("other", f"None (what {function.what} returns)"))
        self._returns[key] = value
        return value

    def function_scope(self, function: Value) -> Scope:
        node = function.node
        assert function.scope is not None and node is not None
        key = id(node)
        if key not in self._function_scopes:
            body = [node.body] if isinstance(node, ast.Lambda) else getattr(node, "body", [])
            self._function_scopes[key] = Scope(function.scope.loaded, body, function.scope, node)
        return self._function_scopes[key]

    @staticmethod
    def best(values: Iterable[Value]) -> Value:
        chosen = list(values)
        if not chosen:
            return UNKNOWN
        return min(chosen, key=lambda v: _PREFERENCE.index(v.kind))

def _external(dotted: str) -> Value:
    if dotted in MANGUM:
        return Value("mangum_class", "the Mangum class", dotted=dotted)
    if dotted in ASGI_APPS:
        return Value("app_class", f"the class {dotted}", dotted=dotted)
    return Value("external", dotted, dotted=dotted)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_LITERALS: dict[type, str] = {
    ast.JoinedStr: "a string",
    ast.List: "a list",
    ast.ListComp: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
    ast.DictComp: "a dict",
    ast.Set: "a set",
    ast.SetComp: "a set",
    ast.GeneratorExp: "a generator",
    ast.BinOp: "the result of an operator",
    ast.Compare: "a bool",
}

