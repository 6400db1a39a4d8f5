"""SF303 leaves Lambda authorizers alone: they answer API Gateway with a policy, not HTTP."""

from __future__ import annotations

from pathlib import Path

from sam_fastapi.config import LintConfig
from sam_fastapi.lint import Linter
from sam_fastapi.plugins import get_plugin_manager

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: Tok
        Authorizers:
          Tok:
            FunctionArn: !GetAtt AuthFunction.Arn
  AuthFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: auth/, Handler: authorizer.handler}
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: plain/
      Handler: plain.handler
      Events:
        Get: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /x, Method: GET}}
"""

PLAIN = """\
def handler(event, context):
    return {"principalId": "u", "policyDocument": {"Statement": []}}
"""


def test_authorizer_function_is_not_reported_but_a_plain_route_handler_is(
        tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    for folder, name in (("auth", "authorizer.py"), ("plain", "plain.py")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text(PLAIN, encoding="utf-8")
    linter = Linter(get_plugin_manager(entry_points=False),
                    LintConfig(use_cache=False, select=("SF3",)))

    findings = linter.lint([tmp_path / "template.yaml"]).findings

    assert [(f.rule, Path(f.location.file).name, f.location.line) for f in findings] == [
        ("SF303", "plain.py", 1)]
