"""Gateway end to end: real template, real FastAPI app behind real Mangum, in this process."""

from __future__ import annotations

import json
import sys

import pytest

from sam_fastapi.gateway import Gateway, GatewayError

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.main.handler
Resources:
  Casts:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: casts/
      Events:
        Get:
          Type: Api
          Properties: {Path: "/casts/{id}", Method: GET}
        Root:
          Type: Api
          Properties: {Path: "/", Method: ANY}
  Crew:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: crew/
      Events:
        Any:
          Type: HttpApi
          Properties: {Path: "/crew/{proxy+}", Method: ANY}
"""


@pytest.fixture
def gw(gateway, echo_app) -> Gateway:
    return gateway(TEMPLATE, {
        "casts/app/__init__.py": "",
        "casts/app/main.py": echo_app,
        "crew/app/__init__.py": "",
        "crew/app/main.py": echo_app,
    })


def test_rest_request_reaches_the_app_with_everything_the_client_sent(gw: Gateway) -> None:
    exchange = gw.request("GET", "/casts/7", query=[("tag", "a"), ("tag", "b")],
                          headers=[("X-Trace", "1"), ("X-Trace", "2")])

    assert exchange.status == 200, exchange.error
    assert exchange.function == "Casts"
    seen = json.loads(exchange.body)
    assert seen["method"] == "GET"
    assert seen["path"] == "/casts/7"
    assert seen["query"] == [["tag", "a"], ["tag", "b"]]
    assert ["x-trace", "1, 2"] in seen["headers"]
    assert exchange.event["resource"] == "/casts/{id}"
    assert exchange.event["pathParameters"] == {"id": "7"}
    assert exchange.invocation is not None and exchange.invocation.cold


def test_rest_stage_prefix_is_accepted(gw: Gateway) -> None:
    exchange = gw.request("GET", "/Prod/casts/7")

    assert exchange.status == 200
    assert exchange.event["path"] == "/casts/7"
    assert exchange.event["requestContext"]["path"] == "/Prod/casts/7"


def test_http_api_request_uses_payload_2(gw: Gateway) -> None:
    exchange = gw.request("POST", "/crew/a/b", body=b'{"x": 1}',
                          headers=[("Content-Type", "application/json"), ("Cookie", "s=1; t=2")])

    assert exchange.status == 200, exchange.error
    assert exchange.function == "Crew"
    assert exchange.event["version"] == "2.0"
    assert exchange.event["routeKey"] == "ANY /crew/{proxy+}"
    seen = json.loads(exchange.body)
    assert seen["body"] == '{"x": 1}'
    assert seen["cookies"] == {"s": "1", "t": "2"}


def test_no_route_answers_like_each_api_kind(gw: Gateway) -> None:
    rest = gw.request("GET", "/nowhere", api_id="ServerlessRestApi")
    http = gw.request("GET", "/nowhere", api_id="ServerlessHttpApi")

    assert (rest.status, json.loads(rest.body)) == (
        403, {"message": "Missing Authentication Token"})
    assert rest.function is None and rest.error
    assert (http.status, json.loads(http.body)) == (404, {"message": "Not Found"})


def test_wrong_method_on_a_rest_resource_is_403(gw: Gateway) -> None:
    assert gw.request("DELETE", "/casts/1").status == 403


def test_warm_after_cold_and_cold_start_resets(gw: Gateway) -> None:
    first = gw.request("GET", "/casts/1").invocation
    second = gw.request("GET", "/casts/1").invocation
    gw.cold_start("Casts")
    third = gw.request("GET", "/casts/1").invocation

    assert (first.cold, second.cold, third.cold) == (True, False, True)


def test_replay_routes_a_recorded_event(gw: Gateway) -> None:
    recorded = gw.request("GET", "/casts/9").event

    exchange = gw.replay(recorded)

    assert exchange.status == 200
    assert exchange.function == "Casts"
    assert json.loads(exchange.body)["path"] == "/casts/9"


def test_replay_refuses_what_is_not_a_proxy_event(gw: Gateway) -> None:
    with pytest.raises(GatewayError, match="REST TOKEN authorizer event"):
        gw.replay({"type": "TOKEN", "authorizationToken": "x", "methodArn": "arn:..."})


def test_unknown_api_id_is_a_one_line_error(gw: Gateway) -> None:
    with pytest.raises(GatewayError, match="no API 'Nope'"):
        gw.request("GET", "/", api_id="Nope")


def test_importing_the_gateway_imports_no_web_framework() -> None:
    import subprocess

    code = ("import sys, sam_fastapi.gateway; print([m for m in "
            "('fastapi', 'mangum', 'starlette', 'pydantic') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"
