"""A Web Adapter function's app, invoked as the AWS Lambda Web Adapter invokes it: in the
function's own process.

The Adapter (awslabs/aws-lambda-web-adapter) is a Lambda extension that turns each event into
an HTTP request to the app's server on localhost and the server's answer into the function's
result. Here the app is the ASGI app the startup script serves (``sam_fastapi.webadapter``
reads which, into a ``WebApp``), imported by ``load_web_app`` and called directly: no server,
no port. ``AdapterHandler`` is the instance's handler, so isolation, environment, context,
Timeout and error answers are those of every other function, whichever kind of instance runs
it (a thread of the gateway's process, or a sandbox process: ``worker``). Facts, from
/work/shared/LWA-BEHAVIOR.md with their sources:

* Start (§5; ``src/lib.rs``, ``src/readiness.rs``): the server starts (uvicorn runs the ASGI
  lifespan; a failed startup ends the process: ``Runtime.ExitError``), then the Adapter sends
  ``GET`` to the readiness path until a healthy status (default 100-499) comes back. An app
  that never becomes healthy makes Lambda time out the init.
* Event kinds (§3; aws-lambda-rust-runtime ``lambda-http/src/deserializer.rs``): a REST or
  HTTP API payload 1.0 event has ``httpMethod`` and ``requestContext.httpMethod``; a payload
  2.0 event ``requestContext.http.method``; anything else is passed through: its JSON is
  ``POST``ed to ``AWS_LWA_PASS_THROUGH_PATH`` (default ``/events``) and the result is the
  answer's body as JSON (``null`` when it is not JSON) (§6).
* Request (§3; ``lambda-http/src/request.rs``): the path is the event's own (``path``, or
  ``rawPath`` with the stage of a named HTTP API stage); ``AWS_LWA_REMOVE_BASE_PATH`` is
  stripped from its start as often as it repeats (``trim_start_matches``), an empty path
  becomes ``/``; the query is ``rawQueryString`` verbatim (2.0) or rebuilt from
  ``multiValueQueryStringParameters`` (1.0); 1.0 headers are ``multiValueHeaders`` with each
  name in ``headers`` replaced by that one value; 2.0 ``cookies`` become one ``cookie`` header
  joined by ``;``; a base64 body is decoded. The Adapter adds ``x-amzn-request-context`` (the
  event's requestContext as JSON), ``x-amzn-lambda-context`` (request id, deadline, ARN,
  X-Ray trace id, ``env_config``) and ``x-amzn-trace-id``, replacing the client's.
* Response (§4; ``lambda-http/src/response.rs``): ``transfer-encoding`` is dropped; a body is
  base64 (``isBase64Encoded``) unless its type is text (``text/*``, JSON, JavaScript, XML,
  YAML, ``+json``/``+xml``/``+yaml``, no content type at all) and it has no
  ``content-encoding``; 1.0 events get every header value in ``multiValueHeaders``, 2.0 events
  one value per name in ``headers`` and the ``set-cookie`` values in ``cookies``.
* Errors (§5): an app's 5xx is passed through as it is; an exception before the app answered
  is the server's 500 ``Internal Server Error``.

Not modelled: response streaming, compression, ``AWS_LWA_ERROR_STATUS_CODES``, async init.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib
import json
import os
import sys
import traceback
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

from sam_fastapi.runtime.context import TRACE_ID, LambdaContext
from sam_fastapi.runtime.handler import Handler, exception_error, lambda_error

#: The Adapter's port when neither AWS_LWA_PORT nor PORT is set.
DEFAULT_ADAPTER_PORT = "8080"

#: Content types the runtime passes back as text (``lambda-http`` ``response.rs``).
_TEXT_TYPES = ("text", "application/json", "application/javascript", "application/xml",
               "application/yaml")
_TEXT_SUFFIXES = ("+xml", "+yaml", "+json")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


@dataclass(frozen=True)
class AdapterSettings:
    """The Adapter's settings from the function's environment (LWA-BEHAVIOR §1)."""

    port: str = DEFAULT_ADAPTER_PORT
    readiness_path: str = "/"
    healthy_statuses: tuple[tuple[int, int], ...] = ((100, 499),)
    pass_through_path: str = "/events"
    remove_base_path: str | None = None

    def healthy(self, status: int) -> bool:
        return any(low <= status <= high for low, high in self.healthy_statuses)


@dataclass(frozen=True)
class WebApp:
    """The ASGI app the startup script serves, and how it is served."""

    module: str
    attribute: str
    factory: bool  # the attribute is called to make the app (``--factory``, ``create()``)
    app_dir: Path  # put first on sys.path (the script's folder, ``--app-dir``, ``--chdir``)
    root_path: str  # the server's ``--root-path``: the ASGI scope's root_path
    server: str
    script: Path
    line: int
    settings: AdapterSettings = field(default_factory=AdapterSettings)

    @property
    def target(self) -> str:
        return f"{self.module}:{self.attribute}{'()' if self.factory else ''}"

    def to_json(self) -> dict[str, Any]:
        """The app as plain JSON values, as a sandbox's ``init`` message carries it."""
        return {**asdict(self), "app_dir": str(self.app_dir), "script": str(self.script)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebApp:
        """The app ``to_json`` wrote; ``ValueError`` for anything else."""
        try:
            settings = data["settings"]
            return cls(
                module=str(data["module"]), attribute=str(data["attribute"]),
                factory=bool(data["factory"]), app_dir=Path(data["app_dir"]),
                root_path=str(data["root_path"]), server=str(data["server"]),
                script=Path(data["script"]), line=int(data["line"]),
                settings=AdapterSettings(
                    port=str(settings["port"]), readiness_path=str(settings["readiness_path"]),
                    healthy_statuses=tuple((int(low), int(high))
                                           for low, high in settings["healthy_statuses"]),
                    pass_through_path=str(settings["pass_through_path"]),
                    remove_base_path=(None if settings["remove_base_path"] is None
                                      else str(settings["remove_base_path"]))))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a web app: {exc!r}") from None


def load_web_app(web: WebApp) -> tuple[Handler | None, dict[str, Any] | None]:
    """Import the app as its server would, start it and wait until it is ready, as the Web
    Adapter does: its handler, or Lambda's init error (a server that would exit is
    ``Runtime.ExitError``)."""
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(web.module)
        app = getattr(module, web.attribute)
        if web.factory:
            app = app()
    except BaseException as exc:  # whatever the app's import raises ends its server
        error = exception_error(exc, hide=__file__)
        error["errorMessage"] = (f'Error loading ASGI app "{web.target}" ({web.server} in '
                                 f"{web.script.name}): {type(exc).__name__}: {exc}")
        error["errorType"] = "Runtime.ExitError"
        return None, error
    handler = AdapterHandler(app, web)
    try:
        handler.start()
    except AppNotReady as exc:
        return None, exc.error
    return handler, None


class AppNotReady(Exception):
    """The app failed to start or never answered the readiness check healthily."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["errorMessage"])
        self.error = error


class AdapterHandler:
    """The Lambda handler the Adapter amounts to: an event in, the app's answer as a result."""

    def __init__(self, app: Any, web: WebApp) -> None:
        self.app = app
        self.web = web
        self.loop = asyncio.new_event_loop()
        self.lifespan: asyncio.Task[None] | None = None  # runs as long as the instance
        self._lifespan_events: asyncio.Queue[dict[str, Any]] | None = None

    def start(self) -> None:
        """Run the app's lifespan startup and the readiness check; ``AppNotReady`` if not."""
        self.loop.run_until_complete(self._startup())
        path = self.web.settings.readiness_path
        status, _, _ = self.loop.run_until_complete(self._request(
            _scope("GET", path, b"", [], self.web.root_path), b""))
        if not self.web.settings.healthy(status):
            ranges = ", ".join(f"{a}-{b}" if a != b else str(a)
                               for a, b in self.web.settings.healthy_statuses)
            raise AppNotReady(lambda_error(
                f"the Web Adapter waits for a healthy answer to GET {path} (statuses {ranges}, "
                f"AWS_LWA_READINESS_CHECK_PATH/_HEALTHY_STATUS) and the app answered {status}; "
                "on Lambda the init times out", "Sandbox.Timedout"))

    def __call__(self, event: Any, context: LambdaContext) -> Any:
        request = _Request.of(event, context, self.web)
        status, headers, body = self.loop.run_until_complete(self._request(
            request.scope, request.body))
        if request.kind == "pass-through":
            try:
                return json.loads(body) if body else None
            except ValueError:
                return None
        return _result(request.kind, status, headers, body)

    def close(self, timeout: float = 2.0) -> None:
        """End the app as its server does when the instance goes (SIGTERM): the lifespan's
        shutdown, at most ``timeout`` seconds of it, then the event loop, with no task of the
        app's left pending."""
        lifespan = self.lifespan
        if lifespan is not None and not lifespan.done() and self._lifespan_events is not None:
            self._lifespan_events.put_nowait({"type": "lifespan.shutdown"})
            self.loop.run_until_complete(asyncio.wait([lifespan], timeout=timeout))
            lifespan.cancel()
            with contextlib.suppress(BaseException):
                self.loop.run_until_complete(lifespan)
        self.loop.close()

    async def _startup(self) -> None:
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._lifespan_events = events
        answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await events.put({"type": "lifespan.startup"})
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"},
                 "state": {}}

        async def run() -> None:
            try:
                await self.app(scope, events.get, answers.put)
            except BaseException:  # an app without lifespan support: uvicorn's "auto" goes on
                await answers.put({"type": "lifespan.unsupported"})

        self.lifespan = self.loop.create_task(run())
        answer = await answers.get()
        if answer["type"] == "lifespan.startup.failed":
            message = answer.get("message") or "the app's startup failed"
            print(f"ERROR:    Application startup failed. {message}", file=sys.stderr)
            raise AppNotReady(lambda_error(
                f"Runtime exited with error: exit status 3 (the server ended: the app's "
                f"lifespan startup failed: {message})", "Runtime.ExitError"))

    async def _request(self, scope: dict[str, Any], body: bytes
                       ) -> tuple[int, list[tuple[str, str]], bytes]:
        sent = False
        response: dict[str, Any] = {}
        chunks: list[bytes] = []
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                response.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    done.set()

        try:
            await self.app(scope, receive, send)
        except Exception:
            # As uvicorn does: the traceback in the log, and a 500 if nothing was sent yet.
            print("ERROR:    Exception in ASGI application", file=sys.stderr)
            traceback.print_exc()
            if not response:
                return 500, [("content-type", "text/plain; charset=utf-8")], \
                    b"Internal Server Error"
        finally:
            done.set()
        headers = [(k.decode("latin-1"), v.decode("latin-1"))
                   for k, v in response.get("headers", [])]
        return int(response.get("status", 500)), headers, b"".join(chunks)


