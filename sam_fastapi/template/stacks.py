"""Nested applications: ``AWS::Serverless::Application`` resources whose ``Location`` is a
local template, followed as ``sam build`` and SAM CLI follow them (LWA-BEHAVIOR §8).

A nested stack is a project of its own: its template is read from its own folder, its
``Parameters`` are the values the parent's ``Parameters`` property passes (``--parameter-
overrides`` reach the root only), and it deploys its own APIs (own API ids and stages).
``nested_stacks`` walks the tree and says what it could not follow (a missing file, a cycle,
a path out of the project, a template that cannot be read) instead of raising;
``merged_project`` makes one project of the tree for the gateway, naming a nested resource
``App/LogicalId`` as SAM CLI does (``sam local invoke App/LogicalId``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sam_fastapi.template.loader import TemplateError, load_template
from sam_fastapi.template.model import (
    Api,
    ApiEvent,
    Application,
    Function,
    Intrinsic,
    LayerRef,
    OutsidePath,
    Project,
    build_project,
)

#: How deep applications may nest before the walk stops (CloudFormation's own limit is 5
#: levels of nested stacks, but a template may say anything).
MAX_DEPTH = 10


@dataclass(frozen=True)
class Stack:
    """One nested stack: the applications leading to it from the root, and its project."""

    path: tuple[str, ...]  # logical ids of the Application resources, outermost first
    project: Project
    overrides: dict[str, str]  # the parameter values its parent passes

    @property
    def prefix(self) -> str:
        return "".join(f"{name}/" for name in self.path)


@dataclass(frozen=True)
class StackProblem:
    """An application that could not be followed, at its ``Location`` in its parent."""

    parent: Project
    application: Application
    message: str


def nested_stacks(root: Project) -> tuple[list[Stack], list[StackProblem]]:
    """Every local nested stack under ``root`` (depth first), and what could not be followed."""
    stacks: list[Stack] = []
    problems: list[StackProblem] = []
    _walk(root, (), (_key(root.template_path),), stacks, problems)
    return stacks, problems


def load_project(path: Path, *, parameter_overrides: Mapping[str, str] | None = None) -> Project:
    """The template at ``path`` with its nested stacks merged in (``merged_project``);
    ``TemplateError`` when the root template cannot be read."""
    root = build_project(load_template(path), path, parameter_overrides=parameter_overrides)
    if not root.applications:
        return root
    stacks, _ = nested_stacks(root)
    return merged_project(root, stacks)


def merged_project(root: Project, stacks: list[Stack]) -> Project:
    """One project with the root's resources and every stack's, named ``App/LogicalId``."""
    functions = dict(root.functions)
    layers = dict(root.layers)
    apis = dict(root.apis)
    types = dict(root.resource_types)
    metadata = dict(root.resource_metadata)
    for stack in stacks:
        project, prefix = stack.project, stack.prefix
        own = set(project.functions)
        for logical_id, function in project.functions.items():
            functions[prefix + logical_id] = _function(function, stack, own)
        for logical_id, layer in project.layers.items():
            layers[prefix + logical_id] = replace(layer, logical_id=prefix + logical_id)
        for logical_id, api in project.apis.items():
            apis[prefix + logical_id] = _api(api, prefix)
        types.update({prefix + k: v for k, v in project.resource_types.items()})
        metadata.update({prefix + k: v for k, v in project.resource_metadata.items()})
    return replace(root, functions=functions, layers=layers, apis=apis, resource_types=types,
                   resource_metadata=metadata)


def _walk(project: Project, path: tuple[str, ...], chain: tuple[Path, ...],
          stacks: list[Stack], problems: list[StackProblem]) -> None:
    for application in project.applications.values():
        location = application.location
        if not isinstance(location, Path | OutsidePath):
            continue  # a URL, S3 or the Serverless Application Repository: not local
        problem = _unfollowable(location, chain, len(path), project)
        if problem is not None:
            problems.append(StackProblem(project, application, problem))
            continue
        assert isinstance(location, Path)
        parameters = {k: _parameter(v) for k, v in application.parameters.items()
                      if _parameter(v) is not None}
        try:
            child = build_project(load_template(location), location,
                                  parameter_overrides=parameters)
        except TemplateError as exc:
            problems.append(StackProblem(project, application,
                                         f"Location {_shown(location, project.root)} cannot be "
                                         f"read: {exc.message}"))
            continue
        stack = Stack((*path, application.logical_id), child, parameters)
        stacks.append(stack)
        _walk(child, stack.path, (*chain, _key(location)), stacks, problems)


def _unfollowable(location: Path | OutsidePath, chain: tuple[Path, ...], depth: int,
                  parent: Project) -> str | None:
    if isinstance(location, OutsidePath):
        return f"Location {location.path} is {location.reason}; it is not followed"
    shown = _shown(location, parent.root)
    if not location.exists():
        return f"Location {shown} does not exist"
    if not location.is_file():
        return f"Location {shown} is not a template file"
    if _key(location) in chain:
        base = parent.project_root.resolve()
        cycle = " -> ".join(_shown(p, base) for p in (*chain[chain.index(_key(location)):],
                                                      _key(location)))
        return f"Location {shown} nests a template into itself ({cycle})"
    if depth >= MAX_DEPTH:
        return f"applications nest more than {MAX_DEPTH} levels deep; {shown} is not followed"
    return None


def _key(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def _shown(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)


def _parameter(value: Any) -> str | None:
    """A parameter value the child can take: plain text, numbers and lists of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ",".join(str(v) for v in value)
    return None  # an intrinsic the parent could not resolve: the child's default applies


