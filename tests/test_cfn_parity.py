"""Our cfn-lint findings are exactly what the installed ``cfn-lint`` command reports."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sam_fastapi.cli import main

pytestmark = pytest.mark.slow

CLEAN = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  CastFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: svc/
      Handler: app.handler
      Runtime: python3.12
      Events:
        List:
          Type: HttpApi
          Properties: {Path: /casts, Method: get}
"""

BROKEN = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    AllowedValues: [dev, prod]
    Default: test
Resources:
  CastFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: svc/
      Handler: app.handler
      Runtime: python3.12
      MemorySize: 64
      Environment:
        Variables:
          TABLE: !Ref Tabel
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketNam: casts
  Topic:
    Type: AWS::SNS::Topic
    DependsOn: Bucket
    Properties:
      TopicName: !Ref Bucket
Outputs:
  Url:
    Value: !GetAtt Bucket.Nope
"""

METADATA_CONFIG = BROKEN.replace("Resources:\n", textwrap.dedent("""\
    Metadata:
      cfn-lint:
        config:
          ignore_checks: [E3034, E6101]
          regions: [us-west-2]
    Resources:
    """), 1)

CFNLINTRC = """\
ignore_checks:
  - W3005
  - E303
include_checks:
  - I
regions:
  - us-east-1
  - eu-west-1
"""


def cfn_lint_cli(folder: Path, template: str) -> set[tuple[str, int]]:
    """(rule, line) of each match the ``cfn-lint`` command prints for ``template``."""
    return {(rule, line) for rule, line, _column, _message in cfn_lint_matches(folder, template)}


def cfn_lint_matches(folder: Path, template: str) -> list[tuple[str, int, int, str]]:
    """(rule, line, column, message) of each match the ``cfn-lint`` command prints, sorted."""
    executable = shutil.which("cfn-lint", path=str(Path(sys.executable).parent))
    assert executable is not None, "cfn-lint is installed beside this Python"
    result = subprocess.run([executable, "--format", "parseable", template], cwd=folder,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr
    matches = []
    for line in result.stdout.splitlines():
        file, line_number, column, _end_line, _end_column, rule, message = line.split(":", 6)
        assert file == template
        matches.append((rule, int(line_number), int(column), message))
    return sorted(matches)


def ours(folder: Path, template: str, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> set[tuple[str, int]]:
    monkeypatch.chdir(folder)
    main(["lint", "--format", "json", template])
    findings = json.loads(capsys.readouterr().out)
    assert {f["file"] for f in findings} <= {template}
    return {(f["rule"], f["line"]) for f in findings if not f["rule"].startswith("SF")}


@pytest.mark.parametrize(
    ("name", "template", "cfnlintrc", "expected"),
    [
        ("clean.yaml", CLEAN, None, set()),
        ("broken.yaml", BROKEN, None,
         {("E2015", 7), ("E3034", 15), ("E1020", 18), ("E3002", 22), ("W3005", 25),
          ("E6101", 30)}),
        ("metadata.yaml", METADATA_CONFIG, None,
         {("E2015", 7), ("E1020", 23), ("E3002", 27), ("W3005", 30)}),
        ("rc.yaml", BROKEN, CFNLINTRC,
         {("E2015", 7), ("E1020", 18), ("E3002", 22), ("E6101", 30)}),
        ("template.json", json.dumps({
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {
                "CodeUri": "svc/", "Handler": "app.handler", "Runtime": "python3.12",
                "MemorySize": 64}}},
        }, indent=2), None, {("E3034", 10)}),
    ],
)
def test_cfn_lint_findings_match_the_cfn_lint_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    name: str, template: str, cfnlintrc: str | None, expected: set[tuple[str, int]],
) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / name).write_text(template, encoding="utf-8")
    if cfnlintrc is not None:
        (tmp_path / ".cfnlintrc").write_text(cfnlintrc, encoding="utf-8")

    reported = cfn_lint_cli(tmp_path, name)
    assert ours(tmp_path, name, monkeypatch, capsys) == reported
    # The expected pairs keep the comparison honest: both sides must see these problems.
    assert expected <= reported
    assert {rule for rule, _ in reported} - {rule for rule, _ in expected} <= {"E3030", "E3031"}


MANY_SCHEMAS = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      EndpointConfiguration: {Type: SIDEWAYS}
  CastFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: svc/
      Handler: app.handler
      Runtime: python3.12
      MemorySize: 64
      VpcConfig: {SubnetIds: subnet-1, SecurityGroupIds: [sg-1]}
      Events:
        List:
          Type: Api
          Properties: {Path: /casts, Method: get, RestApiId: !Ref Api}
        Proxy:
          Type: HttpApi
          Properties: {Path: "/casts/{proxy+}", Method: any, TimeoutInMilis: 100}
  MovieFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: svc/
      Handler: app.handler
      Runtime: python3.12
      Timeout: 0
      Environment: {Variables: {TABLE: [a, b]}}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allowed, Principal: {Service: lambda.amazonaws.com},
                     Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument: {Statement: [{Effect: Allow, Actions: "s3:GetObject", Resource: "*"}]}
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Code: {ZipFile: "x", S3Bucket: b}
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Runtime: python3.12
      VpcConfig: {SubnetIds: [subnet-1], SecurityGroupId: [sg-1]}
      TracingConfig: {Mode: Sometimes}
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: "fifty"
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: many}
  Dlq:
    Type: AWS::SQS::Queue
"""


