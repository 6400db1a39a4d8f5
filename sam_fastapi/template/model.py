"""The project model: what a SAM template says about functions, layers and APIs.

Everything here is a frozen dataclass of plain values, built once from the decoded template.
Values the template gives as intrinsic functions or S3 locations stay what they are
(``Intrinsic``, ``S3Location``) instead of crashing the model; wrong types become ``None`` and
are left for cfn-lint and the translator to report.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sam_fastapi.findings import Location
from sam_fastapi.paths import Folders
from sam_fastapi.template.samconfig import read_parameter_overrides

FUNCTION = "AWS::Serverless::Function"
LAYER = "AWS::Serverless::LayerVersion"
APPLICATION = "AWS::Serverless::Application"
REST_API = "AWS::Serverless::Api"
HTTP_API = "AWS::Serverless::HttpApi"
IMPLICIT_REST_API = "ServerlessRestApi"
IMPLICIT_HTTP_API = "ServerlessHttpApi"

TemplatePath = tuple[str | int, ...]

#: What marks a project's root folder (the boundary of what sam-fastapi reads).
PROJECT_MARKERS = ("pyproject.toml", "samconfig.toml", ".git")


@dataclass(frozen=True)
class Intrinsic:
    """An intrinsic function the model cannot resolve statically (``!GetAtt``, ``!Sub``...)."""

    function: str
    argument: Any

    def __str__(self) -> str:
        return f"{{{self.function}: {self.argument!r}}}"


@dataclass(frozen=True)
class S3Location:
    """Code that lives in S3 rather than in the project tree."""

    uri: str


@dataclass(frozen=True)
class OutsidePath:
    """A local path that leads out of the project (``../``, absolute, a symlink out, a loop).

    sam-fastapi reports it (SF103) and never reads it: ``Function.code_dir`` and friends are
    ``None`` for it.
    """

    path: Path
    reason: str


@dataclass(frozen=True)
class Parameter:
    """A template parameter: its type, its default and the value that overrides it
    (``samconfig.toml``, ``--parameter-overrides``)."""

    name: str
    type: str | None
    default: Any
    override: Any = None
    location: Location | None = None

    @property
    def value(self) -> Any:
        return self.override if self.override is not None else self.default


@dataclass(frozen=True)
class LayerRef:
    """A function's layer: a layer resource of this template, or anything else (an ARN)."""

    logical_id: str | None = None
    arn: Any = None


@dataclass(frozen=True)
class ApiEvent:
    """An ``Api`` or ``HttpApi`` event of a function: one route into it."""

    name: str
    type: str  # "Api" or "HttpApi"
    path: str | None
    method: str | None
    api_id: str  # logical id of the API, the implicit one when the event names none
    payload_format_version: str
    location: Location | None = None
    auth: Any = None

    @property
    def is_http_api(self) -> bool:
        return self.type == "HttpApi"


@dataclass(frozen=True)
class Function:
    """An ``AWS::Serverless::Function`` with the Globals applied."""

    logical_id: str
    runtime: Any
    handler: Any
    code_uri: Path | S3Location | Intrinsic | OutsidePath | None
    package_type: str
    architectures: tuple[str, ...]
    environment: Mapping[str, Any]
    layers: tuple[LayerRef, ...]
    events: tuple[ApiEvent, ...]
    build_method: str | None
    build_properties: Mapping[str, Any]
    context_path: Path | OutsidePath | None
    timeout: int
    memory_size: int
    function_name: Any
    metadata: Mapping[str, Any]
    location: Location | None = None

    @property
    def architecture(self) -> str:
        return self.architectures[0] if self.architectures else "x86_64"

    @property
    def code_dir(self) -> Path | None:
        """The local folder of the function's code, when it has one."""
        return self.code_uri if isinstance(self.code_uri, Path) else None

    @property
    def is_python(self) -> bool:
        return isinstance(self.runtime, str) and self.runtime.startswith("python")


@dataclass(frozen=True)
class Layer:
    """An ``AWS::Serverless::LayerVersion``."""

    logical_id: str
    content_uri: Path | S3Location | Intrinsic | OutsidePath | None
    compatible_runtimes: tuple[str, ...]
    compatible_architectures: tuple[str, ...]
    build_method: str | None
    build_architecture: str | None
    build_properties: Mapping[str, Any]
    context_path: Path | OutsidePath | None
    metadata: Mapping[str, Any]
    location: Location | None = None

    @property
    def content_dir(self) -> Path | None:
        return self.content_uri if isinstance(self.content_uri, Path) else None