class _Request:
    def __init__(self, kind: str, scope: dict[str, Any], body: bytes) -> None:
        self.kind = kind
        self.scope = scope
        self.body = body

    @classmethod
    def of(cls, event: Any, context: LambdaContext, web: WebApp) -> _Request:
        request_context = event.get("requestContext") if isinstance(event, Mapping) else None
        http = request_context.get("http") if isinstance(request_context, Mapping) else None
        if isinstance(request_context, Mapping) and "httpMethod" in event \
                and "httpMethod" in request_context:
            kind, method, path = "1.0", str(event["httpMethod"]), str(event.get("path") or "/")
            query = _v1_query(event)
            headers = _v1_headers(event)
        elif isinstance(http, Mapping) and "method" in http:
            kind, method = "2.0", str(http["method"])
            path = str(event.get("rawPath") or "/")
            query = str(event.get("rawQueryString") or "")
            headers = [(str(k).lower(), str(v)) for k, v in (event.get("headers") or {}).items()]
            cookies = event.get("cookies")
            if isinstance(cookies, list) and cookies:
                headers = [h for h in headers if h[0] != "cookie"]
                headers.append(("cookie", ";".join(str(c) for c in cookies)))
        else:
            body = json.dumps(event).encode("utf-8")
            headers = [("content-type", "application/json")]
            return cls("pass-through", _scope("POST", web.settings.pass_through_path, b"",
                                              headers, web.root_path), body)
        base = web.settings.remove_base_path
        if base:
            while path.startswith(base):
                path = path[len(base):]
        path = path or "/"
        raw_body = event.get("body") or ""
        if event.get("isBase64Encoded"):
            body = base64.b64decode(raw_body)
        else:
            body = str(raw_body).encode("utf-8")
        added = {
            "x-amzn-request-context": json.dumps(request_context),
            "x-amzn-lambda-context": json.dumps(_lambda_context(context)),
        }
        trace = os.environ.get(TRACE_ID)
        if trace:
            added["x-amzn-trace-id"] = trace
        headers = [h for h in headers if h[0] not in added] + list(added.items())
        return cls(kind, _scope(method, path, query.encode("latin-1", "replace"), headers,
                                web.root_path), body)


