"""Static analysis of a Python function's ``Handler``, shared by the rules SF301-SF305.

lint never imports the user's code: modules are found on disk the way Lambda's Python runtime
finds them and read with ``ast``; what ``handler`` is gets worked out from the syntax trees.

How a Handler resolves (``awslambdaric``: ``module, attribute = Handler.rsplit(".", 1)``, then
``importlib.import_module(module.replace("/", "."))``):

* ``sys.path`` on Lambda is ``/var/task`` (the function's CodeUri), then
  ``/opt/python/lib/pythonX.Y/site-packages`` and ``/opt/python``, where every layer is unpacked,
  later layers over earlier ones. A local layer contributes ``ContentUri/python`` and its
  ``lib/pythonX.Y/site-packages``; built with a ``pythonX.Y`` BuildMethod, ``sam build`` puts
  ``ContentUri`` itself under ``python/``. Layers given by ARN cannot be seen and are not searched.
* Each dotted part is looked up as the import system does: a folder with ``__init__.py`` (a
  package) wins over ``name.py``, which wins over a folder without ``__init__.py`` (a namespace
  package, possibly spread over several path entries). Names match case-sensitively, as on
  Lambda's file system, even where the local one is case-insensitive.
* Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` first, so their syntax
  errors break the handler too.

What ``handler`` is gets decided conservatively: anything the analysis cannot see through (a
third-party import, a parameter, a star import, a module it could not parse) is "unknown", and
unknown is never reported.
"""

from __future__ import annotations

import ast
import builtins
import os
import re
import sys
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from sam_fastapi import paths
from sam_fastapi.findings import Location
from sam_fastapi.template.model import Function, Intrinsic, Project

#: Larger files are generated code or data; skipping them costs a finding, never a hang.
MAX_SOURCE_BYTES = 2 * 1024 * 1024
#: How many imports deep a name is followed (``from a import x`` where ``a`` imports ``x`` ...).
MAX_IMPORT_DEPTH = 8
#: How many modules one handler's analysis may read.
MAX_MODULES = 64

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

#: The AWS Lambda Web Adapter layer (commercial and China partitions, x86_64 and arm64). The
#: region is often ``${AWS::Region}`` in a ``!Sub``, hence the loose middle.
WEB_ADAPTER_LAYER = re.compile(
    r"^arn:aws[\w-]*:lambda:.*:(?:753240598075|041581134020|069767869989):layer:"
    r"LambdaAdapterLayer(?:X86|Arm64)(?::|$)"
)
WEB_ADAPTER_WRAPPER = "/opt/bootstrap"


# -- which functions ---------------------------------------------------------------------------


def python_functions(project: Project) -> Iterator[Function]:
    """Python zip functions with a local code folder and a string Handler.

    Image functions, code in S3 or given by an intrinsic, and missing folders (SF102) are left out.
    """
    for function in project.functions.values():
        folder = function.code_dir
        if (
            function.package_type == "Image"
            or not function.is_python
            or folder is None
            or not isinstance(function.handler, str)
            or not folder.is_dir()
        ):
            continue
        yield function


def uses_web_adapter(function: Function) -> bool:
    """The function runs behind the Lambda Web Adapter: its layer, or its exec wrapper."""
    if function.environment.get("AWS_LAMBDA_EXEC_WRAPPER") == WEB_ADAPTER_WRAPPER:
        return True
    return any(WEB_ADAPTER_LAYER.search(_arn_text(ref.arn)) for ref in function.layers)


def _arn_text(arn: object) -> str:
    if isinstance(arn, str):
        return arn
    if isinstance(arn, Intrinsic) and arn.function == "Fn::Sub":
        argument = arn.argument
        if isinstance(argument, list) and argument:
            argument = argument[0]
        return argument if isinstance(argument, str) else ""
    return ""


def python_version(runtime: object) -> tuple[int, int] | None:
    match = re.fullmatch(r"python(\d+)\.(\d+)", runtime) if isinstance(runtime, str) else None
    return (int(match[1]), int(match[2])) if match else None