@dataclass(frozen=True)
class Api:
    """An API of the template, declared or the implicit one SAM makes for events that
    name none."""

    logical_id: str
    kind: str  # "rest" or "http"
    stage_name: str | None
    base_path: str | None
    implicit: bool = False
    auth: Any = None
    binary_media_types: tuple[str, ...] = ()
    location: Location | None = None


@dataclass(frozen=True)
class Application:
    """An ``AWS::Serverless::Application``: a nested stack (``template.stacks`` follows it)."""

    logical_id: str
    # A Path is a local template file; a str a URL (https://, s3://); an Intrinsic or a
    # mapping (a SAR ApplicationId) is left as it is.
    location: Path | OutsidePath | Intrinsic | str | Mapping[str, Any] | None
    parameters: Mapping[str, Any]  # Parameters, resolved with the parent's values
    location_marker: Location | None = None


@dataclass(frozen=True)
class Project:
    """A SAM template as sam-fastapi sees it."""

    template_path: Path
    root: Path  # the template's folder, which relative paths in the template start from
    project_root: Path  # the boundary no path of the project may leave (see find_project_root)
    parameters: Mapping[str, Parameter]
    functions: Mapping[str, Function]
    layers: Mapping[str, Layer]
    apis: Mapping[str, Api]
    resource_types: Mapping[str, str]
    resource_metadata: Mapping[str, Mapping[str, Any]]
    positions: Mapping[TemplatePath, tuple[int, int]] = field(repr=False, default_factory=dict)
    applications: Mapping[str, Application] = field(default_factory=dict)

    @property
    def has_sam_resources(self) -> bool:
        return any(t.startswith("AWS::Serverless::") for t in self.resource_types.values())

    def locate(self, path: TemplatePath) -> Location:
        """The position of ``path`` in the template, or of its nearest marked ancestor."""
        for end in range(len(path), 0, -1):
            position = self.positions.get(tuple(path[:end]))
            if position is not None:
                return Location(str(self.template_path), *position)
        return Location(str(self.template_path))

    def events(self) -> Iterator[tuple[Function, ApiEvent]]:
        for function in self.functions.values():
            for event in function.events:
                yield function, event

    def function_layers(self, function: Function) -> Iterator[Layer]:
        """The layer resources of this template that ``function`` uses, in order."""
        for ref in function.layers:
            if ref.logical_id in self.layers:
                yield self.layers[ref.logical_id]


# -- building ---------------------------------------------------------------------------------


def build_project(template: Mapping[str, Any], template_path: Path | str, *,
                  parameter_overrides: Mapping[str, str] | None = None,
                  positions: Mapping[TemplatePath, tuple[int, int]] | None = None,
                  folders: Folders | None = None) -> Project:
    """Build the model from a decoded template (from ``load_template``).

    ``parameter_overrides`` win over the ``samconfig.toml`` beside the template, as
    ``sam deploy --parameter-overrides`` does. ``positions`` are given when ``template`` is a
    plain copy (the lint cache keeps one) rather than the decoder's marked nodes. Local paths
    are classified against the file system as it is now, so the model is never stale;
    ``folders`` answers for it when given (a lint run's checks then read the same listings).
    """
    template_path = Path(template_path)
    root = template_path.resolve().parent
    local = _LocalPaths(root, find_project_root(root), folders or Folders())
    if positions is None:
        positions = index_positions(template)
    parameters = _parameters(template, root, str(template_path), positions,
                             parameter_overrides or {})
    values = {name: p.value for name, p in parameters.items() if p.value is not None}
    resolve = _Resolver(values)

    globals_ = _mapping(template.get("Globals"))
    resources = _mapping(template.get("Resources"))
    types: dict[str, str] = {}
    metadata: dict[str, Mapping[str, Any]] = {}
    functions: dict[str, Function] = {}
    layers: dict[str, Layer] = {}
    apis: dict[str, Api] = {}
    applications: dict[str, Application] = {}

    for logical_id, resource in resources.items():
        if not _is_mapping(resource) or not isinstance(logical_id, str):
            continue
        logical_id = str(logical_id)
        rtype = resource.get("Type")
        if not isinstance(rtype, str):
            continue
        rtype = str(rtype)
        types[logical_id] = rtype
        metadata[logical_id] = plain(_mapping(resource.get("Metadata")))
        location = _at(positions, template_path, ("Resources", logical_id))
        properties = _mapping(resource.get("Properties"))
        if rtype == LAYER:
            layers[logical_id] = _layer(logical_id, properties, metadata[logical_id], local,
                                        resolve, location)
        elif rtype in (REST_API, HTTP_API):
            section = "Api" if rtype == REST_API else "HttpApi"
            merged = _merge_globals(_mapping(globals_.get(section)), properties)
            apis[logical_id] = _api(logical_id, rtype, merged, resolve, location)
        elif rtype == APPLICATION:
            applications[logical_id] = _application(
                logical_id, properties, local, resolve,
                _at(positions, template_path, ("Resources", logical_id, "Properties",
                                               "Location")))

    for logical_id, resource in resources.items():
        logical_id = str(logical_id)
        if types.get(logical_id) != FUNCTION:
            continue
        properties = _merge_globals(_mapping(globals_.get("Function")),
                                    _mapping(resource.get("Properties")))
        functions[logical_id] = _function(
            logical_id, properties, metadata[logical_id], local, resolve, layers,
            _at(positions, template_path, ("Resources", logical_id)), positions, template_path,
        )

    for function in functions.values():
        for event in function.events:
            if event.api_id in apis:
                continue
            if event.api_id == IMPLICIT_REST_API:
                merged = _merge_globals(_mapping(globals_.get("Api")), {})
                apis[event.api_id] = _api(event.api_id, REST_API,
                                          {"StageName": "Prod", **merged}, resolve, None,
                                          implicit=True)
            elif event.api_id == IMPLICIT_HTTP_API:
                merged = _merge_globals(_mapping(globals_.get("HttpApi")), {})
                apis[event.api_id] = _api(event.api_id, HTTP_API, merged, resolve, None,
                                          implicit=True)

    return Project(
        template_path=template_path,
        root=root,
        project_root=local.project_root,
        parameters=parameters,
        functions=functions,
        layers=layers,
        apis=apis,
        resource_types=types,
        resource_metadata=metadata,
        positions=positions,
        applications=applications,
    )


