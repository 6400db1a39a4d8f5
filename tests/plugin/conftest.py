"""Small real SAM projects written into the pytester folder, for testing ``pytest --sam``."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Imported once here: pytester's in-process runs put sys.modules back after each run, and
# importing these again every time is slow.
import fastapi  # noqa: F401
import mangum  # noqa: F401
import pytest
import yaml  # noqa: F401

REST_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: hello
Globals:
  Function:
    Runtime: python3.12
    Handler: app.main.handler
    Timeout: 3
    Environment:
      Variables:
        GREETING: !Ref Greeting
Resources:
  CastFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: casts/
      Events:
        Casts:
          Type: Api
          Properties: {Path: /casts, Method: ANY}
        CastsProxy:
          Type: Api
          Properties: {Path: "/casts/{proxy+}", Method: ANY}
  MovieFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: movies/
      Events:
        Movies:
          Type: Api
          Properties: {Path: "/movies/{proxy+}", Method: ANY}
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: broken/
      Handler: broken.handler
      Events:
        Broken:
          Type: Api
          Properties: {Path: /broken, Method: GET}
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: slow/
      Timeout: 1
      Events:
        Slow:
          Type: Api
          Properties: {Path: /slow, Method: GET}
"""

CASTS_APP = """\
import os

from fastapi import FastAPI, Request, Response
from mangum import Mangum

app = FastAPI()


@app.get("/casts")
def list_casts():
    return [{"id": 1, "name": "Ada"}]


@app.post("/casts", status_code=201)
async def create_cast(request: Request):
    return {"created": await request.json(), "type": request.headers["content-type"]}


@app.get("/casts/greeting")
def greeting():
    return {"greeting": os.environ["GREETING"], "module": __name__}


@app.get("/casts/echo")
def echo(request: Request):
    return {
        "query": [list(pair) for pair in request.query_params.multi_items()],
        "x_token": request.headers.get("x-token"),
        "cookies": dict(request.cookies),
    }


@app.post("/casts/raw")
async def raw(request: Request):
    return {"body": (await request.body()).decode(), "type": request.headers.get("content-type")}


@app.get("/casts/cookies")
def cookies(response: Response):
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    return {"ok": True}


@app.get("/casts/text")
def text():
    return Response("plain words", media_type="text/plain")


@app.get("/casts/boom")
def boom():
    raise RuntimeError("the cast database is on fire")


@app.get("/casts/{cast_id}")
def get_cast(cast_id: int):
    return {"id": cast_id, "name": "Ada"}


handler = Mangum(app, lifespan="off")
"""

MOVIES_APP = """\
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/movies/{movie_id}")
def get_movie(movie_id: int):
    return {"id": movie_id, "title": "Metropolis", "module": __name__}


handler = Mangum(app, lifespan="off")
"""

SLOW_APP = """\
import time

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/slow")
def slow():
    time.sleep(1.5)
    return {"slept": True}


handler = Mangum(app, lifespan="off")
"""

BROKEN_HANDLER = """\
def handler(event, context):
    raise KeyError("action")
"""

HTTP_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.main.handler
Resources:
  V2Function:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: v2/
      Events:
        Items:
          Type: HttpApi
          Properties: {Path: "/v2/{proxy+}", Method: ANY}
  V1Function:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: v1/
      Events:
        Items:
          Type: HttpApi
          Properties: {Path: "/v1/{proxy+}", Method: ANY, PayloadFormatVersion: "1.0"}
"""

HTTP_APP = """\
from fastapi import FastAPI, Request
from mangum import Mangum

app = FastAPI()


@app.get("/{version}/items/{item_id}")
def get_item(version: str, item_id: int, request: Request):
    return {"version": version, "id": item_id, "q": request.query_params.getlist("q")}


@app.post("/{version}/items")
async def create_item(version: str, request: Request):
    return {"version": version, "created": await request.json()}


handler = Mangum(app, lifespan="off")
"""


@pytest.fixture(autouse=True)
def _no_hypothesis_in_inner_runs(pytester: pytest.Pytester,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis' pytest plugin imports hypothesis at the end of every inner run (~1 s).

    After ``pytester``, which clears PYTEST_ADDOPTS.
    """
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest")


EVENTS = Path(__file__).resolve().parent / "events"


def _recorded(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def _rest_event(method: str, path: str, resource: str, *, keep_body: bool = False) -> str:
    """``sam local generate-event apigateway aws-proxy``, sent to ``method path`` instead."""
    event = _recorded("aws-proxy.json")
    proxy = path.removeprefix(resource.split("{")[0]) if "{" in resource else None
    event.update(httpMethod=method, path=path, resource=resource,
                 pathParameters={"proxy": proxy} if proxy else None)
    event["requestContext"].update(httpMethod=method, path=f"/prod{path}", resourcePath=resource)
    event["headers"]["Content-Type"] = "application/json"
    event["multiValueHeaders"]["Content-Type"] = ["application/json"]
    if not keep_body:
        event.update(body=None, isBase64Encoded=False)
    return json.dumps(event, indent=2)


def _v2_event(method: str, path: str, route_key: str) -> str:
    """``sam local generate-event apigateway http-api-proxy``, sent to ``method path``."""
    event = _recorded("http-api-proxy.json")
    event.update(routeKey=route_key, rawPath=path)
    event["requestContext"].update(routeKey=route_key)
    event["requestContext"]["http"].update(method=method, path=path)
    return json.dumps(event, indent=2)


@pytest.fixture
def recorded() -> Callable[[str], dict[str, Any]]:
    """A copy of a recorded event from ``tests/plugin/events`` (origins in its README)."""
    return _recorded


@pytest.fixture
def rest_event() -> Callable[..., str]:
    """``rest_event(method, path, resource, keep_body=False)``: a REST proxy event as JSON."""
    return _rest_event


@pytest.fixture
def v2_event() -> Callable[[str, str, str], str]:
    """``v2_event(method, path, route_key)``: an HTTP API payload 2.0 event as JSON."""
    return _v2_event


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def write(pytester: pytest.Pytester) -> Callable[[dict[str, str]], None]:
    """Write files (name -> text) into the pytester folder, creating folders on the way."""
    return lambda files: _write(pytester.path, files)


@pytest.fixture
def rest_project(pytester: pytest.Pytester) -> Path:
    """A REST API project: two functions whose code is the same module ``app.main``, one whose
    handler raises and one that outlives its timeout."""
    _write(pytester.path, {
        "template.yaml": REST_TEMPLATE,
        "casts/app/__init__.py": "",
        "casts/app/main.py": CASTS_APP,
        "movies/app/__init__.py": "",
        "movies/app/main.py": MOVIES_APP,
        "broken/broken.py": BROKEN_HANDLER,
        "slow/app/__init__.py": "",
        "slow/app/main.py": SLOW_APP,
    })
    return pytester.path / "template.yaml"


@pytest.fixture
def http_project(pytester: pytest.Pytester) -> Path:
    """An HTTP API project: one function on payload 2.0, one on payload 1.0."""
    _write(pytester.path, {
        "template.yaml": HTTP_TEMPLATE,
        "v2/app/__init__.py": "",
        "v2/app/main.py": HTTP_APP,
        "v1/app/__init__.py": "",
        "v1/app/main.py": HTTP_APP,
    })
    return pytester.path / "template.yaml"
