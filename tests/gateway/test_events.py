"""Event builders: same shape as real recorded events, and proven against real Mangum + FastAPI."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest
from mangum import Mangum

from sam_fastapi.gateway.events import (
    BUILDERS,
    HttpApiV1Event,
    HttpApiV2Event,
    Request,
    RestEvent,
    classify,
    describe_non_proxy,
)
from sam_fastapi.gateway.router import Match, Router

EVENTS = Path(__file__).parent.parent / "data" / "events"
ECHO = runpy.run_path(str(Path(__file__).parent / "apps" / "echo.py"))["app"]

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      BinaryMediaTypes: ["application~1octet-stream", "image/*"]
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: dev
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        RestItem:
          Type: Api
          Properties: {RestApiId: !Ref Rest, Path: "/items/{id}/{proxy+}", Method: ANY}
        V1:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: "/v1/{id}/{proxy+}", Method: ANY,
                       PayloadFormatVersion: "1.0"}
        V2:
          Type: HttpApi
          Properties: {ApiId: !Ref Http, Path: "/v2/{id}/{proxy+}", Method: ANY}
"""

CASES = {  # payload kind -> (path prefix, API)
    RestEvent: ("/items", "Rest"),
    HttpApiV1Event: ("/v1", "Http"),
    HttpApiV2Event: ("/v2", "Http"),
}


@pytest.fixture
def build(project):
    """Route a request through the template above and build the event its route sends."""
    router = Router.from_project(project(TEMPLATE))

    def make(kind: type, method: str, path: str, **request: Any) -> dict[str, Any]:
        prefix, api_id = CASES[kind]
        sent = Request.build(method, prefix + path, now=1700000000.5, **request)
        found = router.match(method, sent.path, api_id=api_id)
        assert isinstance(found, Match), found
        builder = BUILDERS[(found.route.api.kind, found.route.payload_format_version)]
        assert builder is kind
        return builder.build(sent, found)

    return make