def _application(logical_id: str, props: Mapping[str, Any], local: _LocalPaths,
                 resolve: _Resolver, marker: Location) -> Application:
    value = props.get("Location")
    location: Any
    if isinstance(value, str):
        if value.startswith(("s3://", "http://", "https://")):
            location = value
        else:  # a local file, as sam build and SAM CLI take it (file:// too)
            location = local.directory(value.removeprefix("file://"))
    elif _is_mapping(value) and is_intrinsic(value):
        location = resolve(value)
        if isinstance(location, str):
            location = local.directory(location)
    elif _is_mapping(value):
        location = plain(value)
    else:
        location = None
    parameters = {str(k): resolve(v) for k, v in _mapping(props.get("Parameters")).items()}
    return Application(logical_id, location, parameters, marker)


def _function(
    logical_id: str,
    props: Mapping[str, Any],
    metadata: Mapping[str, Any],
    local: _LocalPaths,
    resolve: _Resolver,
    layers: Mapping[str, Layer],
    location: Location | None,
    positions: Mapping[TemplatePath, tuple[int, int]],
    template_path: Path,
) -> Function:
    package_type = resolve(props.get("PackageType"))
    package_type = package_type if isinstance(package_type, str) else "Zip"
    architectures = resolve(props.get("Architectures"))
    environment = _mapping(_mapping(props.get("Environment")).get("Variables"))
    events = []
    for name, event in _mapping(props.get("Events")).items():
        api_event = _api_event(str(name), event, resolve,
                               _at(positions, template_path,
                                   ("Resources", logical_id, "Properties", "Events", name)))
        if api_event is not None:
            events.append(api_event)
    layer_refs = []
    for entry in _sequence(props.get("Layers")):
        target = _ref_target(entry)
        if target in layers:
            layer_refs.append(LayerRef(logical_id=target))
        else:
            layer_refs.append(LayerRef(arn=plain(resolve(entry))))
    build_properties = plain(_mapping(metadata.get("BuildProperties")))
    return Function(
        logical_id=logical_id,
        runtime=plain(resolve(props.get("Runtime"))),
        handler=plain(resolve(props.get("Handler"))),
        code_uri=local.code_location(resolve(props.get("CodeUri")),
                                     default_local=package_type != "Image"),
        package_type=package_type,
        architectures=tuple(a for a in _sequence(architectures) if isinstance(a, str)),
        environment={str(k): plain(resolve(v)) for k, v in environment.items()},
        layers=tuple(layer_refs),
        events=tuple(events),
        build_method=_str_or_none(metadata.get("BuildMethod")),
        build_properties=build_properties,
        context_path=local.directory(metadata.get("ContextPath")),
        timeout=_int(resolve(props.get("Timeout")), 3),
        memory_size=_int(resolve(props.get("MemorySize")), 128),
        function_name=plain(resolve(props.get("FunctionName"))),
        metadata=metadata,
        location=location,
    )


