"""The gateway ASGI app under a real uvicorn on an ephemeral loopback port, driven over HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from sam_fastapi.commands.serve import bind
from sam_fastapi.gateway import GatewayError
from sam_fastapi.gateway.asgi import create_app, from_environment

APP = (Path(__file__).parent / "apps" / "serve_app.py").read_text(encoding="utf-8")

REST_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 10
  Api:
    BinaryMediaTypes: ["image~1png", "application~1octet-stream"]
Resources:
  App:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: app/
      Handler: main.handler
      Events:
        Proxy:
          Type: Api
          Properties: {Path: "/{proxy+}", Method: ANY}
  Broken:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: broken/
      Handler: broken.handler
      Events:
        Broken:
          Type: Api
          Properties: {Path: /broken, Method: GET}
"""

HTTP_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Items:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: app/
      Handler: main.handler
      Events:
        Echo:
          Type: HttpApi
          Properties: {Path: "/echo/{proxy+}", Method: GET}
"""

BROKEN = "import module_that_does_not_exist\nhandler = None\n"


def write(root: Path, template: str = REST_TEMPLATE) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "main.py").write_text(APP, encoding="utf-8")
    (root / "broken").mkdir()
    (root / "broken" / "broken.py").write_text(BROKEN, encoding="utf-8")
    (root / "template.yaml").write_text(template, encoding="utf-8")
    return root / "template.yaml"


class Server:
    """uvicorn serving an ASGI app on a free loopback port, in a thread."""

    def __init__(self, app) -> None:
        self.app = app
        sock = bind("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []
    counter = iter(range(100))

    def start(template: str = REST_TEMPLATE, **options) -> Server:
        path = write(tmp_path / f"p{next(counter)}", template)
        server = Server(create_app(path, **options))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_rest_api_routes_through_the_stage_and_answers_403_when_no_route(serve) -> None:
    server = serve(REST_TEMPLATE.replace('"/{proxy+}"', '"/echo/{proxy+}"'))
    echoed = server.client.get("/Prod/echo/a%20b", params=[("x", "1"), ("x", "2")])
    assert echoed.status_code == 200
    seen = echoed.json()
    assert seen["path"] == "/echo/a b"
    assert seen["query"] == [["x", "1"], ["x", "2"]]
    assert seen["url"].startswith(server.url + "/echo/")  # the app's URLs lead back here
    missing = server.client.get("/Prod/other")
    assert missing.status_code == 403
    assert missing.json() == {"message": "Missing Authentication Token"}


def test_named_stage_replaces_prod(serve) -> None:
    server = serve(stage="dev")
    assert server.client.get("/dev/echo/x").json()["path"] == "/echo/x"
    # Without the stage the whole path reaches the app, which has no such route.
    assert server.client.get("/Prod/echo/x").json() == {"detail": "Not Found"}


def test_http_api_answers_404_when_no_route(serve) -> None:
    server = serve(HTTP_TEMPLATE)
    assert server.client.get("/echo/x").json()["path"] == "/echo/x"
    missing = server.client.get("/nothing")
    assert (missing.status_code, missing.json()) == (404, {"message": "Not Found"})


def test_binary_media_both_ways(serve) -> None:
    server = serve()
    png = server.client.get("/Prod/png", headers={"accept": "image/png"})
    assert png.headers["content-type"] == "image/png"
    assert png.content == b"\x89PNG\r\n\x1a\n\x00\xff\xfe"
    sent = bytes(range(256))
    echoed = server.client.post("/Prod/echo/upload", content=sent,
                                headers={"content-type": "application/octet-stream"})
    assert echoed.json()["body_hex"] == sent.hex()


def test_cookies_and_repeated_headers(serve) -> None:
    server = serve()
    response = server.client.get("/Prod/cookies", headers={"cookie": "a=1; b=2"})
    assert response.text == "[('a', '1'), ('b', '2')]"
    assert [c.split(";")[0] for c in response.headers.get_list("set-cookie")] == [
        "first=1", "second=2"]
    echoed = server.client.get("/Prod/echo/h", headers=[("x-multi", "one"), ("x-multi", "two")])
    values = [v for k, v in echoed.json()["headers"] if k == "x-multi"]
    assert values in (["one, two"], ["one,two"], ["one", "two"])


def test_a_handler_that_fails_to_import_answers_502_and_the_rest_keeps_working(
    serve, caplog: pytest.LogCaptureFixture,
) -> None:
    server = serve()
    with caplog.at_level(logging.INFO, logger="sam_fastapi.serve"):
        broken = server.client.get("/Prod/broken")
        working = server.client.get("/Prod/echo/still")
    assert broken.status_code == 502
    assert broken.json() == {"message": "Internal server error"}
    assert working.status_code == 200
    line = next(r.getMessage() for r in caplog.records if "/Prod/broken" in r.getMessage())
    assert line.startswith("GET /Prod/broken -> Broken 502 ")
    assert ("Broken failed to start: Runtime.ImportModuleError: Unable to import module 'broken': "
            "No module named 'module_that_does_not_exist'") in line


def test_one_log_line_per_request_with_function_status_duration_and_start(
    serve, caplog: pytest.LogCaptureFixture,
) -> None:
    server = serve()
    with caplog.at_level(logging.INFO, logger="sam_fastapi.serve"):
        server.client.get("/Prod/hello")
        server.client.get("/Prod/hello")
        server.client.get("/other")
    lines = [r.getMessage() for r in caplog.records if r.name == "sam_fastapi.serve"]
    assert len(lines) == 3
    assert lines[0].startswith("GET /Prod/hello -> App 200 ") and lines[0].endswith(" ms cold")
    assert lines[1].startswith("GET /Prod/hello -> App 200 ") and lines[1].endswith(" ms warm")
    # /other is served by the proxy too: a stage-less path reaches the REST API's routes.
    assert lines[2].startswith("GET /other -> App ")


def test_queue_mode_serves_concurrent_requests_with_one_instance(serve) -> None:
    server = serve(concurrency="queue")
    answers = asyncio.run(_concurrently(server.url, ["/Prod/slow?ms=50"] * 6))
    assert {a["instance"] for a in answers} == {answers[0]["instance"]}
    assert max(a["most_at_once"] for a in answers) == 1


def test_instances_mode_starts_extra_cold_instances_under_concurrency(
    serve, caplog: pytest.LogCaptureFixture,
) -> None:
    server = serve(concurrency="instances")
    with caplog.at_level(logging.INFO, logger="sam_fastapi.serve"):
        answers = asyncio.run(_concurrently(server.url, ["/Prod/slow?ms=200"] * 4))
        later = server.client.get("/Prod/slow?ms=1").json()
    instances = {a["instance"] for a in answers}
    assert len(instances) > 1
    assert later["instance"] in instances  # an idle instance is reused, warm
    colds = [r for r in caplog.records if r.getMessage().endswith(" cold")]
    assert len(colds) == len(instances)
    # Each instance has its own modules: no instance ever ran two invocations at once.
    assert max(a["most_at_once"] for a in answers) == 1


JWT_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            JwtConfiguration: {issuer: "https://issuer.example", audience: [app]}
  App:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: app/
      Handler: main.handler
      Events:
        Proxy:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: "/{proxy+}", Method: GET}
"""