# -- parsing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceError:
    """A module Python cannot compile: where, and Python's own message.

    ``newer_grammar`` marks errors on lines that use syntax later Pythons extended (type
    parameters, ``type`` aliases, f- and t-strings, ``except`` without parentheses): a runtime
    newer than the Python running lint may well accept them.
    """

    location: Location
    message: str
    newer_grammar: bool = False


_NEWER_GRAMMAR = re.compile(
    r"^\s*type\s+\w+"
    r"|^\s*(?:async\s+)?(?:def|class)\s+\w+\s*\["
    r"|(?<![\w'\"])(?:[rR]?[fFtT]|[fFtT][rR])['\"]"
    r"|^\s*except\*?\s+[^:(]+,"
)


_ParseResult = ast.Module | SourceError | None
#: Source bytes whose trees are kept: every function of a 200-function project (a few files of
#: a few kB each) fits, so the checks that each walk all functions parse every file once.
_PARSE_CACHE_BYTES = 8 * 1024 * 1024
_parsed: OrderedDict[tuple[str, int, int], _ParseResult] = OrderedDict()
_parsed_bytes = 0
_parsed_lock = threading.Lock()


def parse_module(path: Path) -> _ParseResult:
    """The syntax tree of ``path``, its syntax error, or None when it cannot be read or is huge.

    Cached by path, mtime and size: the handler, route and dependency rules each ask for the
    same files, from their own threads.
    """
    global _parsed_bytes
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _parsed_lock:
        if key in _parsed:
            _parsed.move_to_end(key)
            return _parsed[key]
    result = _parse(path, stat.st_size)
    with _parsed_lock:
        if key not in _parsed:
            _parsed[key] = result
            _parsed_bytes += stat.st_size
        while _parsed_bytes > _PARSE_CACHE_BYTES and len(_parsed) > 1:
            (_, _, size), _ = _parsed.popitem(last=False)
            _parsed_bytes -= size
    return result


def _parse(path: Path, size: int) -> _ParseResult:
    if size > MAX_SOURCE_BYTES:
        return None
    try:
        source = path.read_bytes()
    except OSError:
        return None
    if b"\0" in source:
        line = source.count(b"\n", 0, source.index(b"\0")) + 1
        message = "SyntaxError: source code cannot contain null bytes"
        return SourceError(Location(str(path), line), message)
    try:
        # Bytes, not text: the compiler then decodes them as import does (BOM, PEP 263 cookie).
        return ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        location = Location(str(path), max(exc.lineno or 1, 1), max(exc.offset or 1, 1))
        newer = bool(_NEWER_GRAMMAR.search(exc.text or ""))
        return SourceError(location, f"{type(exc).__name__}: {exc.msg}", newer)
    except (ValueError, RecursionError, MemoryError):
        return None


# -- finding modules ---------------------------------------------------------------------------

#: One ``sys.path`` entry: several folders when layers are unpacked over each other into /opt.
SearchEntry = tuple[Path, ...]


@dataclass(frozen=True)
class Module:
    """A module as the import system would find it."""

    name: str
    file: Path | None  # the .py source; None for a namespace package or a compiled module
    package_path: tuple[SearchEntry, ...] = ()  # where its submodules are; empty for a module
    compiled: bool = False
    runs_first: tuple[Path, ...] = ()  # the parent packages' __init__.py, run before it

    @property
    def is_package(self) -> bool:
        return bool(self.package_path)

    @property
    def package(self) -> str:
        """The package relative imports start from (``__package__``)."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


def lambda_sys_path(project: Project, function: Function) -> tuple[SearchEntry, ...]:
    """The local folders that stand for Lambda's ``sys.path`` of ``function``, in order."""
    version = python_version(function.runtime)
    site_packages: list[Path] = []
    opt_python: list[Path] = []
    for layer in project.function_layers(function):
        folder = layer.content_dir
        if folder is None:
            continue
        if layer.build_method and layer.build_method.startswith("python"):
            opt_python.append(folder)
            continue
        if version:
            site_packages.append(
                folder / "python" / "lib" / f"python{version[0]}.{version[1]}" / "site-packages"
            )
        opt_python.append(folder / "python")
    entries: list[SearchEntry] = []
    if function.code_dir is not None:
        entries.append((function.code_dir,))
    entries.extend(entry for entry in (tuple(site_packages), tuple(opt_python)) if entry)
    return tuple(entries)