def _api_event(name: str, event: Any, resolve: _Resolver,
               location: Location | None) -> ApiEvent | None:
    if not _is_mapping(event):
        return None
    etype = event.get("Type")
    if etype not in ("Api", "HttpApi"):
        return None
    props = _mapping(event.get("Properties"))
    path = resolve(props.get("Path"))
    method = resolve(props.get("Method"))
    if etype == "Api":
        api_id = _ref_target(props.get("RestApiId")) or IMPLICIT_REST_API
        payload = "1.0"
    else:
        api_id = _ref_target(props.get("ApiId")) or IMPLICIT_HTTP_API
        version = resolve(props.get("PayloadFormatVersion"))
        payload = str(version) if version in ("1.0", "2.0", 1.0, 2.0) else "2.0"
        if payload == "1":
            payload = "1.0"
    return ApiEvent(
        name=name,
        type=str(etype),
        path=str(path) if isinstance(path, str) else None,
        method=str(method).upper() if isinstance(method, str) else None,
        api_id=api_id,
        payload_format_version=payload,
        location=location,
        auth=plain(props.get("Auth")),
    )


def _layer(logical_id: str, props: Mapping[str, Any], metadata: Mapping[str, Any],
           local: _LocalPaths,
           resolve: _Resolver, location: Location | None) -> Layer:
    return Layer(
        logical_id=logical_id,
        content_uri=local.code_location(resolve(props.get("ContentUri")), default_local=False),
        compatible_runtimes=tuple(
            r for r in _sequence(resolve(props.get("CompatibleRuntimes"))) if isinstance(r, str)
        ),
        compatible_architectures=tuple(
            a for a in _sequence(resolve(props.get("CompatibleArchitectures")))
            if isinstance(a, str)
        ),
        build_method=_str_or_none(metadata.get("BuildMethod")),
        build_architecture=_str_or_none(metadata.get("BuildArchitecture")),
        build_properties=plain(_mapping(metadata.get("BuildProperties"))),
        context_path=local.directory(metadata.get("ContextPath")),
        metadata=metadata,
        location=location,
    )


def _api(logical_id: str, rtype: str, props: Mapping[str, Any], resolve: _Resolver,
         location: Location | None, implicit: bool = False) -> Api:
    stage = resolve(props.get("StageName"))
    domain = _mapping(props.get("Domain"))
    base_path = resolve(domain.get("BasePath"))
    if isinstance(base_path, list):
        base_path = base_path[0] if base_path else None
    binary = _sequence(resolve(props.get("BinaryMediaTypes")))
    return Api(
        logical_id=logical_id,
        kind="rest" if rtype == REST_API else "http",
        stage_name=str(stage) if isinstance(stage, str) else None,
        base_path=str(base_path) if isinstance(base_path, str) else None,
        implicit=implicit,
        auth=plain(props.get("Auth")),
        binary_media_types=tuple(
            b.replace("~1", "/") for b in binary if isinstance(b, str)
        ),
        location=location,
    )


# -- helpers ----------------------------------------------------------------------------------