def served(event: dict[str, Any]) -> dict[str, Any]:
    """What a real FastAPI app behind a real Mangum sees of ``event``."""
    result = Mangum(ECHO, lifespan="off")(event, None)
    assert result["statusCode"] == 200, result
    return json.loads(result["body"])


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def shape(value: Any) -> Any:
    """Keys and value types, recursively; null stands for "absent or any"."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return type(value).__name__


#: Keys either side may lack: authorizer/mTLS data, and keys AWS recorded (LocalStack parity
#: snapshots) that older samples do not carry.
OPTIONAL = {"authorizer", "authentication", "clientCert", "deploymentId", "principalOrgId"}


def assert_same_shape(built: dict[str, Any], real: dict[str, Any], *,
                      optional: set[str] = frozenset()) -> None:
    """Same keys (bar ``optional`` ones) and the same value types, recursively."""
    optional = OPTIONAL | optional
    assert not (real.keys() - built.keys() - optional), "missing in ours"
    assert not (built.keys() - real.keys() - optional), "not in the real event"
    for key in built.keys() & real.keys():
        mine, theirs = built[key], real[key]
        if mine is None or theirs is None:
            continue  # AWS sends null for "none" (stageVariables, pathParameters...)
        if isinstance(theirs, dict) and key not in ("headers", "multiValueHeaders",
                                                    "queryStringParameters", "pathParameters",
                                                    "multiValueQueryStringParameters",
                                                    "stageVariables"):
            assert_same_shape(mine, theirs, optional=optional)
        else:
            assert type(mine) is type(theirs), (key, mine, theirs)


def test_rest_event_has_the_shape_of_real_ones(build) -> None:
    event = build(RestEvent, "POST", "/1/a?x=1", body=b"{}")

    assert_same_shape(event, load("powertools-apiGatewayProxyEvent_noVersionAuth.json"))
    # The SAM CLI sample predates some keys AWS sends.
    assert_same_shape(event, load("sam-cli-aws-proxy.json"),
                      optional={"domainName", "domainPrefix", "extendedRequestId"})
    assert event["requestContext"]["requestTimeEpoch"] == 1700000000500
    assert event["requestContext"]["requestTime"] == "14/Nov/2023:22:13:20 +0000"
    assert event["stageVariables"] is None
    assert "version" not in event


def test_http_v1_event_has_the_shape_of_real_ones(build) -> None:
    event = build(HttpApiV1Event, "GET", "/1/a?x=1")

    assert_same_shape(event, load("powertools-apiGatewayProxyEvent.json"))
    assert event["version"] == "1.0"
    assert event["path"] == "/dev/v1/1/a"
    assert event["requestContext"]["path"] == "/dev/v1/1/a"
    assert event["requestContext"]["authorizer"] == {"claims": None, "scopes": None}


def test_http_v2_event_has_the_shape_of_real_ones(build) -> None:
    event = build(HttpApiV2Event, "POST", "/1/a?x=1", body=b"{}",
                  headers=[("Cookie", "a=1"), ("Content-Type", "application/json")])

    real = load("powertools-apiGatewayProxyV2Event.json")
    assert_same_shape(event, real, optional={"stageVariables"})
    assert_same_shape(event, load("sam-cli-http-api-proxy.json"), optional={"stageVariables"})
    assert event["rawPath"] == "/dev/v2/1/a"
    assert event["requestContext"]["http"]["path"] == "/dev/v2/1/a"
    assert event["requestContext"]["stage"] == "dev"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "ANY /v2/{id}/{proxy+}"


def test_v2_event_leaves_out_what_is_absent(build) -> None:
    event = build(HttpApiV2Event, "GET", "/1/a")

    assert "cookies" not in event and "queryStringParameters" not in event
    assert "body" not in event and "stageVariables" not in event
    assert event["isBase64Encoded"] is False


def test_v1_events_carry_single_and_multi_values(build) -> None:
    for kind in (RestEvent, HttpApiV1Event):
        event = build(kind, "GET", "/1/a?tag=x&tag=y&one=1", headers=[("X-A", "1"), ("X-A", "2")])

        assert event["queryStringParameters"] == {"tag": "y", "one": "1"}
        assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"], "one": ["1"]}
        assert event["headers"]["X-A"] == "2"
        assert event["multiValueHeaders"]["X-A"] == ["1", "2"]


def test_v2_event_comma_joins_and_splits_cookies(build) -> None:
    event = build(HttpApiV2Event, "GET", "/1/a?tag=x&tag=y",
                  headers=[("X-A", "1"), ("x-a", "2"), ("Cookie", "a=1; b=2"), ("Cookie", "c=3")])

    assert event["queryStringParameters"] == {"tag": "x,y"}
    assert event["rawQueryString"] == "tag=x&tag=y"
    assert event["headers"]["x-a"] == "1,2"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2", "c=3"]


def test_empty_query_is_null_in_v1(build) -> None:
    event = build(RestEvent, "GET", "/1/a")

    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False


@pytest.mark.parametrize("kind", [RestEvent, HttpApiV1Event, HttpApiV2Event])
def test_mangum_app_sees_what_the_client_sent(build, kind) -> None:
    event = build(kind, "PUT", "/42/deep/er?tag=a&tag=b&q=x+y",
                  headers=[("X-Multi", "1"), ("X-Multi", "2"), ("Cookie", "s=abc; t=2"),
                           ("Content-Type", "application/json")],
                  body='{"name": "caf\u00e9"}'.encode())

    seen = served(event)

    prefix = CASES[kind][0]
    assert seen["method"] == "PUT"
    stage = "" if kind is RestEvent else "/dev"
    assert seen["path"] == f"{stage}{prefix}/42/deep/er"
    assert seen["query"] == [["tag", "a"], ["tag", "b"], ["q", "x y"]]
    headers = dict(seen["headers"])
    separator = ", " if kind is not HttpApiV2Event else ","
    assert headers["x-multi"] == f"1{separator}2"
    assert seen["cookies"] == {"s": "abc", "t": "2"}
    assert seen["body"].encode("latin-1").decode("utf-8") == '{"name": "café"}'
    params = event["pathParameters"]
    assert params == {"id": "42", "proxy": "deep/er"}


@pytest.mark.parametrize("kind,content_type,encoded", [
    (RestEvent, "application/octet-stream", True),   # in the API's BinaryMediaTypes
    (RestEvent, "image/png", True),                  # matches image/*
    (RestEvent, "text/plain", False),
    (HttpApiV1Event, "application/octet-stream", True),
    (HttpApiV2Event, "image/png", True),
    (HttpApiV2Event, "application/json", False),
    (HttpApiV2Event, "application/x-www-form-urlencoded", True),
])
def test_binary_bodies_are_base64_and_reach_the_app_intact(build, kind, content_type,
                                                           encoded) -> None:
    body = bytes(range(256)) if encoded else b"plain text"
    event = build(kind, "POST", "/1/a", headers=[("Content-Type", content_type)], body=body)

    assert event["isBase64Encoded"] is encoded
    assert served(event)["body"].encode("latin-1") == body


def test_rest_body_that_is_not_utf8_is_still_delivered(build) -> None:
    event = build(RestEvent, "POST", "/1/a", headers=[("Content-Type", "text/plain")],
                  body=b"\xff\xfe")

    assert event["isBase64Encoded"] is True
    assert served(event)["body"].encode("latin-1") == b"\xff\xfe"


def test_rest_path_keeps_percent_encoding_and_the_app_gets_it_decoded(build) -> None:
    event = build(RestEvent, "GET", "/a%2Bb/x y")

    assert event["path"] == "/items/a%2Bb/x%20y"
    assert event["pathParameters"] == {"id": "a%2Bb", "proxy": "x%20y"}
    assert served(event)["path"] == "/items/a+b/x y"


@pytest.mark.parametrize("name,kind", [
    ("powertools-apiGatewayProxyEvent_noVersionAuth.json", RestEvent),
    ("sam-cli-aws-proxy.json", RestEvent),
    ("powertools-apiGatewayProxyEvent.json", HttpApiV1Event),
    ("powertools-apiGatewayProxyEventPathTrailingSlash.json", HttpApiV1Event),
    ("powertools-apiGatewayProxyV2Event.json", HttpApiV2Event),
    ("sam-cli-http-api-proxy.json", HttpApiV2Event),
])
def test_classify_real_proxy_events(name, kind) -> None:
    assert classify(load(name)) is kind


@pytest.mark.parametrize("event,reason", [
    (load("sam-cli-authorizer.json"), "REST TOKEN authorizer event"),
    (load("powertools-apiGatewayAuthorizerTokenEvent.json"), "REST TOKEN authorizer event"),
    (load("sam-cli-request-authorizer.json"), "REST REQUEST authorizer event"),
    (load("powertools-apiGatewayAuthorizerV2Event.json"),
     "HTTP API Lambda authorizer event (payload 2.0)"),
    (load("powertools-apiGatewayAuthorizerRequestEvent.json"),
     "HTTP API Lambda authorizer event (payload 1.0)"),
    ({"requestContext": {"connectionId": "x", "eventType": "CONNECT"}}, "WebSocket event"),
    ({"Records": [{"eventSource": "aws:s3"}]}, "S3 event"),
    ({"Records": [{"eventSource": "aws:sqs"}]}, "SQS event"),
    ({"detail-type": "x", "source": "y"}, "EventBridge event"),
    ([1, 2], "not a JSON object"),
    ("text", "not a JSON object"),
])
def test_non_proxy_events_are_described(event, reason) -> None:
    assert classify(event) is None
    assert describe_non_proxy(event) == reason


def test_rest_star_binary_type_encodes_every_body(project) -> None:
    template = TEMPLATE.replace('BinaryMediaTypes: ["application~1octet-stream", "image/*"]',
                                'BinaryMediaTypes: ["*~1*"]')
    router = Router.from_project(project(template))
    sent = Request.build("POST", "/items/1/a", body=b"text")
    found = router.match("POST", sent.path, api_id="Rest")

    event = RestEvent.build(sent, found)

    assert (event["body"], event["isBase64Encoded"]) == ("dGV4dA==", True)
