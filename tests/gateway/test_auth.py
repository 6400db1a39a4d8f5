"""Authorizers in the gateway: real authorizer handlers and a real FastAPI app behind Mangum."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sam_fastapi.gateway import Gateway, GatewayError
from sam_fastapi.gateway.auth import jwt

APPS = Path(__file__).parent / "apps"
AUTHORIZER = (APPS / "authorizer.py").read_text(encoding="utf-8")
WHOAMI = (APPS / "whoami.py").read_text(encoding="utf-8")

TEMPLATE = """
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
          Tok:
            FunctionArn: !GetAtt AuthFunction.Arn
            Identity: {ValidationExpression: "^[a-z-]+$"}
          Req:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt AuthFunction.Arn
            Identity: {Headers: [X-User], QueryStrings: [q], ReauthorizeEvery: 0}
          Pool:
            UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_x
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Simple
        Authorizers:
          Simple:
            FunctionArn: !GetAtt SimpleAuthFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {Headers: [X-User], ReauthorizeEvery: 60}
          Iam2:
            FunctionArn: !GetAtt AuthFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            Identity: {Headers: [X-User]}
          Iam1:
            FunctionArn: !GetAtt AuthFunction.Arn
            AuthorizerPayloadFormatVersion: "1.0"
            Identity: {Headers: [X-User]}
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: https://issuer.example
              audience: [movies]
  AuthFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: auth/, Handler: authorizer.handler}
  SimpleAuthFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: auth/, Handler: authorizer.simple}
  Who:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: who/
      Handler: app.handler
      Events:
        Tok: {Type: Api, Properties: {RestApiId: !Ref Rest, Path: "/tok/{id}", Method: ANY}}
        Req:
          Type: Api
          Properties:
            RestApiId: !Ref Rest
            Path: /req
            Method: GET
            Auth: {Authorizer: Req}
        Pool:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /pool, Method: GET, Auth: {Authorizer: Pool}}
        Open:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: /open, Method: GET, Auth: {Authorizer: NONE}}
        Simple: {Type: HttpApi, Properties: {ApiId: !Ref Http, Path: /simple, Method: GET}}
        Iam2:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: /iam2, Method: GET, Auth: {Authorizer: Iam2}}
        Jwt:
          Type: HttpApi
          Properties:
            ApiId: !Ref Http
            Path: /jwt
            Method: GET
            Auth: {Authorizer: Jwt, AuthorizationScopes: [movies/read]}
  Who1:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: who/
      Handler: app.handler
      Events:
        Iam1:
          Type: HttpApi
          Properties:
            ApiId: !Ref Http
            Path: /iam1
            Method: GET
            PayloadFormatVersion: "1.0"
            Auth: {Authorizer: Iam1}
        Jwt1:
          Type: HttpApi
          Properties:
            ApiId: !Ref Http
            Path: /jwt1
            Method: GET
            PayloadFormatVersion: "1.0"
            Auth: {Authorizer: Jwt}
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gw(gateway, clock: Clock) -> Gateway:
    return gateway(TEMPLATE, {"auth/authorizer.py": AUTHORIZER, "who/app.py": WHOAMI},
                   clock=clock)


def authorizer_of(exchange) -> dict:
    assert exchange.status == 200, (exchange.status, exchange.body, exchange.error)
    return json.loads(exchange.body)["authorizer"]


# -- REST TOKEN -------------------------------------------------------------------------------

def test_token_allow_puts_principal_and_stringified_context_in_the_event(gw: Gateway) -> None:
    seen = authorizer_of(gw.request("GET", "/tok/1", headers={"Authorization": "allow"}))

    assert seen["principalId"] == "user-1"
    assert isinstance(seen["integrationLatency"], int)
    assert seen["type"] == "TOKEN"
    assert seen["calls"] == "1" and seen["allowed"] == "true"
    api_id = gw.router.apis["Rest"].api.api_id
    assert seen["arn"] == f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/Prod/GET/tok/1"
    # Same invoker as the routes: the authorizer ran as its own function.
    assert seen["function"] == "AuthFunction"


def test_token_missing_or_invalid_is_401_without_calling_the_authorizer(gw: Gateway) -> None:
    for headers in ({}, {"Authorization": ""}, {"Authorization": "NOT VALID!"}):
        exchange = gw.request("GET", "/tok/1", headers=headers)
        assert exchange.status == 401
        assert exchange.json() == {"message": "Unauthorized"}
        assert exchange.header("x-amzn-ErrorType") == "UnauthorizedException"
        assert exchange.invocation is None and exchange.function is None


