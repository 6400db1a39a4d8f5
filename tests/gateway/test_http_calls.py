"""Opt-in HTTP calls from a function to the template's own API, answered in-process."""

from __future__ import annotations

import json
import textwrap

import pytest
from serving import Server

from sam_fastapi.gateway import Gateway
from sam_fastapi.gateway.asgi import create_app
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


CAST_API_URL = ('!Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}'
                '.amazonaws.com/Prod"')


@pytest.fixture(params=["thread", "process"])
def gw(request, gateway, echo_app, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    files = {"casts/app/__init__.py": "", "casts/app/main.py": echo_app,
             "movies/app/__init__.py": "", "movies/app/main.py": MOVIES}
    monkeypatch.setenv(OPT_IN, "1")
    # The !Sub cannot be resolved locally: in-process the test gives the URL the transports
    # route in the environment; a sandbox sees only the template's, so it is written there.
    url = api_url(gateway(TEMPLATE, files))
    if request.param == "process":
        return gateway(TEMPLATE.replace(CAST_API_URL, url), files, isolation="process")
    monkeypatch.setenv("CAST_API_URL", url)
    return gateway(TEMPLATE, files)


def answer(gw: Gateway, path: str) -> dict:
    exchange = gw.request("GET", path)
    assert exchange.status == 200, (exchange.body, exchange.error)
    return json.loads(exchange.body)


def test_api_url_is_the_deployed_shape(gw: Gateway) -> None:
    assert gw.api_hosts == {f"{gw.router.apis['ServerlessRestApi'].api.api_id}.execute-api"
                            ".us-east-1.amazonaws.com": "ServerlessRestApi"}
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


def test_serve_answers_a_sandboxed_functions_calls_to_the_api(
        project, gateway, echo_app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OPT_IN, "1")
    files = {"casts/app/__init__.py": "", "casts/app/main.py": echo_app,
             "movies/app/__init__.py": "", "movies/app/main.py": MOVIES}
    url = api_url(gateway(TEMPLATE, files))
    server = Server(create_app(project(TEMPLATE.replace(CAST_API_URL, url), files)
                               .template_path))
    try:
        with_httpx = server.client.get("/Prod/movies/httpx").json()
        with_requests = server.client.get("/Prod/movies/requests").json()
    finally:
        server.stop()

    assert (with_httpx["status"], with_httpx["body"]["path"]) == (200, "/casts/7")
    assert with_requests["body"] == {"message": "Missing Authentication Token"}


def test_pytest_sam_isolation_process_answers_a_sandboxed_functions_calls(
        pytester: pytest.Pytester, gateway, echo_app) -> None:
    files = {"casts/app/__init__.py": "", "casts/app/main.py": echo_app,
             "movies/app/__init__.py": "", "movies/app/main.py": MOVIES}
    url = api_url(gateway(TEMPLATE, files))
    files |= {"template.yaml": TEMPLATE.replace(CAST_API_URL, url), "test_calls.py": """
        def test_movies_calls_casts(sam_client, monkeypatch):
            monkeypatch.setenv("SAM_FASTAPI_HTTP_CALLS", "1")
            with_httpx = sam_client.get("/movies/httpx").json()
            with_requests = sam_client.get("/movies/requests").json()
            assert (with_httpx["status"], with_httpx["body"]["path"]) == (200, "/casts/7")
            assert with_requests["body"] == {"message": "Missing Authentication Token"}
        """}
    for name, text in files.items():
        (pytester.path / name).parent.mkdir(parents=True, exist_ok=True)
        (pytester.path / name).write_text(textwrap.dedent(text), encoding="utf-8")

    result = pytester.runpytest_subprocess("--sam", "template.yaml", "--sam-isolation=process",
                                           "-p", "no:randomly")

    result.assert_outcomes(passed=1)