def _function(function: Function, stack: Stack, own: set[str]) -> Function:
    prefix = stack.prefix
    name = function.function_name
    if not isinstance(name, str):
        # CloudFormation names it after the stack; a name without "/" keeps ARNs valid.
        name = "-".join((*stack.path, function.logical_id))
    return replace(
        function,
        logical_id=prefix + function.logical_id,
        function_name=name,
        events=tuple(_event(e, prefix) for e in function.events),
        layers=tuple(LayerRef(prefix + r.logical_id, r.arn) if r.logical_id else r
                     for r in function.layers),
        environment={k: _reference(v, prefix, own) for k, v in function.environment.items()},
    )


def _event(event: ApiEvent, prefix: str) -> ApiEvent:
    return replace(event, api_id=prefix + event.api_id)


def _api(api: Api, prefix: str) -> Api:
    return replace(api, logical_id=prefix + api.logical_id,
                   auth=_prefixed_authorizers(api.auth, prefix))


def _prefixed_authorizers(auth: Any, prefix: str) -> Any:
    """``Auth`` with each Lambda authorizer's ``FunctionArn`` naming the merged function."""
    if not isinstance(auth, Mapping) or not isinstance(auth.get("Authorizers"), Mapping):
        return auth
    authorizers = {}
    for name, config in auth["Authorizers"].items():
        if isinstance(config, Mapping) and "FunctionArn" in config:
            config = {**config, "FunctionArn": _prefixed_arn(config["FunctionArn"], prefix)}
        authorizers[name] = config
    return {**auth, "Authorizers": authorizers}


def _prefixed_arn(arn: Any, prefix: str) -> Any:
    if isinstance(arn, Intrinsic):
        arn = {arn.function: arn.argument}
    if isinstance(arn, Mapping) and len(arn) == 1:
        (key, argument), = arn.items()
        if key == "Fn::GetAtt":
            if isinstance(argument, list) and argument:
                return {key: [prefix + str(argument[0]), *argument[1:]]}
            if isinstance(argument, str):
                return {key: prefix + argument}
        if key == "Ref" and isinstance(argument, str):
            return {key: prefix + argument}
    return arn


def _reference(value: Any, prefix: str, own: set[str]) -> Any:
    """``!Ref Fn`` / ``!GetAtt Fn.Arn`` of a function of the same stack, named as merged."""
    if not isinstance(value, Intrinsic) or value.function not in ("Ref", "Fn::GetAtt"):
        return value
    argument = value.argument
    if isinstance(argument, str):
        target, dot, rest = argument.partition(".")
        if target in own:
            return Intrinsic(value.function, f"{prefix}{target}{dot}{rest}")
    elif isinstance(argument, list) and argument and argument[0] in own:
        return Intrinsic(value.function, [prefix + str(argument[0]), *argument[1:]])
    return value

