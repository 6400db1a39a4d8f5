"""The parts every generated project shares, in the layout of ``examples/movies``.

``template.yaml`` (one function per service, each behind its own API paths, a dependency layer
built by a Makefile), ``samconfig.toml``, the layer's Makefile and the pytest configuration.
Text is rendered by hand rather than dumped, so that it reads like a template a person wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEPENDENCY_LAYER = "SharedLayer"


@dataclass(frozen=True)
class Service:
    """One Lambda function and the API paths routed to it."""

    name: str
    code_uri: str  # relative to the template, ends with "/"
    handler: str
    paths: tuple[str, ...]
    description: str
    layers: tuple[str, ...] = (DEPENDENCY_LAYER,)

    @property
    def logical_id(self) -> str:
        return f"{camel(self.name)}Function"


@dataclass(frozen=True)
class Layer:
    logical_id: str
    content_uri: str
    description: str
    build_method: str  # "makefile" or a runtime such as python3.12


@dataclass(frozen=True)
class ProjectSpec:
    name: str
    description: str
    services: tuple[Service, ...]
    layers: tuple[Layer, ...]
    http_api: bool = False
    runtime: str = "python3.12"
    architecture: str = "x86_64"

    @property
    def api_id(self) -> str:
        return f"{camel(self.name)}Api"


def camel(name: str) -> str:
    """``movie-reviews`` -> ``MovieReviews``: a name CloudFormation accepts in logical ids."""
    words = re.split(r"[^0-9A-Za-z]+", name)
    joined = "".join(w[:1].upper() + w[1:] for w in words if w)
    return joined if joined[:1].isalpha() else f"X{joined}"


def snake(name: str) -> str:
    """``movie-reviews`` -> ``movie_reviews``: a name Python accepts as a folder or module."""
    joined = "_".join(w for w in re.split(r"[^0-9A-Za-z]+", name.lower()) if w)
    return joined if joined[:1].isalpha() else f"x_{joined}"


def prefix_paths(prefix: str) -> tuple[str, ...]:
    """The API paths of everything under ``prefix``: the prefix itself and ``{proxy+}``."""
    prefix = "/" + prefix.strip("/")
    if prefix == "/":
        return ("/", "/{proxy+}")
    return (prefix, f"{prefix}/{{proxy+}}")


def dependency_layer(project_name: str) -> Layer:
    return Layer(DEPENDENCY_LAYER, "layers/shared",
                 f"Third-party dependencies of every {project_name} function.", "makefile")


def render_template(spec: ProjectSpec) -> str:
    api = spec.api_id
    out = [
        'AWSTemplateFormatVersion: "2010-09-09"',
        "Transform: AWS::Serverless-2016-10-31",
        f"Description: >-\n  {spec.description}",
        "",
    ]
    if not spec.http_api:
        out += [
            "Parameters:",
            "  StageName:",
            "    Type: String",
            "    Default: Prod",
            "    Description: API Gateway stage the API is deployed to.",
            "",
        ]
    out += [
        "Globals:",
        "  Function:",
        f"    Runtime: {spec.runtime}",
        "    Timeout: 10",
        "    MemorySize: 256",
        "    Architectures:",
        f"      - {spec.architecture}",
        "",
        "Resources:",
        f"  {api}:",
        f"    Type: AWS::Serverless::{'HttpApi' if spec.http_api else 'Api'}",
    ]
    if not spec.http_api:
        out += ["    Properties:", "      StageName: !Ref StageName"]
    for service in spec.services:
        out += ["", *_function(service, api, spec.http_api)]
    for layer in spec.layers:
        out += ["", *_layer(layer, spec)]
    out += ["", "Outputs:", f"  {api}Url:", "    Description: Base URL of the API."]
    stage = "" if spec.http_api else "${StageName}/"
    out.append(f'    Value: !Sub "https://${{{api}}}.execute-api.${{AWS::Region}}'
               f'.amazonaws.com/{stage}"')
    return "\n".join(out) + "\n"


def _function(service: Service, api: str, http_api: bool) -> list[str]:
    out = [
        f"  {service.logical_id}:",
        "    Type: AWS::Serverless::Function",
        "    Properties:",
        f"      Description: {_quoted(service.description)}",
        f"      CodeUri: {service.code_uri}",
        f"      Handler: {service.handler}",
        "      Layers:",
        *(f"        - !Ref {layer}" for layer in service.layers),
        "      Events:",
    ]
    names: set[str] = set()
    for path in service.paths:
        name = _event_name(path, names)
        out += [
            f"        {name}:",
            f"          Type: {'HttpApi' if http_api else 'Api'}",
            "          Properties:",
            f"            {'ApiId' if http_api else 'RestApiId'}: !Ref {api}",
            f"            Path: {path}",
            "            Method: ANY",
        ]
    return out


def _layer(layer: Layer, spec: ProjectSpec) -> list[str]:
    return [
        f"  {layer.logical_id}:",
        "    Type: AWS::Serverless::LayerVersion",
        "    Properties:",
        f"      LayerName: {snake(spec.name).replace('_', '-')}-{layer.logical_id.lower()}",
        f"      Description: {_quoted(layer.description)}",
        f"      ContentUri: {layer.content_uri}",
        "      CompatibleRuntimes:",
        f"        - {spec.runtime}",
        "      CompatibleArchitectures:",
        f"        - {spec.architecture}",
        "      RetentionPolicy: Delete",
        "    Metadata:",
        f"      BuildMethod: {layer.build_method}",
        f"      BuildArchitecture: {spec.architecture}",
    ]


def _event_name(path: str, taken: set[str]) -> str:
    words = [w for w in re.split(r"[{}/]+", path) if w and w != "proxy+"]
    base = camel("-".join(words)) if words else "Root"
    if path.endswith("{proxy+}"):
        base += "Proxy"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}{number}", number + 1
    taken.add(name)
    return name


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_layer_makefile(logical_id: str = DEPENDENCY_LAYER) -> str:
    # sam build runs this target with ARTIFACTS_DIR set; `layer build` installs wheels for
    # the layer's Lambda platform into ARTIFACTS_DIR/python/, the folder Lambda puts on
    # sys.path. Recipe lines must start with a tab.
    return (
        f"build-{logical_id}:\n"
        f'\tsam-fastapi layer build {logical_id} --out "$(ARTIFACTS_DIR)"\n'
    )


def render_samconfig(stack_name: str, *, http_api: bool) -> str:
    overrides = "" if http_api else 'parameter_overrides = "StageName=Prod"\n'
    return (
        "version = 0.1\n\n"
        "[default.global.parameters]\n"
        f'stack_name = "{stack_name}"\n\n'
        "[default.build.parameters]\n"
        "cached = true\n"
        "parallel = true\n\n"
        "[default.deploy.parameters]\n"
        'capabilities = "CAPABILITY_IAM"\n'
        "confirm_changeset = true\n"
        "resolve_s3 = true\n"
        f"{overrides}"
    )


#: What a generated project's tests need on a developer's machine: the app's dependencies (the
#: shared layer's) and the pytest plugin. Lint is a tool of its own (``pipx install``).
DEV_REQUIREMENTS = ("# pip install -r requirements-dev.txt && pytest\n"
                    "-r layers/shared/requirements.txt\n"
                    "sam-fastapi[pytest]\n")
INSTALL_AND_TEST = """\
pip install -r requirements-dev.txt   # the layer's dependencies and sam-fastapi's pytest plugin
pipx install 'sam-fastapi[lint]'      # the lint tool, in an environment of its own
sam-fastapi lint template.yaml"""


def render_pyproject(name: str) -> str:
    lines = [
        "# Tests run every function in-process through template.yaml's API events:",
        "#   pip install -r requirements-dev.txt && pytest",
        "[project]",
        f'name = "{snake(name).replace("_", "-")}"',
        'version = "0.1.0"',
        'requires-python = ">=3.10"',
        "",
        "[tool.pytest.ini_options]",
        'sam_template = "template.yaml"',
        'testpaths = ["tests"]',
    ]
    return "\n".join(lines) + "\n"
