"""Malformed recorded events: classification and replay never fail with an uncaught exception;
recording never writes a redacted secret.

Real proxy events (REST v1, HTTP API v1 and v2) with keys removed or replaced by values of any
JSON type, and arbitrary JSON documents. ``classify`` says what they are, ``describe_non_proxy``
why they are not, and ``Gateway.replay`` gives a proxy response or a one-line ``GatewayError``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sam_fastapi.gateway import Exchange, Gateway, GatewayError
from sam_fastapi.gateway.events import classify, describe_non_proxy
from sam_fastapi.gateway.recording import DEFAULT_REDACTED, redact_event
from sam_fastapi.template import build_project, load_template

DATA = Path(__file__).resolve().parent.parent / "data" / "events"
APPS = Path(__file__).resolve().parent.parent / "gateway" / "apps"
SAMPLES = [json.loads((DATA / name).read_text(encoding="utf-8")) for name in (
    "powertools-apiGatewayProxyEvent.json", "powertools-apiGatewayProxyV2Event.json",
    "sam-cli-aws-proxy.json", "sam-cli-http-api-proxy.json",
)]

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.main.handler
      Runtime: python3.12
      Events:
        Rest:
          Type: Api
          Properties: {Path: "/{proxy+}", Method: ANY}
        RestRoot:
          Type: Api
          Properties: {Path: /, Method: ANY}
        Http:
          Type: HttpApi
          Properties: {Path: "/{proxy+}", Method: ANY}
"""

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=20),
              st.sampled_from(["GET", "POST", "/", "/path/to/resource", "2.0", "1.0",
                               "$default", "GET /{proxy+}", "dGVzdA==", "not base64!"])),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=12), children, max_size=3)),
    max_leaves=10,
)
#: Where a mutation lands: the top level, requestContext, requestContext.http, the headers.
places = st.sampled_from([(), ("requestContext",), ("requestContext", "http"), ("headers",),
                          ("multiValueHeaders",), ("queryStringParameters",)])
keys = st.sampled_from([
    "version", "routeKey", "rawPath", "rawQueryString", "resource", "path", "httpMethod",
    "headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters",
    "pathParameters", "body", "isBase64Encoded", "cookies", "requestContext", "stage",
    "method", "http", "sourceIp", "resourcePath", "apiId", "domainName", "Host", "Accept",
    "Content-Type", "cookie",
])
mutations = st.lists(st.tuples(places, keys, st.one_of(st.just("delete"), json_values)),
                     min_size=1, max_size=6)


def mutate(event: dict[str, Any], changes: list[tuple[tuple[str, ...], str, Any]]) -> dict:
    event = copy.deepcopy(event)
    for place, key, value in changes:
        target: Any = event
        for part in place:
            target = target.get(part) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            continue
        if value == "delete":
            target.pop(key, None)
        else:
            target[key] = value
    return event


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("echo")
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "__init__.py").write_text("")
    (root / "src" / "app" / "main.py").write_text((APPS / "echo.py").read_text())
    (root / "template.yaml").write_text(TEMPLATE)
    gw = Gateway(build_project(load_template(root / "template.yaml"), root / "template.yaml"))
    yield gw
    gw.cold_start()


def check_replay(gateway: Gateway, event: Any) -> None:
    kind = classify(event)
    if kind is None:
        reason = describe_non_proxy(event)
        assert isinstance(reason, str) and reason
    try:
        exchange = gateway.replay(event)
    except GatewayError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(exchange, Exchange)
    assert 200 <= exchange.status <= 599
    assert isinstance(exchange.body, bytes)


@given(sample=st.sampled_from(SAMPLES), changes=mutations)
def test_replay_of_a_damaged_proxy_event_is_a_response_or_a_clear_error(gateway, sample,
                                                                         changes):
    check_replay(gateway, mutate(sample, changes))


@given(event=json_values)
def test_replay_of_any_json_document_is_a_response_or_a_clear_error(gateway, event):
    check_replay(gateway, event)


def test_the_samples_replay_as_they_are(gateway):
    for sample in SAMPLES:
        assert classify(sample) is not None
        assert gateway.replay(sample).status == 200


secrets = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~+/",
                  min_size=1, max_size=30).map(lambda text: f"SECRET-{text}")


@given(sample=st.sampled_from(SAMPLES), secret=secrets,
       name=st.sampled_from(["Authorization", "authorization", "COOKIE", "Cookie", "X-Api-Key",
                             "x-api-key"]),
       cookie=st.sampled_from(["session", "a", "__Host-id"]))
def test_a_recorded_event_never_contains_a_redacted_secret(sample, secret, name, cookie):
    event = copy.deepcopy(sample)
    value = f"{cookie}={secret}" if name.lower() == "cookie" else secret
    for key in ("headers", "multiValueHeaders"):
        if isinstance(event.get(key), dict):
            event[key][name] = value if key == "headers" else [value, value]
    if "cookies" in event or event.get("version") == "2.0":
        event["cookies"] = [f"{cookie}={secret}", f"other={secret}"]
    identity = event.get("requestContext", {}).get("identity")
    if isinstance(identity, dict):
        identity["apiKey"] = secret

    redacted, _ = redact_event(event, frozenset(DEFAULT_REDACTED))

    assert secret not in json.dumps(redacted)