def _scope(method: str, path: str, query: bytes, headers: list[tuple[str, str]],
           root_path: str) -> dict[str, Any]:
    raw = quote(path, safe=_PATH_SAFE)
    # uvicorn puts its --root-path in front of the path it received (and in root_path).
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 0),
        "scheme": "http",
        "method": method.upper(),
        "root_path": root_path,
        "path": root_path + unquote(raw),
        "raw_path": (root_path + raw).encode("latin-1", "replace"),
        "query_string": query,
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1", "replace"))
                    for k, v in headers],
        "state": {},
    }


def _v1_query(event: Mapping[str, Any]) -> str:
    multi = event.get("multiValueQueryStringParameters")
    if isinstance(multi, Mapping) and multi:
        return urlencode([(k, v) for k, values in multi.items() for v in values or ()])
    single = event.get("queryStringParameters")
    if isinstance(single, Mapping) and single:
        return urlencode(list(single.items()))
    return ""


def _v1_headers(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``multiValueHeaders``, then each name in ``headers`` replaced by its one value."""
    merged: dict[str, list[str]] = {}
    for name, values in (event.get("multiValueHeaders") or {}).items():
        merged.setdefault(str(name).lower(), []).extend(str(v) for v in values or ())
    for name, value in (event.get("headers") or {}).items():
        merged[str(name).lower()] = [str(value)]
    return [(name, value) for name, values in merged.items() for value in values]


def _lambda_context(context: LambdaContext) -> dict[str, Any]:
    return {
        "request_id": context.aws_request_id,
        "deadline": int(context.deadline * 1000),
        "invoked_function_arn": context.invoked_function_arn,
        "xray_trace_id": os.environ.get(TRACE_ID),
        "client_context": None,
        "identity": None,
        "env_config": {
            "function_name": context.function_name,
            "memory": int(context.memory_limit_in_mb),
            "version": context.function_version,
            "log_stream": context.log_stream_name,
            "log_group": context.log_group_name,
        },
    }


def _result(kind: str, status: int, headers: list[tuple[str, str]],
            body: bytes) -> dict[str, Any]:
    headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
    text = _is_text(headers)
    if text:
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        charset = next((p.split("=", 1)[1].strip('" ') for p in content_type.split(";")[1:]
                        if p.strip().lower().startswith("charset=")), "utf-8")
        try:
            shown = body.decode(charset, errors="replace")
        except LookupError:
            shown = body.decode("utf-8", errors="replace")
    else:
        shown = base64.b64encode(body).decode("ascii")
    if kind == "1.0":
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            multi.setdefault(name, []).append(value)
        return {"statusCode": status, "headers": {}, "multiValueHeaders": multi,
                "body": shown, "isBase64Encoded": not text}
    single: dict[str, str] = {}
    cookies = []
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookies.append(value)
        else:
            single.setdefault(name, value)
    result: dict[str, Any] = {"statusCode": status, "headers": single, "body": shown,
                              "isBase64Encoded": not text}
    if cookies:
        result["cookies"] = cookies
    return result


def _is_text(headers: list[tuple[str, str]]) -> bool:
    found = {k.lower(): v for k, v in headers}
    if "content-encoding" in found:
        return False
    if found.get("x-lambda-http-content-encoding") == "text":
        return True
    content_type = found.get("content-type")
    if content_type is None:
        return True
    media = content_type.split(";")[0].strip().lower()
    return media.startswith(_TEXT_TYPES) or media.endswith(_TEXT_SUFFIXES)