def test_token_explicit_deny_is_403_with_api_gateways_body(gw: Gateway) -> None:
    exchange = gw.request("GET", "/tok/1", headers={"Authorization": "deny"})

    assert exchange.status == 403
    assert exchange.json() == {
        "Message": "User is not authorized to access this resource with an explicit deny"}
    assert exchange.function is None
    assert exchange.event["type"] == "TOKEN"


def test_token_policy_not_covering_the_method_is_an_implicit_deny(gw: Gateway) -> None:
    exchange = gw.request("GET", "/tok/1", headers={"Authorization": "post-only"})
    assert exchange.status == 403
    assert exchange.json() == {"Message": "User is not authorized to access this resource"}

    # The same cached policy allows the method it names.
    assert gw.request("POST", "/tok/1", headers={"Authorization": "post-only"}).status == 200


@pytest.mark.parametrize(("token", "status", "body"), [
    ("unauthorized", 401, {"message": "Unauthorized"}),
    ("broken", 500, {"message": None}),
    ("crash", 500, {"message": None}),
])
def test_authorizer_errors_are_answered_as_api_gateway_does(gw: Gateway, token: str,
                                                            status: int, body: dict) -> None:
    exchange = gw.request("GET", "/tok/1", headers={"Authorization": token})

    assert (exchange.status, exchange.json()) == (status, body)
    if status == 500:
        assert exchange.header("x-amzn-ErrorType") == "AuthorizerConfigurationException"
        assert "AuthFunction" in exchange.error or "Tok" in exchange.error


def test_token_answers_are_cached_for_the_ttl_and_cleared_on_demand(gw: Gateway,
                                                                    clock: Clock) -> None:
    headers = {"Authorization": "allow"}
    first = authorizer_of(gw.request("GET", "/tok/1", headers=headers))
    again = gw.request("GET", "/tok/2", headers=headers)
    assert authorizer_of(again)["calls"] == first["calls"]
    assert again.invocation.result is not None  # the route's, the authorizer did not run

    clock.now += 301  # SAM's default ReauthorizeEvery is 300
    assert int(authorizer_of(gw.request("GET", "/tok/1", headers=headers))["calls"]) == \
        int(first["calls"]) + 1

    gw.authorizers.cache.clear()
    assert int(authorizer_of(gw.request("GET", "/tok/1", headers=headers))["calls"]) == \
        int(first["calls"]) + 2


def test_open_route_and_explicit_bypass_skip_the_authorizer(gw: Gateway) -> None:
    assert authorizer_of(gw.request("GET", "/open")) is None
    assert gw.request("GET", "/tok/1", authorize=False).status == 200


# -- REST REQUEST -----------------------------------------------------------------------------

def test_request_authorizer_gets_the_request_and_needs_every_identity_source(
        gw: Gateway) -> None:
    assert gw.request("GET", "/req", headers={"X-User": "allow"}).status == 401  # no ?q=
    exchange = gw.request("GET", "/req?q=1", headers={"X-User": "allow"})

    seen = authorizer_of(exchange)
    assert seen["type"] == "REQUEST" and seen["version"] == "none"
    assert seen["arn"].endswith("/Prod/GET/req")


def test_request_authorizer_with_ttl_0_is_called_every_time(gw: Gateway) -> None:
    headers = {"X-User": "allow"}
    first = authorizer_of(gw.request("GET", "/req?q=1", headers=headers))
    second = authorizer_of(gw.request("GET", "/req?q=1", headers=headers))
    assert int(second["calls"]) == int(first["calls"]) + 1


# -- HTTP API Lambda authorizers --------------------------------------------------------------

def test_http_simple_response_context_goes_under_lambda(gw: Gateway) -> None:
    seen = authorizer_of(gw.request("GET", "/simple", headers={"X-User": "allow"}))

    context = seen["lambda"]
    assert context["type"] == "REQUEST" and context["version"] == "2.0"
    assert context["identity"] == "['allow']"
    assert isinstance(context["calls"], int)  # payload 2.0 keeps the JSON types
    assert context["arn"].endswith("/$default/GET/simple")


@pytest.mark.parametrize(("user", "status", "body"), [
    ("nobody", 403, {"message": "Forbidden"}),
    ("broken", 500, {"message": "Internal Server Error"}),
])
def test_http_simple_response_refusals(gw: Gateway, user: str, status: int, body: dict) -> None:
    exchange = gw.request("GET", "/simple", headers={"X-User": user})
    assert (exchange.status, exchange.json()) == (status, body)


