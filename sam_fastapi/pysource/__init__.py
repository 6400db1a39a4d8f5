"""Static analysis of a function's Python source, shared by every check that reads code.

lint never imports the user's code: modules are found on disk the way Lambda's Python runtime
finds them (``finder``), read with ``ast`` once per file and run (``parsing``), and their names
followed across modules (``scopes``, ``values``, ``constants``); ``imports`` says which imports
run when a module loads.
"""

from sam_fastapi.pysource.constants import NOT_CONSTANT, constant
from sam_fastapi.pysource.finder import (
    Module,
    ModuleFinder,
    SearchEntry,
    lambda_sys_path,
    layer_python_folders,
    python_version,
)
from sam_fastapi.pysource.imports import (
    LoadImport,
    LoadWalk,
    absolute_module,
    files_of,
    import_statements,
    load_time_imports,
)
from sam_fastapi.pysource.parsing import MAX_SOURCE_BYTES, SourceError, parse_module
from sam_fastapi.pysource.scopes import (
    Loaded,
    ModuleScopes,
    Scope,
    Site,
    child_nodes,
    own_nodes,
    walk,
)
from sam_fastapi.pysource.values import (
    ASGI_APPS,
    ASGI_PACKAGES,
    KNOWN_PACKAGES,
    MANGUM,
    MAX_IMPORT_DEPTH,
    MAX_MODULES,
    NOT_APPS,
    UNKNOWN,
    Analyser,
    Value,
)

__all__ = [
    "ASGI_APPS",
    "ASGI_PACKAGES",
    "KNOWN_PACKAGES",
    "MANGUM",
    "MAX_IMPORT_DEPTH",
    "MAX_MODULES",
    "MAX_SOURCE_BYTES",
    "NOT_APPS",
    "NOT_CONSTANT",
    "UNKNOWN",
    "Analyser",
    "LoadImport",
    "LoadWalk",
    "Loaded",
    "Module",
    "ModuleFinder",
    "ModuleScopes",
    "Scope",
    "SearchEntry",
    "Site",
    "SourceError",
    "Value",
    "absolute_module",
    "child_nodes",
    "constant",
    "files_of",
    "import_statements",
    "lambda_sys_path",
    "layer_python_folders",
    "load_time_imports",
    "own_nodes",
    "parse_module",
    "python_version",
    "walk",
]
