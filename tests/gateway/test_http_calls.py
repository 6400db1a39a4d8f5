"""Opt-in HTTP calls from a function to the template's own API, answered in-process."""

from __future__ import annotations

import json

import pytest

from sam_fastapi.gateway import Gateway
from sam_fastapi.gateway.http_calls import OPT_IN, api_url

# Movies' CAST_API_URL is a !Sub the gateway cannot resolve (and says so); the test sets it.
pytestmark = pytest.mark.filterwarnings("ignore:Movies. environment variable CAST_API_URL")

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.main.handler
    Timeout: 10
Resources:
  Casts:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: casts/
      Events:
        Get: {Type: Api, Properties: {Path: "/casts/{proxy+}", Method: ANY}}
  Movies:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: movies/
      Environment:
        Variables:
          CAST_API_URL: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod"
      Events:
        Get: {Type: Api, Properties: {Path: "/movies/{proxy+}", Method: ANY}}
"""

MOVIES = """
import os

import httpx
import requests
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


def transport():
    if os.environ.get("SAM_FASTAPI_HTTP_CALLS"):
        from sam_fastapi.gateway.http_calls import transport as local_transport
        return local_transport()
    return None


def session():
    session = requests.Session()
    if os.environ.get("SAM_FASTAPI_HTTP_CALLS"):
        from sam_fastapi.gateway.http_calls import adapter
        session.mount("https://", adapter())
        session.mount("http://", adapter())
    return session


@app.get("/movies/httpx")
def with_httpx():
    with httpx.Client(base_url=os.environ["CAST_API_URL"], transport=transport()) as client:
        answer = client.get("/casts/7", params={"q": "x"}, headers={"X-From": "movies"})
        return {"status": answer.status_code, "body": answer.json()}


@app.get("/movies/async")
async def with_async_httpx():
    from sam_fastapi.gateway.http_calls import async_transport
    async with httpx.AsyncClient(base_url=os.environ["CAST_API_URL"],
                                 transport=async_transport()) as client:
        answer = await client.post("/casts/new", json={"name": "Ada"})
        return {"status": answer.status_code, "body": answer.json()}


@app.get("/movies/requests")
def with_requests():
    answer = session().get(os.environ["CAST_API_URL"] + "/nowhere")
    return {"status": answer.status_code, "body": answer.json(),
            "type": answer.headers["content-type"]}


@app.get("/movies/elsewhere")
def elsewhere():
    try:
        session().get("http://127.0.0.1:9/", timeout=2)
    except requests.ConnectionError:
        return {"went": "network"}
    return {"went": "somewhere"}


handler = Mangum(app, lifespan="off")
"""


@pytest.fixture
def gw(gateway, echo_app, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    gw = gateway(TEMPLATE, {"casts/app/__init__.py": "", "casts/app/main.py": echo_app,
                            "movies/app/__init__.py": "", "movies/app/main.py": MOVIES})
    monkeypatch.setenv(OPT_IN, "1")
    # The !Sub cannot be resolved locally; the test gives the URL the transports route.
    monkeypatch.setenv("CAST_API_URL", api_url(gw))
    return gw


def answer(gw: Gateway, path: str) -> dict:
    exchange = gw.request("GET", path)
    assert exchange.status == 200, (exchange.body, exchange.error)
    return json.loads(exchange.body)


def test_api_url_is_the_deployed_shape(gw: Gateway) -> None:
    api = gw.router.apis["ServerlessRestApi"].api
    assert api_url(gw) == f"https://{api.api_id}.execute-api.us-east-1.amazonaws.com/Prod"


def test_httpx_call_to_the_api_reaches_the_other_function_in_process(gw: Gateway) -> None:
    seen = answer(gw, "/movies/httpx")

    assert seen["status"] == 200
    assert seen["body"]["path"] == "/casts/7"
    assert seen["body"]["query"] == [["q", "x"]]
    assert ["x-from", "movies"] in seen["body"]["headers"]


def test_async_httpx_call(gw: Gateway) -> None:
    seen = answer(gw, "/movies/async")
    assert seen["status"] == 200
    assert seen["body"]["method"] == "POST"
    assert json.loads(seen["body"]["body"]) == {"name": "Ada"}


def test_requests_call_gets_the_gateways_own_answer(gw: Gateway) -> None:
    seen = answer(gw, "/movies/requests")
    assert seen == {"status": 403, "body": {"message": "Missing Authentication Token"},
                    "type": "application/json"}


def test_other_hosts_go_to_the_network(gw: Gateway) -> None:
    assert answer(gw, "/movies/elsewhere") == {"went": "network"}