def test_every_instance_accepts_the_one_token_of_the_run(serve) -> None:
    server = serve(JWT_TEMPLATE, concurrency="instances")
    token = server.app.gateway.authorizers.token({"sub": "u1", "iss": "https://issuer.example",
                                                  "aud": "app", "exp": time.time() + 600})
    headers = {"Authorization": f"Bearer {token}"}
    answers = asyncio.run(_concurrently(server.url, ["/slow?ms=200"] * 4, headers=headers))
    # Several instances served, and each accepted the token: one gateway, one signing key.
    assert len({a["instance"] for a in answers}) > 1
    assert server.client.get("/slow?ms=1").status_code == 401


def test_a_stopped_server_leaves_no_gateway_thread_running(serve) -> None:
    before = set(threading.enumerate())
    server = serve()
    assert server.client.get("/Prod/hello").status_code == 200
    started = set(threading.enumerate()) - before - {server.thread}
    assert started  # the calls were made on threads of the gateway's own

    server.stop()

    for thread in started:
        thread.join(10)
    assert not [t.name for t in started if t.is_alive()]


def test_reload_starts_a_function_cold_after_its_code_changed(serve) -> None:
    server = serve(reload=True)
    first = server.client.get("/Prod/hello").json()
    assert server.client.get("/Prod/hello").json() == first
    main = Path(server.app.project.functions["App"].code_dir) / "main.py"
    main.write_text(APP.replace("VERSION = 1", "VERSION = 2  # edited"), encoding="utf-8")
    changed = server.client.get("/Prod/hello").json()
    assert changed["version"] == 2
    assert changed["instance"] != first["instance"]