class ModuleFinder:
    """Finds modules on a ``sys.path`` of local folders, without importing anything.

    With a ``boundary`` (the project root), a file or folder whose symlinks lead out of it, or
    loop, is taken as absent: it is never read (SF103's promise).
    """

    def __init__(self, sys_path: Sequence[SearchEntry], boundary: Path | None = None) -> None:
        self.sys_path = tuple(sys_path)
        self._listings: dict[Path, frozenset[str]] = {}
        self._boundary = boundary.resolve() if boundary is not None else None

    def find(self, dotted: str) -> Module | None:
        parts = dotted.split(".")
        if not all(parts):
            return None
        entries = self.sys_path
        runs_first: list[Path] = []
        module: Module | None = None
        for index, part in enumerate(parts):
            if module is not None:
                if not module.is_package:
                    return None
                if module.file is not None:
                    runs_first.append(module.file)
                entries = module.package_path
            module = self._find_part(".".join(parts[: index + 1]), part, entries, tuple(runs_first))
            if module is None:
                return None
        return module

    def candidates(self, dotted: str) -> tuple[Path, ...]:
        """The two files the first path entry (CodeUri) could hold ``dotted`` in."""
        if not self.sys_path:
            return ()
        base = self.sys_path[0][0].joinpath(*dotted.split("."))
        return base.with_name(base.name + ".py"), base / "__init__.py"

    def same_but_case(self, dotted: str) -> Path | None:
        """A file in CodeUri that would be ``dotted`` on a case-insensitive file system."""
        if not self.sys_path:
            return None
        return self._alike(self.sys_path[0][0], dotted.split("."))

    def _alike(self, folder: Path, parts: list[str]) -> Path | None:
        part, rest = parts[0].lower(), parts[1:]
        names = sorted(self._names(folder))
        if not rest:
            for name in names:
                if name.lower() == f"{part}.py" and self._has(folder, name):
                    return folder / name
        for name in names:
            if name.lower() == part and self._has(folder, name, folder=True):
                found = (self._alike(folder / name, rest) if rest
                         else self._alike(folder / name, ["__init__"]))
                if found is not None:
                    return found
        return None

    def _find_part(
        self, name: str, part: str, entries: Iterable[SearchEntry], runs_first: tuple[Path, ...]
    ) -> Module | None:
        portions: list[SearchEntry] = []
        for entry in entries:
            folders = tuple(d / part for d in entry if self._has(d, part, folder=True))
            inits = [f / "__init__.py" for f in folders if self._has(f, "__init__.py")]
            if inits:
                return Module(name, inits[-1], (folders,), runs_first=runs_first)
            sources = [d / f"{part}.py" for d in entry if self._has(d, f"{part}.py")]
            if sources:
                return Module(name, sources[-1], runs_first=runs_first)
            if any(self._compiled(d, part) for d in entry):
                return Module(name, None, compiled=True, runs_first=runs_first)
            if folders:
                portions.append(folders)
        if portions:
            return Module(name, None, tuple(portions), runs_first=runs_first)
        return None

    def _names(self, folder: Path) -> frozenset[str]:
        if folder not in self._listings:
            try:
                self._listings[folder] = frozenset(os.listdir(folder))
            except OSError:
                self._listings[folder] = frozenset()
        return self._listings[folder]

    def _has(self, directory: Path, name: str, *, folder: bool = False) -> bool:
        if name not in self._names(directory):
            return False
        path = directory / name
        if self._boundary is not None:
            target = paths.resolved(path)
            if target is None or not target.is_relative_to(self._boundary):
                return False
        return path.is_dir() if folder else path.is_file()

    def _compiled(self, folder: Path, part: str) -> bool:
        return any(
            n == f"{part}.pyc" or (n.startswith(f"{part}.") and n.endswith((".so", ".pyd")))
            for n in self._names(folder)
        )


# -- what names are bound to -------------------------------------------------------------------

