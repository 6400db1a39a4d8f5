"""The project model, built from real templates decoded by cfn-lint's decoder."""

from __future__ import annotations

import json
import pickle
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sam_fastapi.findings import Location
from sam_fastapi.template import (
    Intrinsic,
    LayerRef,
    Project,
    S3Location,
    build_project,
    load_template,
)


def write(folder: Path, text: str, name: str = "template.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def project(folder: Path, text: str, name: str = "template.yaml") -> Project:
    path = write(folder, text, name)
    return build_project(load_template(path), path)


FUNCTION_WITH_TAGS = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  CodeDir:
    Type: String
    Default: svc/
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: !Ref CodeDir
      Handler: app.main.handler
      Runtime: python3.12
      FunctionName: !Sub "${AWS::StackName}-fn"
      Layers:
        - !Ref Shared
        - !Sub "arn:aws:lambda:${AWS::Region}:123456789012:layer:deps:3"
      Environment:
        Variables:
          TABLE: !GetAtt Table.Arn
      Events:
        List:
          Type: Api
          Properties:
            Path: /casts
            Method: get
"""


def test_yaml_short_form_tags_become_intrinsics_or_resolved_refs(tmp_path: Path) -> None:
    fn = project(tmp_path, FUNCTION_WITH_TAGS).functions["Fn"]

    assert fn.code_uri == tmp_path / "svc"
    assert fn.function_name == Intrinsic("Fn::Sub", "${AWS::StackName}-fn")
    assert fn.layers == (
        LayerRef(logical_id="Shared"),
        LayerRef(arn=Intrinsic(
            "Fn::Sub", "arn:aws:lambda:${AWS::Region}:123456789012:layer:deps:3")),
    )
    assert fn.environment == {"TABLE": Intrinsic("Fn::GetAtt", ["Table", "Arn"])}
    assert fn.handler == "app.main.handler"
    assert fn.is_python


def test_json_template_gives_the_same_model_with_json_positions(tmp_path: Path) -> None:
    document = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "svc/",
                    "Handler": "app.handler",
                    "Runtime": "python3.12",
                    "Layers": [{"Ref": "Shared"}, "arn:aws:lambda:us-east-1:1:layer:x:1"],
                    "Events": {
                        "Post": {
                            "Type": "HttpApi",
                            "Properties": {"Path": "/x", "Method": "post"},
                        }
                    },
                },
            },
            "Shared": {
                "Type": "AWS::Serverless::LayerVersion",
                "Properties": {"ContentUri": "layer/"},
            },
        },
    }
    path = tmp_path / "template.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    proj = build_project(load_template(path), path)
    fn = proj.functions["Fn"]

    assert fn.code_dir == tmp_path / "svc"
    assert fn.layers == (LayerRef(logical_id="Shared"),
                         LayerRef(arn="arn:aws:lambda:us-east-1:1:layer:x:1"))
    (event,) = fn.events
    assert (event.type, event.path, event.method, event.api_id) == (
        "HttpApi", "/x", "POST", "ServerlessHttpApi")
    lines = path.read_text().splitlines()
    assert proj.locate(("Resources", "Fn", "Properties", "CodeUri")).line == next(
        i for i, line in enumerate(lines, 1) if '"CodeUri"' in line)
    assert event.location is not None
    assert lines[event.location.line - 1].strip().startswith('"Post"')


# -- Globals ----------------------------------------------------------------------------------


def test_function_globals_merge_maps_add_lists_and_the_resource_wins(tmp_path: Path) -> None:
    proj = project(tmp_path, """\
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Runtime: python3.11
            Timeout: 10
            MemorySize: 256
            Layers:
              - !Ref Shared
            Environment:
              Variables:
                LOG_LEVEL: info
                STAGE: global
        Resources:
          Shared:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: layer/
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Runtime: python3.12
              Timeout: 30
              Layers:
                - arn:aws:lambda:us-east-1:123456789012:layer:other:1
              Environment:
                Variables:
                  STAGE: resource
                  TABLE: casts
          Plain:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
        """)
    fn, plain = proj.functions["Fn"], proj.functions["Plain"]

    assert (fn.runtime, fn.timeout, fn.memory_size) == ("python3.12", 30, 256)
    assert fn.environment == {"LOG_LEVEL": "info", "STAGE": "resource", "TABLE": "casts"}
    assert fn.layers == (LayerRef(logical_id="Shared"),
                         LayerRef(arn="arn:aws:lambda:us-east-1:123456789012:layer:other:1"))
    assert (plain.runtime, plain.timeout, plain.memory_size) == ("python3.11", 10, 256)
    assert plain.environment == {"LOG_LEVEL": "info", "STAGE": "global"}
    assert list(proj.function_layers(plain)) == [proj.layers["Shared"]]


def test_api_and_http_api_globals_apply_to_explicit_and_implicit_apis(tmp_path: Path) -> None:
    proj = project(tmp_path, """\
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Api:
            BinaryMediaTypes: [image~1png]
            Auth:
              DefaultAuthorizer: AWS_IAM
          HttpApi:
            Domain:
              DomainName: api.example.com
              CertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/x
              BasePath: [/v1]
        Resources:
          Rest:
            Type: AWS::Serverless::Api
            Properties:
              StageName: live
              BinaryMediaTypes: [application~1pdf]
              Auth:
                ApiKeyRequired: true
          Http:
            Type: AWS::Serverless::HttpApi
            Properties:
              StageName: beta
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Runtime: python3.12
              Events:
                Implicit:
                  Type: Api
                  Properties: {Path: /a, Method: get}
        """)
    rest, http, implicit = proj.apis["Rest"], proj.apis["Http"], proj.apis["ServerlessRestApi"]

    assert rest.binary_media_types == ("image/png", "application/pdf")
    assert rest.auth == {"DefaultAuthorizer": "AWS_IAM", "ApiKeyRequired": True}
    assert (rest.kind, rest.stage_name, rest.implicit) == ("rest", "live", False)
    assert (http.kind, http.stage_name, http.base_path) == ("http", "beta", "/v1")
    assert implicit.binary_media_types == ("image/png",)
    assert (implicit.stage_name, implicit.implicit) == ("Prod", True)


# -- parameters and samconfig.toml ------------------------------------------------------------


PARAMETERISED = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
  CodeDir:
    Type: String
    Default: src/
  Memory:
    Type: Number
    Default: 512
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: !Ref CodeDir
      Handler: app.handler
      Runtime: python3.12
      MemorySize: !Ref Memory
"""


def test_parameters_resolve_to_their_defaults(tmp_path: Path) -> None:
    proj = project(tmp_path, PARAMETERISED)

    assert proj.parameters["Stage"].value == "dev"
    assert proj.parameters["Stage"].location == Location(str(tmp_path / "template.yaml"), 3, 3)
    assert proj.apis["Api"].stage_name == "dev"
    assert proj.functions["Fn"].code_dir == tmp_path / "src"
    assert proj.functions["Fn"].memory_size == 512


@pytest.mark.parametrize(
    "overrides",
    [
        'parameter_overrides = "Stage=prod CodeDir=\\"my app/\\""',
        'parameter_overrides = ["Stage=prod", "CodeDir=\\"my app/\\""]',
        'parameter_overrides = "ParameterKey=Stage,ParameterValue=prod '
        'ParameterKey=CodeDir,ParameterValue=\\"my app/\\""',
    ],
    ids=["string", "list", "parameter-key-form"],
)
def test_samconfig_parameter_overrides_win_over_defaults(tmp_path: Path, overrides: str) -> None:
    (tmp_path / "samconfig.toml").write_text(
        f'version = 0.1\n[default.deploy.parameters]\nstack_name = "x"\n{overrides}\n',
        encoding="utf-8",
    )
    proj = project(tmp_path, PARAMETERISED)

    assert proj.parameters["Stage"].value == "prod"
    assert proj.parameters["Memory"].value == 512
    assert proj.apis["Api"].stage_name == "prod"
    assert proj.functions["Fn"].code_dir == tmp_path / "my app"


def test_samconfig_global_section_is_used_when_deploy_has_no_overrides(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text(
        'version = 0.1\n[default.global.parameters]\nparameter_overrides = "Stage=qa"\n'
        '[default.deploy.parameters]\nstack_name = "x"\n',
        encoding="utf-8",
    )

    assert project(tmp_path, PARAMETERISED).apis["Api"].stage_name == "qa"


@pytest.mark.parametrize("content", ["this is = not [toml", b"\xff\xfe\x00", "default = 3"])
def test_unreadable_samconfig_means_no_overrides(tmp_path: Path, content: str | bytes) -> None:
    samconfig = tmp_path / "samconfig.toml"
    if isinstance(content, bytes):
        samconfig.write_bytes(content)
    else:
        samconfig.write_text(content, encoding="utf-8")

    assert project(tmp_path, PARAMETERISED).apis["Api"].stage_name == "dev"


# -- APIs and events --------------------------------------------------------------------------


def test_implicit_apis_and_event_payload_versions(tmp_path: Path) -> None:
    proj = project(tmp_path, """\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Runtime: python3.12
              Events:
                Rest:
                  Type: Api
                  Properties: {Path: /rest, Method: get}
                HttpDefault:
                  Type: HttpApi
                  Properties: {Path: /v2, Method: post}
                HttpOne:
                  Type: HttpApi
                  Properties: {Path: /v1, Method: any, PayloadFormatVersion: "1.0"}
                HttpTwo:
                  Type: HttpApi
                  Properties: {Path: /two, Method: put, PayloadFormatVersion: "2.0"}
                CatchAll:
                  Type: HttpApi
                Queue:
                  Type: SQS
                  Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:q}
        """)
    events = {e.name: e for e in proj.functions["Fn"].events}

    assert set(events) == {"Rest", "HttpDefault", "HttpOne", "HttpTwo", "CatchAll"}
    assert (events["Rest"].api_id, events["Rest"].payload_format_version) == (
        "ServerlessRestApi", "1.0")
    assert not events["Rest"].is_http_api
    assert {name: e.payload_format_version for name, e in events.items() if e.is_http_api} == {
        "HttpDefault": "2.0", "HttpOne": "1.0", "HttpTwo": "2.0", "CatchAll": "2.0"}
    assert events["HttpOne"].method == "ANY"
    assert (events["CatchAll"].path, events["CatchAll"].method) == (None, None)
    assert {e.api_id for e in events.values() if e.is_http_api} == {"ServerlessHttpApi"}
    assert proj.apis["ServerlessRestApi"].stage_name == "Prod"
    assert proj.apis["ServerlessHttpApi"].kind == "http"
    assert proj.apis["ServerlessHttpApi"].implicit
    assert next((f.logical_id, e.name) for f, e in proj.events()) == ("Fn", "Rest")


def test_explicit_apis_with_stage_and_base_path(tmp_path: Path) -> None:
    proj = project(tmp_path, """\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          CastsApi:
            Type: AWS::Serverless::Api
            Properties:
              StageName: v1
              Domain:
                DomainName: casts.example.com
                CertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/x
                BasePath: /casts
          CastsHttp:
            Type: AWS::Serverless::HttpApi
            Properties:
              StageName: $default
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Handler: app.handler
              Runtime: python3.12
              Events:
                Rest:
                  Type: Api
                  Properties: {Path: /rest, Method: get, RestApiId: !Ref CastsApi}
                Http:
                  Type: HttpApi
                  Properties:
                    Path: /http
                    Method: get
                    ApiId: !Ref CastsHttp
                    PayloadFormatVersion: "1.0"
        """)
    events = {e.name: e for e in proj.functions["Fn"].events}

    assert events["Rest"].api_id == "CastsApi"
    assert events["Http"].api_id == "CastsHttp"
    assert events["Http"].payload_format_version == "1.0"
    assert proj.apis["CastsApi"].stage_name == "v1"
    assert proj.apis["CastsApi"].base_path == "/casts"
    assert proj.apis["CastsApi"].location == Location(str(tmp_path / "template.yaml"), 3, 3)
    assert proj.apis["CastsHttp"].stage_name == "$default"
    assert set(proj.apis) == {"CastsApi", "CastsHttp"}


# -- code locations ---------------------------------------------------------------------------


def test_code_locations_local_s3_dict_intrinsic_and_image(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")  # the project root, so ../shared is inside
    proj = project(tmp_path, """\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Local:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: ../shared/svc, Handler: a.h, Runtime: python3.12}
          Default:
            Type: AWS::Serverless::Function
            Properties: {Handler: a.h, Runtime: python3.12}
          S3String:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: s3://bucket/code.zip, Handler: a.h, Runtime: python3.12}
          S3Dict:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: {Bucket: bucket, Key: code.zip, Version: "3"}
              Handler: a.h
              Runtime: python3.12
          FromSub:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: !Sub "s3://${AWS::AccountId}-code/app.zip"
              Handler: a.h
              Runtime: python3.12
          Image:
            Type: AWS::Serverless::Function
            Properties:
              PackageType: Image
              ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest
          LocalLayer:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: layers/deps
              CompatibleRuntimes: [python3.12]
          S3Layer:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: {Bucket: bucket, Key: layer.zip}
        """, name="app/template.yaml")
    functions, layers = proj.functions, proj.layers
    root = tmp_path / "app"

    assert proj.root == root
    assert proj.project_root == tmp_path
    assert functions["Local"].code_dir == root / "../shared/svc"
    assert functions["Default"].code_dir == root
    assert functions["S3String"].code_uri == S3Location("s3://bucket/code.zip")
    assert functions["S3Dict"].code_uri == S3Location("s3://bucket/code.zip")
    assert functions["FromSub"].code_uri == Intrinsic("Fn::Sub", "s3://${AWS::AccountId}-code/app.zip")
    assert functions["FromSub"].code_dir is None
    assert (functions["Image"].package_type, functions["Image"].code_uri) == ("Image", None)
    assert not functions["Image"].is_python
    assert layers["LocalLayer"].content_dir == root / "layers/deps"
    assert layers["LocalLayer"].compatible_runtimes == ("python3.12",)
    assert layers["S3Layer"].content_uri == S3Location("s3://bucket/layer.zip")


def test_relative_template_path_resolves_code_against_the_template_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "app", "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
          "    Properties: {CodeUri: svc/, Handler: a.h, Runtime: python3.12}\n")
    monkeypatch.chdir(tmp_path)
    relative = Path("app/template.yaml")
    proj = build_project(load_template(relative), relative)

    assert proj.functions["Fn"].code_dir == tmp_path / "app" / "svc"
    assert proj.locate(("Resources", "Fn")) == Location("app/template.yaml", 2, 3)


# -- wrong types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "resources",
    [
        "Fn: {Type: AWS::Serverless::Function, Properties: {Handler: a.h, Events: [a, b]}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {Events: {E: {Type: Api, "
        "Properties: {Path: 42, Method: [get]}}}}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {Events: {E: {Type: HttpApi, "
        "Properties: not-a-map}}}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {Events: {E: 3}}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {CodeUri: {Path: svc}}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {CodeUri: 7, Runtime: 3.12}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: a string}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {Layers: arn:x, Environment: [1]}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {Timeout: soon, MemorySize: true}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {Architectures: arm64}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {Environment: {Variables: [a]}}}",
        "Fn: {Type: AWS::Serverless::Function, Metadata: [BuildMethod], Properties: {}}",
        "Fn: {Type: AWS::Serverless::Function, Metadata: {BuildMethod: 3, ContextPath: [x]}}",
        "Fn: {Type: [AWS::Serverless::Function]}",
        "Fn: just a string",
        "Api: {Type: AWS::Serverless::Api, Properties: {StageName: [a], Domain: x}}",
        "Api: {Type: AWS::Serverless::HttpApi, Properties: {Domain: {BasePath: []}}}",
        "Api: {Type: AWS::Serverless::Api, Properties: {BinaryMediaTypes: image/png}}",
        "L: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: [a], "
        "CompatibleRuntimes: python3.12}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {Layers: [{Ref: [x]}, "
        "{Fn::GetAtt: 3}]}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {Events: {E: {Type: Api, "
        "Properties: {RestApiId: {Ref: 3}, Path: /a, Method: get}}}}}",
        "Fn: {Type: AWS::Serverless::Function, Properties: {Events: {3: {Type: Api}}}}",
    ],
)
def test_wrong_types_in_resources_never_crash(tmp_path: Path, resources: str) -> None:
    proj = project(tmp_path, f"Resources:\n  {resources}\n")

    assert pickle.loads(pickle.dumps(proj)) == proj


@pytest.mark.parametrize(
    "template",
    [
        "Resources: [a, b]",
        "Resources: text",
        "Resources: {}\nGlobals: text",
        "Resources: {}\nGlobals: {Function: [a]}",
        "Parameters: [a]\nResources: {}",
        "Parameters: {P: text, 3: {Type: String}}\nResources: {}",
        "Parameters: {P: {Type: [String], Default: {a: b}}}\nResources: {}",
        "Transform: [1, 2]\nResources: {}",
    ],
)
def test_wrong_types_in_sections_never_crash(tmp_path: Path, template: str) -> None:
    proj = project(tmp_path, template + "\n")

    assert proj.functions == {}
    assert not proj.has_sam_resources


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                     st.text(max_size=8), st.sampled_from(["Api", "HttpApi", "/a", "get", "s3://b/k"]))
_keys = st.sampled_from(["Type", "Properties", "Path", "Method", "Ref", "Fn::Sub", "Bucket", "Key",
                         "Events", "CodeUri", "Layers", "Variables", "StageName", "Domain"])
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(_keys, children, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rtype=st.sampled_from(["AWS::Serverless::Function", "AWS::Serverless::Api",
                           "AWS::Serverless::HttpApi", "AWS::Serverless::LayerVersion"]),
    properties=st.dictionaries(
        st.sampled_from(["CodeUri", "ContentUri", "Events", "Layers", "Environment", "Runtime",
                         "PackageType", "StageName", "Domain", "Timeout", "Architectures",
                         "BinaryMediaTypes", "Auth", "Handler"]),
        _values, max_size=5),
    globals_=st.dictionaries(st.sampled_from(["Function", "Api", "HttpApi"]), _values, max_size=2),
)
def test_any_shape_of_properties_builds_a_picklable_model(
    rtype: str, properties: dict, globals_: dict
) -> None:
    template = {"Globals": globals_, "Resources": {"R": {"Type": rtype, "Properties": properties}}}
    proj = build_project(template, Path("/nonexistent/template.yaml"))

    assert proj.resource_types == {"R": rtype}
    assert pickle.loads(pickle.dumps(proj)) == proj