def test_without_reload_code_changes_wait_for_a_cold_start(serve) -> None:
    server = serve()
    first = server.client.get("/Prod/hello").json()
    main = Path(server.app.project.functions["App"].code_dir) / "main.py"
    main.write_text(APP.replace("VERSION = 1", "VERSION = 2  # edited"), encoding="utf-8")
    assert server.client.get("/Prod/hello").json() == first


def test_load_500_requests_over_20_connections_none_lost(serve) -> None:
    server = serve()
    paths = [f"/Prod/echo/n{i}?i={i}" for i in range(500)]
    answers = asyncio.run(_concurrently(server.url, paths, connections=20))
    assert len(answers) == 500
    assert [a["query"] for a in answers] == [[["i", str(i)]] for i in range(500)]
    assert [a["path"] for a in answers] == [f"/echo/n{i}" for i in range(500)]


def test_recorded_requests_are_redacted_and_replay_green(serve, tmp_path: Path) -> None:
    events = tmp_path / "p0" / "events"
    server = serve(record_dir=events, redact=("authorization", "cookie", "x-api-key",
                                              "x-secret"))
    client = server.client
    client.get("/Prod/echo/casts/7", params=[("q", "1"), ("q", "2")],
               headers={"authorization": "Bearer token-abcdef", "x-api-key": "key-123456",
                        "x-secret": "hush-hush-hush", "cookie": "session=cookie-value-1"})
    client.post("/Prod/echo/upload", content=bytes(range(256)),
                headers={"content-type": "application/octet-stream"})
    client.get("/Prod/png", headers={"accept": "image/png"})
    client.get("/Prod/broken")  # failed (502): its replay could not pass, not recorded
    client.get("/Prod/echo/missing", headers={"x-secret": "short"})
    names = sorted(p.name for p in events.iterdir())
    assert names == [
        "get_echo_casts_7_0001.json", "get_echo_casts_7_0001.response.json",
        "get_echo_missing_0004.json", "get_echo_missing_0004.response.json",
        "get_png_0003.json", "get_png_0003.response.json",
        "post_echo_upload_0002.json", "post_echo_upload_0002.response.json",
    ]
    text = "".join(p.read_text(encoding="utf-8") for p in events.iterdir())
    for secret in ("token-abcdef", "key-123456", "hush-hush-hush", "cookie-value-1"):
        assert secret not in text
    event = json.loads((events / "get_echo_casts_7_0001.json").read_text(encoding="utf-8"))
    assert event["headers"]["Authorization"] == "REDACTED"
    assert event["multiValueHeaders"]["Cookie"] == ["session=REDACTED"]
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"]}
    snapshot = json.loads((events / "get_png_0003.response.json").read_text(encoding="utf-8"))
    assert snapshot == {"status": 200, "headers": {"content-type": "image/png"},
                        "bodyBase64": "iVBORw0KGgoA//4="}

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--sam", "template.yaml", "-q", "-p", "no:randomly",
         "-p", "no:cacheprovider"],
        cwd=events.parent, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_no_redact_records_values_as_sent(serve, tmp_path: Path) -> None:
    events = tmp_path / "p0" / "events"
    server = serve(record_dir=events, redact=None)
    server.client.get("/Prod/echo/x", headers={"authorization": "Bearer token-abcdef"})
    event = json.loads((events / "get_echo_x_0001.json").read_text(encoding="utf-8"))
    assert event["headers"]["Authorization"] == "Bearer token-abcdef"


