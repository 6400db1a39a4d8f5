"""boto3 ``lambda.invoke`` from a handler to a template function, in-process (botocore events)."""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest

from sam_fastapi.gateway import Gateway

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.main.handler
    Timeout: 10
Resources:
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: caller/
      Environment:
        Variables:
          CALLEE: !Ref Callee
          CALLEE_ARN: !GetAtt Callee.Arn
          NAMED: !Ref Named
      Events:
        Call: {Type: Api, Properties: {Path: /call, Method: POST}}
  Callee:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: callee/
  Named:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: callee/
      FunctionName: named-callee
  Rec:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: rec/
      Handler: rec.handler
"""

CALLER = """
import base64
import json
import os

import boto3
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.post("/call")
def call(spec: dict):
    client = boto3.client("lambda")
    name = os.environ.get(spec.get("env", ""), spec.get("name"))
    try:
        payload = spec["raw"] if "raw" in spec else json.dumps(spec.get("payload", {}))
        answer = client.invoke(FunctionName=name, Payload=payload,
                               InvocationType=spec.get("type", "RequestResponse"))
    except Exception as exc:
        return {"raised": type(exc).__name__, "message": str(exc)}
    payload = answer["Payload"].read()
    return {
        "status": answer["StatusCode"],
        "function_error": answer.get("FunctionError"),
        "version": answer.get("ExecutedVersion"),
        "payload": json.loads(payload) if payload else None,
        "me": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
    }


handler = Mangum(app, lifespan="off")
"""

CALLEE = """
import os

SEEN = []


def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("callee failed")
    if event.get("seen"):
        return SEEN
    SEEN.append(event)
    return {"got": event, "me": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
            "request_id": context.aws_request_id}
"""

REC = """
import json

import boto3


def handler(event, context):
    depth = event["depth"]
    if depth == 0:
        return {"depth": 0}
    answer = boto3.client("lambda").invoke(FunctionName=context.function_name,
                                           Payload=json.dumps({"depth": depth - 1}))
    return {"depth": depth, "inner": json.loads(answer["Payload"].read())}
"""


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def gw(gateway, no_credentials) -> Gateway:
    return gateway(TEMPLATE, {"caller/app/__init__.py": "", "caller/app/main.py": CALLER,
                              "callee/app/__init__.py": "", "callee/app/main.py": CALLEE,
                              "rec/rec.py": REC})


def call(gw: Gateway, **spec) -> dict:
    exchange = gw.request("POST", "/call", body=json.dumps(spec),
                          headers={"content-type": "application/json"})
    assert exchange.status == 200, (exchange.body, exchange.error)
    return exchange.json()


@pytest.mark.parametrize("env", ["CALLEE", "CALLEE_ARN"])
def test_request_response_by_name_and_arn(gw: Gateway, env: str) -> None:
    answer = call(gw, env=env, payload={"x": 1})

    assert answer["status"] == 200
    assert answer["function_error"] is None
    assert answer["version"] == "$LATEST"
    assert answer["payload"]["got"] == {"x": 1}
    # Each side ran as its own function, the callee's modules swapped in over the caller's.
    assert answer["payload"]["me"] == "Callee"
    assert answer["me"] == "Caller"


def test_function_name_from_the_template_and_partial_arn(gw: Gateway) -> None:
    assert call(gw, env="NAMED")["payload"]["me"] == "named-callee"
    assert call(gw, name="123456789012:function:Callee")["payload"]["me"] == "Callee"
    # With a FunctionName, the logical id is not a name Lambda knows.
    assert call(gw, name="Named")["raised"] == "NoCredentialsError"


def test_unhandled_error_has_lambdas_shape(gw: Gateway) -> None:
    answer = call(gw, env="CALLEE", payload={"fail": True})

    assert answer["status"] == 200
    assert answer["function_error"] == "Unhandled"
    assert answer["payload"]["errorType"] == "RuntimeError"
    assert answer["payload"]["errorMessage"] == "callee failed"


def test_event_invocation_answers_202_and_runs_the_function(gw: Gateway) -> None:
    answer = call(gw, env="CALLEE", type="Event", payload={"job": 7})

    assert (answer["status"], answer["payload"]) == (202, None)
    seen = call(gw, env="CALLEE", payload={"seen": True})["payload"]
    assert seen == [{"job": 7}]


def test_dry_run_runs_nothing(gw: Gateway) -> None:
    assert call(gw, env="CALLEE", type="DryRun")["status"] == 204
    assert call(gw, env="CALLEE", payload={"seen": True})["payload"] == []


def test_function_outside_the_template_goes_to_aws_and_fails_without_credentials(
        gw: Gateway) -> None:
    answer = call(gw, name="someone-elses-function")
    assert answer == {"raised": "NoCredentialsError", "message": "Unable to locate credentials"}


def test_a_function_calling_itself_gets_a_second_instance_without_deadlock(
        gw: Gateway) -> None:
    invocation = gw.invoke("Rec", {"depth": 2})

    assert invocation.error is None
    assert invocation.result == {"depth": 2, "inner": {"depth": 1, "inner": {"depth": 0}}}


def test_calls_from_test_code_are_not_routed(gw: Gateway) -> None:
    gw.invoke("Callee", {})  # hooks are in place
    client = boto3.client("lambda", region_name="us-east-1")
    with pytest.raises(botocore.exceptions.NoCredentialsError):
        client.invoke(FunctionName="Callee", Payload=b"{}")


def test_invalid_payload_is_lambdas_invalid_request_content(gw: Gateway) -> None:
    answer = call(gw, env="CALLEE", raw="{not json")
    assert answer["raised"] == "InvalidRequestContentException"
    assert answer["message"].startswith("An error occurred (InvalidRequestContentException)")