def test_cfn_lint_messages_match_the_command_where_schemas_are_looked_up_many_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """The cfn-lint child memoizes schema lookups and suggestions (``remember_repeated_work``);
    errors deep in many resources' schemas still come out exactly as the command prints them."""
    (tmp_path / "svc").mkdir()
    (tmp_path / "many.yaml").write_text(MANY_SCHEMAS, encoding="utf-8")

    reported = cfn_lint_matches(tmp_path, "many.yaml")
    monkeypatch.chdir(tmp_path)
    main(["lint", "--format", "json", "many.yaml"])
    findings = json.loads(capsys.readouterr().out)
    assert sorted((f["rule"], f["line"], f["column"], f["message"]) for f in findings
                  if not f["rule"].startswith("SF")) == reported
    assert len(reported) > 40
    assert {"E3002", "E3003", "E3012", "E3030", "E3510", "E3530"} <= {r[0] for r in reported}


def test_the_cfn_lint_child_memoizes_with_the_installed_cfn_lint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Guards the speed-up: a cfn-lint release that renames what is memoized would silently
    make lint half as fast at 100 functions."""
    from cfnlint.context import context
    from cfnlint.jsonschema import _filter, _keywords, validators
    from cfnlint.schema.resolver._resolver import RefResolver

    from sam_fastapi.cfn_memos import remember_repeated_work

    monkeypatch.setattr(RefResolver, "resolve_fragment", RefResolver.resolve_fragment)
    monkeypatch.setattr(RefResolver, "_get_subschemas_cache", RefResolver._get_subschemas_cache)
    monkeypatch.setattr(_keywords, "SequenceMatcher", _keywords.SequenceMatcher)
    for module in (context, _filter, validators):
        monkeypatch.setattr(module, "fields", module.fields)
    monkeypatch.setattr(validators, "create", validators.create)
    monkeypatch.setattr(_keywords, "anyOf", _keywords.anyOf)
    schema_rule = importlib.import_module("cfnlint.rules.jsonschema.CfnLintJsonSchema")
    monkeypatch.setattr(schema_rule, "load_resource", schema_rule.load_resource)
    if "_schema" in vars(schema_rule.CfnLintJsonSchema):
        monkeypatch.setattr(schema_rule.CfnLintJsonSchema, "_schema",
                            vars(schema_rule.CfnLintJsonSchema)["_schema"])
    else:
        monkeypatch.setattr(schema_rule.CfnLintJsonSchema, "_schema", None, raising=False)
        monkeypatch.delattr(schema_rule.CfnLintJsonSchema, "_schema")
    for table in [validators._standard_validators, *(
            field.default_factory() for cls in (validators.CfnTemplateValidator,
                                                validators.StandardValidator)
            for field in dataclasses.fields(cls) if field.name == "validators")]:
        monkeypatch.setitem(table, "anyOf", table["anyOf"])
    names = ["schema lookups", "suggestions", "dataclass fields", "validator classes",
             "subschema indexes", "anyOf branches", "rule schemas on first use"]
    assert remember_repeated_work() == names
    assert remember_repeated_work() == names  # applied once
    assert _keywords.SequenceMatcher(a="TimeoutInMilis", b="TimeoutInMillis").ratio() > 0.8
    assert validators.CfnTemplateValidator({}).validators["anyOf"] is _keywords.anyOf


EVENTS = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: Prod}
  HttpApi:
    Type: AWS::Serverless::HttpApi
  Queue:
    Type: AWS::SQS::Queue
  Bucket:
    Type: AWS::S3::Bucket
  One:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: svc/
      Handler: app.handler
      Runtime: python3.12
      Events:
        Good: {Type: Api, Properties: {Path: /a, Method: get}}
        GoodRef: {Type: Api, Properties: {Path: /b, Method: get, RestApiId: !Ref Api}}
        Typo: {Type: Api, Properties: {Path: /c, Methd: get}}
        TypoRef: {Type: Api, Properties: {Path: /d, Method: get, RestApiId: !Ref Api, Extra: 1}}
        Http: {Type: HttpApi, Properties: {Path: /e, Method: get, TimeoutInMilis: 100}}
        HttpOk: {Type: HttpApi, Properties: {Path: /f, Method: get, ApiId: !Ref HttpApi}}
        HttpBare: {Type: HttpApi}
        Sqs: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn, BatchSize: many}}
        SqsOk: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn, BatchSize: 5}}
        S3: {Type: S3, Properties: {Bucket: !Ref Bucket, Events: s3:ObjectCreated:*}}
        S3Bad: {Type: S3, Properties: {Bucket: !Ref Bucket}}
        Sched: {Type: Schedule, Properties: {Schedule: rate(5 minutes), Enabled: maybe}}
        Weird: {Type: Carrier, Properties: {Pigeon: true}}
        NoProps: {Type: Api}
        Cond: {Type: Api, Properties: {Path: !If [IsProd, /p, /q], Method: get}}
        Listy: {Type: Api, Properties: [1, 2]}
  Two:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: svc/
      Handler: app.handler
      Runtime: python3.12
      Policies:
        - S3ReadPolicy: {BucketName: !Ref Bucket}
        - AWSLambdaBasicExecutionRole
        - Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]
        - Statement: [{Effect: Maybe, Action: s3:GetObject, Resource: "*"}]
        - NotAPolicy: {Foo: bar}
      Events:
        Good: {Type: Api, Properties: {Path: /a, Method: get}}
        Typo: {Type: Api, Properties: {Path: /c, Methd: get}}
        Sqs: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}
  Three:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: "def handler(e, c): pass"
      Handler: index.handler
      Runtime: python3.12
      Events:
        Typo: {Type: Api, Properties: {Path: /c, Methd: get}}
        Good: {Type: Api, Properties: {Path: /a, Method: get}}
"""