def test_http_missing_identity_is_401(gw: Gateway) -> None:
    exchange = gw.request("GET", "/simple")
    assert (exchange.status, exchange.json()) == (401, {"message": "Unauthorized"})


def test_http_simple_answer_is_cached_per_identity(gw: Gateway, clock: Clock) -> None:
    first = authorizer_of(gw.request("GET", "/simple", headers={"X-User": "allow"}))
    cached = authorizer_of(gw.request("GET", "/simple", headers={"X-User": "allow"}))
    assert cached["lambda"]["calls"] == first["lambda"]["calls"]
    clock.now += 61
    fresh = authorizer_of(gw.request("GET", "/simple", headers={"X-User": "allow"}))
    assert fresh["lambda"]["calls"] == first["lambda"]["calls"] + 1


def test_http_payload_2_iam_policy(gw: Gateway) -> None:
    seen = authorizer_of(gw.request("GET", "/iam2", headers={"X-User": "allow"}))
    assert seen["lambda"]["version"] == "2.0"
    exchange = gw.request("GET", "/iam2", headers={"X-User": "deny"})
    assert (exchange.status, exchange.json()) == (403, {"message": "Forbidden"})


def test_http_payload_1_authorizer_gets_joined_identity_and_flat_context(gw: Gateway) -> None:
    seen = authorizer_of(gw.request("GET", "/iam1", headers={"X-User": "allow"}))

    assert seen["principalId"] == "user-1"
    assert seen["version"] == "1.0" and seen["identity"] == "allow"
    assert seen["arn"].endswith("/$default/GET/iam1")


# -- JWT and Cognito --------------------------------------------------------------------------

def claims(clock: Clock, **extra) -> dict:
    return {"sub": "u1", "iss": "https://issuer.example", "aud": "movies",
            "exp": int(clock.now) + 60, "scope": "movies/read movies/write", **extra}


def test_jwt_signed_token_claims_reach_the_v2_event(gw: Gateway, clock: Clock) -> None:
    token = gw.authorizers.token(claims(clock))
    seen = authorizer_of(gw.request("GET", "/jwt", headers={"Authorization": f"Bearer {token}"}))

    assert seen == {"jwt": {"claims": {"sub": "u1", "iss": "https://issuer.example",
                                       "aud": "movies", "exp": str(int(clock.now) + 60),
                                       "scope": "movies/read movies/write"},
                            "scopes": ["movies/read", "movies/write"]}}


def test_jwt_claims_in_payload_1_event(gw: Gateway, clock: Clock) -> None:
    seen = authorizer_of(gw.request("GET", "/jwt1", claims=claims(clock)))
    assert seen["claims"]["sub"] == "u1" and seen["scopes"] == ["movies/read", "movies/write"]


@pytest.mark.parametrize("problem", ["missing", "expired", "forged", "issuer", "audience"])
def test_jwt_bad_token_is_401(gw: Gateway, clock: Clock, problem: str) -> None:
    token = gw.authorizers.token(claims(clock))
    if problem == "expired":
        token = gw.authorizers.token(claims(clock, exp=int(clock.now) - 1))
    elif problem == "forged":
        token = jwt.sign(claims(clock), b"someone else's key")
    elif problem == "issuer":
        token = gw.authorizers.token(claims(clock, iss="https://evil.example"))
    elif problem == "audience":
        token = gw.authorizers.token(claims(clock, aud="other"))
    headers = {} if problem == "missing" else {"Authorization": token}

    exchange = gw.request("GET", "/jwt", headers=headers)
    assert (exchange.status, exchange.json()) == (401, {"message": "Unauthorized"}), \
        exchange.error


def test_jwt_claims_are_taken_as_verified_but_exp_and_scopes_still_count(
        gw: Gateway, clock: Clock) -> None:
    seen = authorizer_of(gw.request("GET", "/jwt", claims={"sub": "u9", "scope": "movies/read"}))
    assert seen["jwt"]["claims"] == {"sub": "u9", "scope": "movies/read"}
    expired = gw.request("GET", "/jwt", claims=claims(clock, exp=int(clock.now)))
    assert expired.status == 401


def test_jwt_without_the_routes_scope_is_403(gw: Gateway, clock: Clock) -> None:
    exchange = gw.request("GET", "/jwt", claims=claims(clock, scope="movies/write"))
    assert (exchange.status, exchange.json()) == (403, {"message": "Forbidden"})