class _Resolver:
    """Resolves ``Ref`` to a parameter's value; everything else intrinsic stays ``Intrinsic``."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def __call__(self, value: Any) -> Any:
        if _is_mapping(value) and len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" and isinstance(arg, str) and arg in self.values:
                return plain(self.values[arg])
            if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
                return Intrinsic(str(key), plain(arg))
        return plain(value)


def _merge_globals(globals_: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a Globals section as SAM does: maps merge, lists add up, the resource wins."""
    merged = dict(globals_)
    for key, value in props.items():
        current = merged.get(key)
        if _is_mapping(current) and _is_mapping(value) and not is_intrinsic(value):
            merged[key] = _merge_globals(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            merged[key] = [*current, *value]
        else:
            merged[key] = value
    return merged


def is_intrinsic(value: Mapping[str, Any]) -> bool:
    """``{"Ref": ...}`` or ``{"Fn::...": ...}``: a mapping that is an intrinsic function."""
    if len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


class _LocalPaths:
    """Turns the template's local paths into folders, or ``OutsidePath`` when they leave."""

    def __init__(self, root: Path, project_root: Path, folders: Folders) -> None:
        self.root = root
        self.project_root = project_root
        # One listing per folder resolves every code folder: a hundred functions' folders
        # beside each other cost one os.scandir instead of a realpath walk each.
        self._folders = folders
        self._boundary = folders.resolved(project_root) or project_root

    def code_location(self, value: Any, *, default_local: bool
                      ) -> Path | S3Location | Intrinsic | OutsidePath | None:
        if isinstance(value, Intrinsic):
            return value
        if _is_mapping(value):
            if is_intrinsic(value):
                (key, arg), = value.items()
                return Intrinsic(str(key), plain(arg))
            bucket, key = value.get("Bucket"), value.get("Key")
            if isinstance(bucket, str) and isinstance(key, str):
                return S3Location(f"s3://{bucket}/{key}")
            return None
        if isinstance(value, str):
            if value.startswith("s3://"):
                return S3Location(value)
            return self.directory(value)
        if value is None and default_local:
            return self.root
        return None

    def directory(self, value: Any) -> Path | OutsidePath | None:
        if not isinstance(value, str) or not value or "\0" in value:
            return None
        path = Path(self.root, value)
        if Path(value).is_absolute():
            return OutsidePath(path, "an absolute path")
        target = self._folders.resolved(path)
        if target is None:
            return OutsidePath(path, "a symlink loop")
        if not target.is_relative_to(self._boundary):
            reason = "a symlink out of the project" if _lexically_inside(path, self.project_root) \
                else "a path out of the project"
            return OutsidePath(path, reason)
        return path


def find_project_root(folder: Path) -> Path:
    """The nearest folder at or above ``folder`` holding pyproject.toml, samconfig.toml or .git.

    A template in ``infra/`` may then use ``../src``; without such a marker the template's own
    folder is the boundary.
    """
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return folder


def _lexically_inside(path: Path, folder: Path) -> bool:
    return os.path.normpath(path).startswith(os.path.normpath(folder) + os.sep) or \
        os.path.normpath(path) == os.path.normpath(folder)


def _ref_target(value: Any) -> str | None:
    if _is_mapping(value) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref" and isinstance(arg, str):
            return arg
        if key == "Fn::GetAtt":
            if isinstance(arg, str):
                return arg.split(".", 1)[0]
            if isinstance(arg, list) and arg and isinstance(arg[0], str):
                return arg[0]
    return None


def _parameters(template: Mapping[str, Any], root: Path, file: str,
                positions: Mapping[TemplatePath, tuple[int, int]],
                explicit: Mapping[str, str]) -> dict[str, Parameter]:
    overrides = {**read_parameter_overrides(root), **explicit}
    result = {}
    for name, spec in _mapping(template.get("Parameters")).items():
        if not isinstance(name, str):
            continue
        name = str(name)
        spec = _mapping(spec)
        ptype = spec.get("Type")
        position = positions.get(("Parameters", name))
        result[name] = Parameter(
            name=name,
            type=str(ptype) if isinstance(ptype, str) else None,
            default=plain(spec.get("Default")),
            override=overrides.get(name),
            location=Location(file, *position) if position else None,
        )
    return result


def index_positions(template: Any) -> dict[TemplatePath, tuple[int, int]]:
    """Line and column of every key and list item, by its path in the template."""
    positions: dict[TemplatePath, tuple[int, int]] = {}
    stack: list[tuple[TemplatePath, Any]] = [((), template)]
    while stack:
        path, node = stack.pop()
        if _is_mapping(node):
            for key, value in node.items():
                child = (*path, str(key) if isinstance(key, str) else key)
                mark = getattr(key, "start_mark", None)
                if mark is not None:
                    positions[child] = (mark.line + 1, mark.column + 1)
                stack.append((child, value))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                child = (*path, index)
                mark = getattr(value, "start_mark", None)
                if mark is not None:
                    positions[child] = (mark.line + 1, mark.column + 1)
                stack.append((child, value))
    return positions


def _at(positions: Mapping[TemplatePath, tuple[int, int]], template_path: Path,
        path: TemplatePath) -> Location | None:
    position = positions.get(path)
    return Location(str(template_path), *position) if position else None


def plain(value: Any) -> Any:
    """Strip decoder node types so the model pickles and compares as plain data."""
    if isinstance(value, str):  # most of a template, and none of the types below
        return str(value)
    if isinstance(value, Intrinsic | S3Location | Path):
        return value
    if _is_mapping(value):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)


def _is_mapping(value: Any) -> bool:
    """``isinstance(value, Mapping)``. The ABC's check runs Python code on every call, and a
    model is thousands of them: the decoder's dicts, lists and scalars are answered by their
    type first."""
    if isinstance(value, dict):
        return True
    if isinstance(value, _SCALARS_AND_LISTS):
        return False
    return isinstance(value, Mapping)


_SCALARS_AND_LISTS = (str, int, float, list, type(None))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if _is_mapping(value) else {}


def _sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str) else None


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default