Kind = Literal[
    "mangum",  # a Mangum(...) object
    "mangum_class",
    "app",  # a FastAPI/Starlette application (or middleware wrapping one)
    "app_class",
    "function",  # a def or lambda of the user's code
    "class",
    "module",  # a module of the user's code
    "external",  # something from outside the code (a third-party or stdlib name)
    "unknown",
    "other",  # something known not to be any of the above: None, a list, an undefined name...
]
_PREFERENCE: tuple[Kind, ...] = (
    "mangum", "app", "function", "mangum_class", "app_class", "unknown", "external", "module",
    "class", "other",
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


_UNKNOWN = Value("unknown", "something the analysis cannot see through")


@dataclass(frozen=True, eq=False)
class _Site:
    """One place a name is bound: ``x = ...``, ``def x``, ``import x``, ``from m import x``."""

    kind: Literal["value", "def", "import", "from", "unknown"]
    stmt: ast.stmt
    scope: Scope
    expr: ast.expr | None = None
    name: str = ""  # the module of an import, the imported name of a from-import

    @property
    def location(self) -> Location:
        file = self.scope.loaded.module.file
        return Location(str(file), self.stmt.lineno, self.stmt.col_offset + 1)


@dataclass(eq=False)
class _Loaded:
    module: Module
    scope: Scope | None = None  # None: namespace, compiled, unreadable or not valid Python


class Scope:
    """The names bound in a module or function body (not in nested defs or classes)."""

    def __init__(self, loaded: _Loaded, body: Sequence[ast.stmt], parent: Scope | None,
                 node: ast.AST | None = None) -> None:
        self.loaded = loaded
        self.body = body
        self.parent = parent
        self.params: frozenset[str] = frozenset()
        self.globals: frozenset[str] = frozenset()
        self._sites: dict[str, list[_Site]] | None = None
        self._star_import = False
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            self.params = frozenset(
                a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs,
                                args.vararg, args.kwarg) if a is not None
            )
            self.globals = frozenset(
                name for n in own_nodes(body) if isinstance(n, ast.Global) for name in n.names
            )

    @property
    def is_module(self) -> bool:
        return self.parent is None

    def sites(self, name: str) -> list[_Site]:
        return self._collected().get(name, [])

    @property
    def star_import(self) -> bool:
        """``from x import *`` binds names nobody can list without importing ``x``."""
        self._collected()
        return self._star_import

    def _collected(self) -> dict[str, list[_Site]]:
        if self._sites is None:
            collector = _SiteCollector(self)
            self._sites = collector.collect()
            self._star_import = collector.star_import
        return self._sites