def test_recording_numbers_go_on_after_the_files_already_there(serve, tmp_path: Path) -> None:
    events = tmp_path / "p0" / "events"
    events.mkdir(parents=True)
    (events / "get_old_0041.json").write_text("{}", encoding="utf-8")
    server = serve(record_dir=events)
    server.client.get("/Prod/echo/")
    assert (events / "get_echo_0042.json").is_file()


def test_create_app_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(GatewayError, match=r"^.*missing\.yaml: no such file$"):
        create_app(tmp_path / "missing.yaml")
    bad = tmp_path / "template.yaml"
    bad.write_text("Resources: [", encoding="utf-8")
    with pytest.raises(GatewayError) as error:
        create_app(bad)
    assert "\n" not in str(error.value)
    with pytest.raises(GatewayError, match="unknown concurrency 'many'"):
        create_app(write(tmp_path / "p"), concurrency="many")


async def _concurrently(url: str, paths: list[str], connections: int = 10,
                        headers: dict[str, str] | None = None) -> list[dict]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60,
                                 headers=headers) as client:
        responses = await asyncio.gather(*(client.get(path) for path in paths))
    assert [r.status_code for r in responses] == [200] * len(paths)
    return [r.json() for r in responses]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

DOCS_APP = """\
from pathlib import Path

import swagger_ui
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse
from mangum import Mangum

# As SF404 asks: the app knows the stage its URLs start with.
app = FastAPI(title="Casts", root_path="{root_path}", docs_url=None)
ASSETS = Path(swagger_ui.__file__).parent / "static"  # Swagger UI 5, from swagger-ui-py


@app.get("/docs", include_in_schema=False)
def docs(request: Request):
    root = request.scope.get("root_path", "")
    # Swagger UI from this function, not a CDN: the page works offline.
    return get_swagger_ui_html(openapi_url=root + app.openapi_url, title="Casts docs",
                               swagger_js_url=root + "/assets/swagger-ui-bundle.js",
                               swagger_css_url=root + "/assets/swagger-ui.css")


@app.get("/assets/{{name}}", include_in_schema=False)
def asset(name: str):
    return FileResponse(ASSETS / Path(name).name)


@app.get("/casts/{{cast_id}}")
def get_cast(cast_id: int):
    return {{"id": cast_id}}


@app.post("/casts")
def create_cast():
    return {{}}


handler = Mangum(app, lifespan="off")
"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install "
                                             "chromium); .ci/run installs it")
# What SF404 recommends; newer FastAPI prefers the server's root path and warns.
@pytest.mark.filterwarnings("ignore:The `root_path` parameter is deprecated")
@pytest.mark.parametrize(("template", "root_path", "docs"), [
    (REST_TEMPLATE, "/Prod", "/Prod/docs"),
    (HTTP_TEMPLATE.replace('"/echo/{proxy+}"', '"/{proxy+}"'), "", "/docs"),
], ids=["rest-stage-prefix", "http-api"])
def test_swagger_ui_renders_the_operations_in_headless_chromium(
    serve, tmp_path: Path, template: str, root_path: str, docs: str,
) -> None:
    server = serve(template)
    main = Path(next(iter(server.app.project.functions.values())).code_dir) / "main.py"
    main.write_text(DOCS_APP.format(root_path=root_path), encoding="utf-8")
    profile = tmp_path / "chromium-profile"
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=15000",
         "--dump-dom", server.url + docs],
        capture_output=True, text=True, timeout=120,
    )
    dom = result.stdout
    assert "swagger-ui" in dom, result.stderr[-2000:]
    assert "Failed to load API definition" not in dom
    # Operations rendered from the OpenAPI document the page fetched through the gateway.
    assert 'data-path="/casts/{cast_id}"' in dom, dom[-3000:]
    assert 'data-path="/casts"' in dom
    assert "opblock-get" in dom and "opblock-post" in dom


LAYER_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
      CompatibleRuntimes: [python3.12]
  App:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: app/
      Handler: main.handler
      Layers: [!Ref Shared]
      Events:
        Value:
          Type: Api
          Properties: {Path: /value, Method: GET}
"""