def lint_bench() -> Any:
    """bench/lint_bench.py, whose generated projects the speed targets are measured on."""
    path = Path(__file__).resolve().parents[1] / "bench" / "lint_bench.py"
    spec = importlib.util.spec_from_file_location("lint_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generated(root: Path, functions: int) -> str:
    """The bench's project of ``functions`` functions, with SAM event errors among them: a
    valid event follows an invalid one of the same type, and the other way round."""
    template = lint_bench().generate(root, functions)
    text = template.read_text(encoding="utf-8")
    last, middle = functions - 1, functions // 2
    for old, new in [
        ("{RestApiId: !Ref Api, Path: /res1, Method: ANY}", "{Path: /res1, Methd: ANY}"),
        ("{RestApiId: !Ref Api, Path: /res2, Method: ANY}", "{Path: /res2, Method: ANY}"),
        ("{RestApiId: !Ref Api, Path: /res3, Method: ANY}",
         "{RestApiId: !Ref Api, Path: /res3, Method: ANY, Extra: 1}"),
        ("{RestApiId: !Ref Api, Path: /res4, Method: ANY}", "{Path: /res4}"),
        (f"{{RestApiId: !Ref Api, Path: /res{middle}, Method: ANY}}",
         f"{{Path: /res{middle}, Method: ANY, TimeoutInMilis: 50}}"),
        (f"{{RestApiId: !Ref Api, Path: /res{last}, Method: ANY}}",
         f"{{Path: /res{last}, Method: ANY}}"),
    ]:
        assert old in text, old
        text = text.replace(old, new, 1)
    text = text.replace("      Handler: app.main.handler\n",
                        "      Handler: app.main.handler\n      MemorySize: 64\n", 1)
    template.write_text(text, encoding="utf-8")
    return template.name


def our_matches(folder: Path, template: str, monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str]) -> list[tuple[str, int, int, str]]:
    monkeypatch.chdir(folder)
    main(["lint", "--format", "json", template])
    findings = json.loads(capsys.readouterr().out)
    return sorted((f["rule"], f["line"], f["column"], f["message"]) for f in findings
                  if not f["rule"].startswith("SF"))


@pytest.mark.parametrize("functions", [10, 100])
def test_cfn_lint_messages_match_the_command_on_the_bench_projects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    functions: int,
) -> None:
    """The memos of the cfn-lint child (``remember_repeated_work``) on the projects the speed
    targets are measured on, with errors inside SAM events between many valid ones: the same
    findings and messages as the ``cfn-lint`` command."""
    template = generated(tmp_path, functions)

    reported = cfn_lint_matches(tmp_path, template)
    assert our_matches(tmp_path, template, monkeypatch, capsys) == reported
    rules = {rule for rule, *_ in reported}
    assert {"E3002", "E3003", "E3017", "E3030", "E3034"} <= rules
    assert any("Did you mean 'TimeoutInMillis'?" in message for *_, message in reported)


def test_cfn_lint_messages_match_the_command_on_every_kind_of_sam_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """Valid, invalid and undecidable (``!Ref``, ``!If``) events of several types in a row, as
    the ``anyOf`` short-cut meets them: the same findings and messages as the command."""
    (tmp_path / "svc").mkdir()
    (tmp_path / "events.yaml").write_text(EVENTS, encoding="utf-8")

    reported = cfn_lint_matches(tmp_path, "events.yaml")
    assert our_matches(tmp_path, "events.yaml", monkeypatch, capsys) == reported
    assert len(reported) > 150
    lines = {line for _, line, *_ in reported}
    # Undecidable events hide their errors from cfn-lint: an Extra property beside !Ref Api.
    assert EVENTS.splitlines().index(
        "        TypoRef: {Type: Api, Properties: {Path: /d, Method: get, RestApiId: !Ref Api, "
        "Extra: 1}}") + 1 not in lines
