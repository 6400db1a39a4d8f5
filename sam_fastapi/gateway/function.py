"""What it takes to start an instance of a template function, read from the project once."""

from __future__ import annotations

import os
import sys
import sysconfig
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sam_fastapi.gateway.errors import GatewayError
from sam_fastapi.gateway.events import ACCOUNT_ID
from sam_fastapi.template.model import Function, Intrinsic, Project
from sam_fastapi.webadapter import Unread, WebApp, read_web_app


@dataclass(frozen=True)
class FunctionSpec:
    """Everything needed to start an instance of a function, computed once."""

    logical_id: str
    name: str  # the deployed FunctionName
    handler: str
    code_dir: str
    paths: tuple[str, ...]  # go on the front of sys.path
    owned: tuple[str, ...]  # folder prefixes whose modules belong to the function
    shared: tuple[str, ...]  # folders inside those whose modules do not (a venv in the project)
    environment: Mapping[str, str]
    timeout: float
    memory_size: int
    runtime: str
    region: str
    #: Every function of the template by logical id, with its deployed name: what a
    #: ``lambda.invoke`` from a sandbox process is resolved against.
    peers: Mapping[str, str] = field(default_factory=dict)
    #: The app a Web Adapter function serves (``Handler: run.sh``), called as the Adapter would.
    web_app: WebApp | None = None
    #: The logical id of each API of the gateway that runs the function, by deployed host:
    #: what an opt-in HTTP call from a sandbox process is routed by (``http_calls``).
    api_hosts: Mapping[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.name}"


def function_spec(project: Project, function: Function, region: str, *,
                  api_hosts: Mapping[str, str] | None = None) -> FunctionSpec:
    """The spec of ``function``; ``GatewayError`` when it cannot run in-process at all."""
    name = function.logical_id
    if function.package_type != "Zip":
        raise GatewayError(f"{name}: PackageType {function.package_type} cannot run in-process")
    if not function.is_python:
        raise GatewayError(f"{name}: Runtime {function.runtime!r} is not a Python runtime")
    if not isinstance(function.handler, str) or not function.handler:
        raise GatewayError(f"{name}: Handler must be a string such as app.main.handler")
    code_dir = function.code_dir
    if code_dir is None:
        where = getattr(function.code_uri, "uri", function.code_uri)
        raise GatewayError(f"{name}: CodeUri {where} is not a local folder")
    if not code_dir.is_dir():
        what = "is not a folder" if code_dir.exists() else "does not exist"
        raise GatewayError(f"{name}: CodeUri {_shown(code_dir, project)} {what}")
    code = str(code_dir.resolve())
    paths = [code]
    owned = [code]
    web_app = read_web_app(project, function)
    if isinstance(web_app, Unread):
        raise GatewayError(f"{name}: {web_app.message}")
    if web_app is not None:
        paths.insert(0, str(web_app.app_dir.resolve()))
    for layer in project.function_layers(function):
        folder = layer.content_dir
        if folder is None or not folder.is_dir():
            continue
        folder = folder.resolve()
        owned.append(str(folder))
        site = folder / "python" / "lib" / f"python3.{sys.version_info[1]}" / "site-packages"
        paths.extend(str(p) for p in (site, folder / "python", folder) if p.is_dir())
    environment = {}
    for key, value in function.environment.items():
        value = function_reference(project, value, region)
        if isinstance(value, Intrinsic | dict | list):
            warnings.warn(f"{name}: environment variable {key} is {value}, which cannot be "
                          "resolved locally; it is left unset", stacklevel=4)
            continue
        environment[key] = _env_string(value)
    return FunctionSpec(
        logical_id=name,
        name=function.function_name if isinstance(function.function_name, str) else name,
        handler=function.handler,
        code_dir=code,
        paths=tuple(dict.fromkeys(paths)),
        owned=tuple(_prefix(p) for p in owned),
        shared=_shared_inside(owned, paths),
        environment=environment,
        timeout=float(function.timeout),
        memory_size=function.memory_size,
        runtime=str(function.runtime),
        region=region,
        peers={logical_id: f.function_name if isinstance(f.function_name, str) else logical_id
               for logical_id, f in project.functions.items()},
        web_app=web_app,
        api_hosts=dict(api_hosts or {}),
    )


def function_reference(project: Project, value: Any, region: str) -> Any:
    """``!Ref Fn`` as the function's name and ``!GetAtt Fn.Arn`` as its ARN, for a function
    of the template (what a handler needs to call another); anything else unchanged."""
    if not isinstance(value, Intrinsic):
        return value
    argument = value.argument
    if value.function == "Fn::GetAtt":
        parts = argument if isinstance(argument, list) else str(argument).split(".", 1)
        if len(parts) != 2 or parts[1] != "Arn":
            return value
        argument = parts[0]
    elif value.function != "Ref":
        return value
    function = project.functions.get(argument) if isinstance(argument, str) else None
    if function is None:
        return value
    name = function.function_name if isinstance(function.function_name, str) else argument
    if value.function == "Ref":
        return name
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


def _shared_inside(owned: list[str], paths: list[str]) -> tuple[str, ...]:
    """Import folders of this process that lie inside the function's folders.

    With ``CodeUri: .`` the project's virtualenv (or a vendored folder on ``sys.path``) is
    under the code folder; what is imported from there is third-party code, shared.
    """
    candidates = {*sys.path, *(sysconfig.get_paths().get(k) for k in ("purelib", "platlib"))}
    inside = []
    for entry in candidates:
        if not entry:
            continue
        folder = os.path.realpath(entry)
        if folder not in paths and _prefix(folder).startswith(tuple(map(_prefix, owned))):
            inside.append(_prefix(folder))
    return tuple(sorted(inside))


def _shown(path: Path, project: Project) -> str:
    """``path`` relative to the template's folder when it is inside it, as the user wrote it."""
    try:
        return f"{path.relative_to(project.template_path.resolve().parent)}/"
    except ValueError:
        return str(path)


def _prefix(folder: str) -> str:
    return folder.rstrip(os.sep) + os.sep


def _env_string(value: Any) -> str:
    # CloudFormation turns booleans into "true"/"false" and numbers into their text.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