def test_reload_follows_the_function_layers(serve, tmp_path: Path) -> None:
    server = serve(LAYER_TEMPLATE, reload=True)
    root = Path(server.app.project.template_path).parent
    (root / "app" / "main.py").write_text(
        "from shared import VALUE\n\n"
        "def handler(event, context):\n"
        "    return {'statusCode': 200, 'body': VALUE}\n", encoding="utf-8")
    shared = root / "layer" / "python" / "shared.py"
    shared.parent.mkdir(parents=True)
    shared.write_text("VALUE = 'one'\n", encoding="utf-8")
    assert server.client.get("/Prod/value").text == "one"
    shared.write_text("VALUE = 'three'\n", encoding="utf-8")
    assert server.client.get("/Prod/value").text == "three"


def test_from_environment_reads_the_template_and_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write(tmp_path / "p")
    monkeypatch.setenv("SAM_FASTAPI_TEMPLATE", str(path))
    monkeypatch.setenv("SAM_FASTAPI_STAGE", "live")
    server = Server(from_environment())
    try:
        assert server.client.get("/live/echo/x").json()["path"] == "/echo/x"
    finally:
        server.stop()


def test_calls_after_close_start_a_new_gateway_thread() -> None:
    from sam_fastapi.gateway.asgi import _Caller

    caller = _Caller()

    async def twice() -> list[str]:
        first = await caller.call(lambda: threading.current_thread().name)
        caller.stop()
        second = await caller.call(lambda: threading.current_thread().name)
        caller.stop()
        return [first, second]

    names = asyncio.run(asyncio.wait_for(twice(), 10))
    assert names == ["sam-fastapi caller", "sam-fastapi caller"]


def test_bodies_over_6_mb_answer_413_request_too_long_and_the_function_never_runs(
        serve, caplog) -> None:
    server = serve()
    caplog.set_level(logging.INFO, logger="sam_fastapi.serve")

    under = server.client.post("/echo/x", content=b"a" * (1024 * 1024))
    over = server.client.post("/echo/x", content=b"a" * (7 * 1024 * 1024))

    assert under.status_code == 200
    assert over.status_code == 413
    assert over.json() == {"message": "Request Too Long"}
    assert over.headers["x-amzn-errortype"] == "BadRequestException"
    assert "RequestTooLargeException" in caplog.text


def test_bodies_over_10_mb_answer_413_sent_whole_or_chunked(serve) -> None:
    server = serve()
    eleven = b"a" * (11 * 1024 * 1024)

    whole = server.client.post("/echo/x", content=eleven)
    chunked = server.client.post("/echo/x", content=iter([eleven[:1 << 20]] * 11))

    for answer in whole, chunked:
        assert answer.status_code == 413
        assert answer.text == "HTTP content length exceeded 10485760 bytes."


def test_a_body_over_10_mb_is_not_read_whole(tmp_path: Path) -> None:
    app = create_app(write(tmp_path))
    chunk = b"a" * (1 << 20)
    read = []
    sent: list[dict] = []

    async def receive() -> dict:  # 64 MB, sent without a content-length
        read.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": len(read) < 64}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/Prod/echo/x", "raw_path": None,
             "query_string": b"", "headers": [], "scheme": "http"}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    app.close()

    assert sent[0]["status"] == 413
    assert sum(read) <= 11 * (1 << 20)


def test_rest_functions_get_canonical_header_names(serve, tmp_path: Path) -> None:
    events = tmp_path / "p0" / "events"
    server = serve(record_dir=events)

    server.client.get("/Prod/echo/x", headers={"x-custom-thing": "1", "ACCEPT": "text/plain"})

    event = json.loads((events / "get_echo_x_0001.json").read_text(encoding="utf-8"))
    assert {"X-Custom-Thing", "Accept", "Host", "User-Agent"} <= set(event["headers"])
    assert not [name for name in event["headers"] if name.islower()]