def test_cognito_claims_go_under_claims_as_strings(gw: Gateway, clock: Clock) -> None:
    seen = authorizer_of(gw.request("GET", "/pool", claims={
        "sub": "u1", "email_verified": True, "cognito:groups": ["admin", "dev"]}))
    assert seen == {"claims": {"sub": "u1", "email_verified": "true",
                               "cognito:groups": "[admin dev]"}}
    token = gw.authorizers.token({"sub": "u2", "exp": int(clock.now) + 5})
    assert authorizer_of(gw.request("GET", "/pool", headers={"Authorization": token})) == {
        "claims": {"sub": "u2", "exp": str(int(clock.now) + 5)}}
    assert gw.request("GET", "/pool").status == 401


def test_claims_on_a_lambda_authorizer_route_is_a_usage_error(gw: Gateway) -> None:
    with pytest.raises(GatewayError, match="claims= is for JWT and Cognito"):
        gw.request("GET", "/tok/1", claims={"sub": "x"})


def test_unknown_authorizer_name_is_a_gateway_error(gateway) -> None:
    template = TEMPLATE.replace("Auth: {Authorizer: NONE}", "Auth: {Authorizer: Nope}")
    gw = gateway(template, {"auth/authorizer.py": AUTHORIZER, "who/app.py": WHOAMI})
    with pytest.raises(GatewayError, match=r"authorizer 'Nope' is not in Auth\.Authorizers"):
        gw.request("GET", "/open")


GLOBALS_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
  Api:
    Auth:
      DefaultAuthorizer: Tok
      Authorizers:
        Tok:
          FunctionArn: !GetAtt AuthFunction.Arn
          Identity: {Header: X-Token, ReauthorizeEvery: 0}
Resources:
  AuthFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: auth/, Handler: authorizer.handler}
  Who:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: who/
      Handler: app.handler
      Events:
        Get: {Type: Api, Properties: {Path: /who, Method: GET}}
"""


def test_globals_auth_guards_the_implicit_api(gateway) -> None:
    gw = gateway(GLOBALS_TEMPLATE, {"auth/authorizer.py": AUTHORIZER, "who/app.py": WHOAMI})

    assert gw.request("GET", "/who", headers={"Authorization": "allow"}).status == 401
    seen = authorizer_of(gw.request("GET", "/who", headers={"X-Token": "allow"}))
    assert seen["principalId"] == "user-1"


def test_function_arn_that_is_not_a_template_function_is_a_gateway_error(gateway) -> None:
    template = GLOBALS_TEMPLATE.replace("!GetAtt AuthFunction.Arn",
                                        "arn:aws:lambda:us-east-1:123456789012:function:x")
    gw = gateway(template, {"auth/authorizer.py": AUTHORIZER, "who/app.py": WHOAMI})
    with pytest.raises(GatewayError, match="FunctionArn must be !GetAtt"):
        gw.request("GET", "/who")


# -- the authorizer events against real ones --------------------------------------------------

EVENTS = Path(__file__).resolve().parents[1] / "data" / "events"
#: AWS documents these for REST REQUEST authorizers; the recorded samples leave them out.
MULTI_VALUE = {"multiValueHeaders", "multiValueQueryStringParameters"}
#: Payload 2.0 leaves these out when the request has none, as its proxy events do.
ABSENT_WHEN_EMPTY = {"pathParameters"}


@pytest.mark.parametrize(("path", "headers", "recorded"), [
    ("/tok/1", {"Authorization": "deny"}, "powertools-apiGatewayAuthorizerTokenEvent.json"),
    ("/req?q=1", {"X-User": "deny"}, "sam-cli-request-authorizer.json"),
    ("/iam1", {"X-User": "deny"}, "powertools-apiGatewayAuthorizerRequestEvent.json"),
    ("/iam2?q=1", {"X-User": "deny", "Cookie": "a=1"},
     "powertools-apiGatewayAuthorizerV2Event.json"),
])
def test_authorizer_events_have_the_fields_of_real_ones(gw: Gateway, path: str, headers: dict,
                                                        recorded: str) -> None:
    real = json.loads((EVENTS / recorded).read_text(encoding="utf-8"))
    exchange = gw.request("GET", path, headers=headers)

    assert exchange.status == 403
    built = exchange.event
    assert set(real) - ABSENT_WHEN_EMPTY <= set(built)
    assert set(built) - set(real) <= MULTI_VALUE
    assert built["type"] == real["type"]
    assert built.get("version") == real.get("version")
    for name in ("identitySource", "authorizationToken"):
        if name in real:
            assert type(built[name]) is type(real[name])