# -- positions and pickling -------------------------------------------------------------------


def test_locate_gives_the_line_of_nested_paths_and_falls_back_to_ancestors(tmp_path: Path) -> None:
    proj = project(tmp_path, FUNCTION_WITH_TAGS)
    file = str(tmp_path / "template.yaml")

    assert proj.locate(("Resources", "Fn")) == Location(file, 11, 3)
    assert proj.locate(("Resources", "Fn", "Properties", "CodeUri")) == Location(file, 14, 7)
    assert proj.locate(("Resources", "Fn", "Properties", "Layers", 1)) == Location(file, 20, 11)
    assert proj.locate(
        ("Resources", "Fn", "Properties", "Events", "List", "Properties", "Method")
    ) == Location(file, 29, 13)
    assert proj.locate(("Resources", "Fn", "Properties", "Timeout")) == Location(file, 13, 5)
    assert proj.locate(("Resources", "Missing", "Properties")) == Location(file, 6, 1)
    assert proj.locate(()) == Location(file, 1, 1)
    assert proj.functions["Fn"].location == Location(file, 11, 3)
    assert proj.functions["Fn"].events[0].location == Location(file, 25, 9)


def test_project_pickles_to_an_equal_project(tmp_path: Path) -> None:
    (tmp_path / "samconfig.toml").write_text(
        '[default.deploy.parameters]\nparameter_overrides = "CodeDir=other/"\n', encoding="utf-8")
    proj = project(tmp_path, FUNCTION_WITH_TAGS)
    copy = pickle.loads(pickle.dumps(proj))

    assert copy == proj
    assert copy.functions["Fn"].code_dir == tmp_path / "other"
    assert copy.locate(("Resources", "Fn", "Properties", "CodeUri")) == proj.locate(
        ("Resources", "Fn", "Properties", "CodeUri"))
