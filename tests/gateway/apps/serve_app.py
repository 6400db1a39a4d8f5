"""A FastAPI app for the serve tests: echo, binary, cookies, output, a slow route (copied into
test projects; VERSION is rewritten by the reload test)."""

import logging
import os
import threading
import time
import uuid

from fastapi import FastAPI, Request, Response
from mangum import Mangum

VERSION = 1
#: One per logical instance: each instance imports the module afresh.
INSTANCE = uuid.uuid4().hex
_inside = 0
_lock = threading.Lock()
_most = 0

app = FastAPI(title="Serve test app", root_path=os.environ.get("ROOT_PATH", ""))
log = logging.getLogger("serve_app")


@app.get("/png")
def png() -> Response:
    return Response(b"\x89PNG\r\n\x1a\n\x00\xff\xfe", media_type="image/png")


@app.get("/cookies")
def cookies(request: Request) -> Response:
    response = Response(str(sorted(request.cookies.items())), media_type="text/plain")
    response.set_cookie("first", "1")
    response.set_cookie("second", "2")
    return response


@app.get("/hello")
def hello() -> dict:
    print("hello from the handler")
    log.warning("a warning from the handler")
    return {"version": VERSION, "instance": INSTANCE}


@app.get("/slow")
def slow(ms: int = 100) -> dict:
    global _inside, _most
    with _lock:
        _inside += 1
        _most = max(_most, _inside)
    time.sleep(ms / 1000)
    with _lock:
        _inside -= 1
    return {"instance": INSTANCE, "most_at_once": _most}


@app.api_route("/echo/{path:path}", methods=["GET", "POST", "PUT"])
async def echo(path: str, request: Request) -> dict:
    body = await request.body()
    return {
        "path": request.url.path,
        "query": list(request.query_params.multi_items()),
        "headers": [[k, v] for k, v in request.headers.items()],
        "cookies": dict(request.cookies),
        "body_hex": body.hex(),
        "url": str(request.url),
    }


handler = Mangum(app, lifespan="off")
