"""``sam_client`` with authorizers: tokens, claims, bypass, and a fresh cache per test."""

from __future__ import annotations

from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parents[1] / "gateway" / "apps"

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: Tok
        Authorizers:
          Tok: {FunctionArn: !GetAtt AuthFunction.Arn}
          Pool: {UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/x}
  AuthFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: auth/, Handler: authorizer.handler}
  Who:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: who/
      Handler: app.handler
      Events:
        Tok: {Type: Api, Properties: {RestApiId: !Ref Rest, Path: /tok, Method: GET}}
        Pool:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /pool, Method: GET, Auth: {Authorizer: Pool}}
"""

TESTS = """\
def test_token_header(sam_client):
    response = sam_client.get("/tok", headers={"Authorization": "allow"})
    assert response.status_code == 200
    assert response.json()["authorizer"]["principalId"] == "user-1"
    # The second request is answered from the cache.
    again = sam_client.get("/tok", headers={"Authorization": "allow"})
    assert again.json()["authorizer"]["calls"] == response.json()["authorizer"]["calls"]


def test_each_test_starts_with_an_empty_cache(sam_client):
    first = sam_client.get("/tok", headers={"Authorization": "allow"}).json()
    assert first["authorizer"]["calls"] == "2"


def test_denied_and_missing(sam_client):
    assert sam_client.get("/tok", headers={"Authorization": "deny"}).status_code == 403
    response = sam_client.get("/tok")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.function is None


def test_bypass(sam_client):
    assert sam_client.get("/tok", auth=False).status_code == 200
    assert sam_client.without_auth().get("/tok").json() == {"authorizer": None}


def test_default_headers(sam_client):
    client = sam_client.with_headers({"Authorization": "allow"})
    assert client.get("/tok").status_code == 200
    assert client.get("/tok", headers={"authorization": "deny"}).status_code == 403


def test_claims_and_signed_tokens(sam_client):
    response = sam_client.get("/pool", claims={"sub": "u1"})
    assert response.json() == {"authorizer": {"claims": {"sub": "u1"}}}
    token = sam_client.token({"sub": "u2"})
    response = sam_client.get("/pool", headers={"Authorization": token})
    assert response.json() == {"authorizer": {"claims": {"sub": "u2"}}}
    assert sam_client.get("/pool", headers={"Authorization": "forged"}).status_code == 401
"""


def test_sam_client_with_authorizers(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", template=TEMPLATE)
    (pytester.path / "auth").mkdir()
    (pytester.path / "auth" / "authorizer.py").write_text(
        (APPS / "authorizer.py").read_text(encoding="utf-8"), encoding="utf-8")
    (pytester.path / "who").mkdir()
    (pytester.path / "who" / "app.py").write_text(
        (APPS / "whoami.py").read_text(encoding="utf-8"), encoding="utf-8")
    pytester.makepyfile(test_client_auth=TESTS)

    result = pytester.runpytest("--sam", "template.yaml", "-p", "no:randomly")

    result.assert_outcomes(passed=6)