class _SiteCollector:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.sites: dict[str, list[_Site]] = defaultdict(list)
        self.star_import = False

    def collect(self) -> dict[str, list[_Site]]:
        self._visit(self.scope.body)
        for sites in self.sites.values():
            sites.sort(key=lambda s: (s.stmt.lineno, s.stmt.col_offset))
        return dict(self.sites)

    def _add(self, name: str, site: _Site) -> None:
        self.sites[name].append(site)

    def _bind(self, target: ast.expr, value: ast.expr | None, stmt: ast.stmt) -> None:
        if isinstance(target, ast.Name):
            kind = "value" if value is not None else "unknown"
            self._add(target.id, _Site(kind, stmt, self.scope, value))
        elif isinstance(target, ast.Tuple | ast.List):
            values: list[ast.expr | None] = [None] * len(target.elts)
            if (
                isinstance(value, ast.Tuple | ast.List)
                and len(value.elts) == len(target.elts)
                and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))
            ):
                values = list(value.elts)
            for element, element_value in zip(target.elts, values, strict=True):
                self._bind(element, element_value, stmt)
        elif isinstance(target, ast.Starred):
            self._bind(target.value, None, stmt)

    def _visit(self, body: Sequence[ast.stmt]) -> None:
        for stmt in body:
            self._walrus(stmt)
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self._add(stmt.name, _Site("def", stmt, self.scope))
                if self.scope.is_module and not isinstance(stmt, ast.ClassDef):
                    self._globals_set_in(stmt)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    self._bind(target, stmt.value, stmt)
            elif isinstance(stmt, ast.AnnAssign):
                if stmt.value is not None:  # a bare annotation binds nothing
                    self._bind(stmt.target, stmt.value, stmt)
            elif isinstance(stmt, ast.AugAssign):
                self._bind(stmt.target, None, stmt)
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    top = alias.name.partition(".")[0]
                    bound, module = (alias.asname, alias.name) if alias.asname else (top, top)
                    self._add(bound, _Site("import", stmt, self.scope, name=module))
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name == "*":
                        self.star_import = True
                    else:
                        self._add(alias.asname or alias.name,
                                  _Site("from", stmt, self.scope, name=alias.name))
            elif isinstance(stmt, ast.For | ast.AsyncFor):
                self._bind(stmt.target, None, stmt)
                self._visit(stmt.body)
                self._visit(stmt.orelse)
            elif isinstance(stmt, ast.While | ast.If):
                self._visit(stmt.body)
                self._visit(stmt.orelse)
            elif isinstance(stmt, ast.With | ast.AsyncWith):
                for item in stmt.items:
                    if item.optional_vars is not None:
                        self._bind(item.optional_vars, None, stmt)
                self._visit(stmt.body)
            elif isinstance(stmt, ast.Try | getattr(ast, "TryStar", ast.Try)):
                self._visit(stmt.body)
                for handler in stmt.handlers:
                    if handler.name:
                        self._add(handler.name, _Site("unknown", handler, self.scope))
                    self._visit(handler.body)
                self._visit(stmt.orelse)
                self._visit(stmt.finalbody)
            elif isinstance(stmt, ast.Match):
                for case in stmt.cases:
                    for node in ast.walk(case.pattern):
                        name = getattr(node, "name", None) or getattr(node, "rest", None)
                        if isinstance(name, str):
                            self._add(name, _Site("unknown", stmt, self.scope))
                    self._visit(case.body)

    def _walrus(self, stmt: ast.stmt) -> None:
        for _, value in ast.iter_fields(stmt):
            expressions = value if isinstance(value, list) else [value]
            for expression in expressions:
                if not isinstance(expression, ast.expr):
                    continue
                for node in ast.walk(expression):
                    if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
                        self._add(node.target.id, _Site("value", stmt, self.scope, node.value))

    def _globals_set_in(self, function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """``def init(): global handler; handler = ...`` binds the module's ``handler``."""
        declared = {n for node in own_nodes(function.body) if isinstance(node, ast.Global)
                    for n in node.names}
        if not declared:
            return
        inner = _SiteCollector(Scope(self.scope.loaded, function.body, self.scope, function))
        for name, sites in inner.collect().items():
            if name in declared:
                self.sites[name].extend(sites)


def own_nodes(body: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node of ``body``, not descending into nested functions, lambdas or classes."""
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                              | ast.ClassDef):
                stack.append(child)


# -- verdicts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Whether a handler is a Mangum-wrapped ASGI app: "ok", "not" (saying what it is), "unknown".

    ``per_invocation`` lists the ``Mangum(...)`` calls a handler function makes on every call.
    """

    status: Literal["ok", "not", "unknown"]
    what: str = ""
    per_invocation: tuple[Location, ...] = ()


class Analyser:
    """Evaluates names and expressions across the modules of one function's code."""

    _IN_PROGRESS = Value("unknown", "a circular definition")

    def __init__(self, finder: ModuleFinder) -> None:
        self.finder = finder
        self.errors: dict[Path, SourceError] = {}
        self._loaded: dict[Module, _Loaded] = {}
        self._site_values: dict[int, Value] = {}
        self._returns: dict[int, Value] = {}
        self._verdicts: dict[int, Verdict] = {}
        self._function_scopes: dict[int, Scope] = {}
        self._depth = 0

    # modules

    def load(self, module: Module) -> _Loaded:
        if module in self._loaded:
            return self._loaded[module]
        if len(self._loaded) >= MAX_MODULES:
            return _Loaded(module)
        for init in module.runs_first:
            self._parse(init)
        tree = self._parse(module.file) if module.file is not None else None
        loaded = _Loaded(module)
        if tree is not None:
            loaded.scope = Scope(loaded, tree.body, None)
        self._loaded[module] = loaded
        return loaded

    def _parse(self, path: Path) -> ast.Module | None:
        result = parse_module(path)
        if isinstance(result, SourceError):
            self.errors.setdefault(path, result)
            return None
        return result

    def load_imports(self, loaded: _Loaded) -> None:
        """Read every local module ``loaded`` imports at module level, and theirs: importing
        the handler runs them all, so their syntax errors break it too."""
        pending = [loaded]
        seen = {loaded.module}
        while pending and len(self._loaded) < MAX_MODULES:
            current = pending.pop()
            if current.scope is None:
                continue
            for dotted in _imported_at_load(current.scope.body, current.module):
                if dotted.partition(".")[0] in KNOWN_PACKAGES:
                    continue
                module = self.finder.find(dotted)
                if module is not None and module not in seen:
                    seen.add(module)
                    pending.append(self.load(module))

    def attribute_of(self, module: Module, name: str) -> Value:
        if self._depth >= MAX_IMPORT_DEPTH:
            return _UNKNOWN
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
            return self._best(self.site_value(site) for site in sites)
        if module.is_package:
            submodule = self.finder.find(f"{module.name}.{name}")
            if submodule is not None:
                return Value("module", f"the module {submodule.name}", module=submodule)
        if scope is None or scope.star_import or scope.sites("__getattr__"):
            return _UNKNOWN
        return Value("other", f"'{name}', which module {module.name} does not define")

    # names

    def site_value(self, site: _Site) -> Value:
        key = id(site)
        if key in self._site_values:
            return self._site_values[key]
        self._site_values[key] = self._IN_PROGRESS
        value = self._site_value(site)
        self._site_values[key] = value
        return value

    def _site_value(self, site: _Site) -> Value:
        if site.kind == "value" and site.expr is not None:
            return self.evaluate(site.expr, site.scope)
        if site.kind == "def":
            return self._definition(site)
        if site.kind == "import":
            return self._import(site.name)
        if site.kind == "from" and isinstance(site.stmt, ast.ImportFrom):
            return self._import_from(site.stmt, site.name, site.scope)
        return _UNKNOWN

    def _definition(self, site: _Site) -> Value:
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
            return _UNKNOWN
        if target.partition(".")[0] in KNOWN_PACKAGES:
            return _external(f"{target}.{name}")
        module = self.finder.find(target)
        if module is None:
            return _UNKNOWN if stmt.level else _external(f"{target}.{name}")
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
                return self._best(self.site_value(site) for site in sites)
            current = current.parent
        module_scope = scope.loaded.scope
        if module_scope is not None and module_scope.star_import:
            return _UNKNOWN
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
            return self._best([self.evaluate(expr.body, scope), self.evaluate(expr.orelse, scope)])
        if isinstance(expr, ast.BoolOp):
            return self._best(self.evaluate(value, scope) for value in expr.values)
        literal = _LITERALS.get(type(expr))
        if literal is not None:
            return Value("other", literal)
        return _UNKNOWN

    def _attribute(self, expr: ast.Attribute, scope: Scope) -> Value:
        base = self.evaluate(expr.value, scope)
        if base.kind == "module" and base.module is not None:
            return self.attribute_of(base.module, expr.attr)
        if base.kind in ("external", "mangum_class", "app_class") and base.dotted:
            return _external(f"{base.dotted}.{expr.attr}")
        return _UNKNOWN

    def _call(self, call: ast.Call, scope: Scope) -> Value:
        callee = self.evaluate(call.func, scope)
        if callee.kind == "mangum_class":
            app = self._app_argument(call, scope)
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
                return _UNKNOWN  # a callable object may well delegate to Mangum
            return Value("other", f"an instance of {callee.node.name}")
        if callee.kind == "external" and callee.dotted in NOT_APPS:
            return Value("other", NOT_APPS[callee.dotted])
        if callee.kind == "other":
            return Value("other", f"a call of {callee.what}")
        return _UNKNOWN

    def _app_argument(self, call: ast.Call, scope: Scope) -> Value | None:
        """What a call gets as its ASGI app (first argument or ``app=``); None when nothing."""
        for keyword in call.keywords:
            if keyword.arg == "app":
                return self.evaluate(keyword.value, scope)
        if call.args and not isinstance(call.args[0], ast.Starred):
            return self.evaluate(call.args[0], scope)
        if call.args or any(keyword.arg is None for keyword in call.keywords):
            return _UNKNOWN  # *args or **kwargs may carry it
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
        argument = self._app_argument(call, scope)
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
            value = (self._best(self.evaluate(r, scope) for r in returns) if returns
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
    def _best(values: Iterable[Value]) -> Value:
        chosen = list(values)
        if not chosen:
            return _UNKNOWN
        return min(chosen, key=lambda v: _PREFERENCE.index(v.kind))

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
        scope = self.function_scope(function)
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
            callee = self.evaluate(call.func, scope)
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


def absolute_module(stmt: ast.ImportFrom, module: Module) -> str | None:
    """The module a from-import names, relative ones resolved as from ``module``; None when
    the relative import goes above the top-level package (an ImportError)."""
    if not stmt.level:
        return stmt.module
    package = module.package.split(".") if module.package else []
    if stmt.level > len(package):
        return None
    base = ".".join(package[: len(package) - (stmt.level - 1)])
    return ".".join(p for p in (base, stmt.module) if p)


def _imported_at_load(body: Sequence[ast.stmt], module: Module) -> Iterator[str]:
    """The modules a module body imports when it runs: not in functions or classes, and not
    under ``if TYPE_CHECKING:``. A from-import names a module or, maybe, its submodules."""
    for stmt in body:
        if isinstance(stmt, ast.Import):
            yield from (alias.name for alias in stmt.names)
        elif isinstance(stmt, ast.ImportFrom):
            target = absolute_module(stmt, module)
            if target:
                yield target
                yield from (f"{target}.{a.name}" for a in stmt.names if a.name != "*")
        elif isinstance(stmt, ast.If):
            if not _is_type_checking(stmt.test):
                yield from _imported_at_load(stmt.body, module)
            yield from _imported_at_load(stmt.orelse, module)
        elif isinstance(stmt, ast.Try | getattr(ast, "TryStar", ast.Try)):
            for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse,
                          stmt.finalbody):
                yield from _imported_at_load(block, module)
        elif isinstance(stmt, ast.With | ast.AsyncWith | ast.For | ast.AsyncFor | ast.While):
            yield from _imported_at_load(stmt.body, module)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


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
            stored.update(id(n) for n in ast.walk(node.value) if isinstance(n, ast.Call))
    return stored


def _names_passed(call: ast.Call) -> set[str]:
    arguments = [*call.args, *(k.value for k in call.keywords)]
    return {a.id for a in arguments if isinstance(a, ast.Name)}


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


def analyse(project: Project, function: Function) -> HandlerAnalysis:
    """Find, parse and classify ``function``'s handler, never importing it.

    The five handler rules ask for the same analysis in one lint run: it is kept for the
    project being linted (one at a time) and made again for the next one.
    """
    global _analysed
    if _analysed[0] is not project:
        _analysed = (project, {})
    results = _analysed[1]
    if function.logical_id not in results:
        results[function.logical_id] = _analyse(project, function)
    return results[function.logical_id]


_analysed: tuple[Project | None, dict[str, HandlerAnalysis]] = (None, {})


def _analyse(project: Project, function: Function) -> HandlerAnalysis:
    handler = str(function.handler)
    module_name, _, attribute = handler.rpartition(".")
    module_name = module_name.replace("/", ".")
    finder = ModuleFinder(lambda_sys_path(project, function), project.project_root)
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
    analyser = Analyser(finder)
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
    for node in (n for stmt in body for n in ast.walk(stmt)):
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


def _classify(analyser: Analyser, loaded: _Loaded,
              attribute: str) -> tuple[bool | None, Location | None, Verdict]:
    scope = loaded.scope
    if scope is None:
        namespace = loaded.module.file is None and not loaded.module.compiled
        return (False if namespace else None), None, Verdict("unknown")
    sites = scope.sites(attribute)
    if not sites:
        unknowable = scope.star_import or bool(scope.sites("__getattr__"))
        return (None if unknowable else False), None, Verdict("unknown")
    verdicts = [analyser.judge(analyser.site_value(site)) for site in sites]
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


def shown(project: Project, path: Path | str) -> str:
    """``path`` relative to the template's folder when it is inside it, as messages show it."""
    try:
        return Path(path).relative_to(project.root).as_posix()
    except ValueError:
        return str(path)
