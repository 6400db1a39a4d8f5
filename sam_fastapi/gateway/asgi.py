"""The gateway as an ASGI application: a template served over HTTP, as API Gateway + Lambda.

``create_app(template)`` is what ``sam-fastapi serve`` runs under uvicorn; any ASGI server
(hypercorn, gunicorn's uvicorn worker...) can run it too, so a project can also ship as one
container: ``uvicorn --factory 'sam_fastapi.gateway.asgi:from_environment'`` reads the template
from ``SAM_FASTAPI_TEMPLATE``.

Each request is routed, turned into the event API Gateway would send, and invoked on a thread
(the event loop never waits for a handler). One ``Gateway`` serves every request (one router,
one authorizer cache, one JWT key). A function has instances like Lambda's execution
environments, kept in its pool by the invoker and never running two invocations at once:
with ``concurrency="queue"`` (reserved concurrency 1) requests for a busy function wait for
slot 0; with ``"instances"`` a request that finds every slot taken takes a new one, whose
instance starts cold. The invoker swaps process-wide state (``sys.modules``, ``os.environ``,
the working directory) around a call, so handlers themselves still run one at a time in the
process.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import anyio.to_thread

from sam_fastapi.gateway import Exchange, Gateway, GatewayError, answers, body_too_large
from sam_fastapi.gateway.events import Request
from sam_fastapi.gateway.recording import DEFAULT_REDACTED, Recorder
from sam_fastapi.gateway.router import Match
from sam_fastapi.template import TemplateError
from sam_fastapi.template.model import Project
from sam_fastapi.template.stacks import load_project

__all__ = ["CONCURRENCY", "GatewayApp", "create_app", "from_environment"]

CONCURRENCY = ("queue", "instances")
#: Where ``sam-fastapi serve`` writes one line per request.
logger = logging.getLogger("sam_fastapi.serve")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Folders under a CodeUri that are not the function's code (a virtualenv, caches, VCS).
_NOT_CODE = frozenset({"__pycache__", "node_modules", ".aws-sam", ".git", ".venv", "venv"})
#: Frames of Python's import system in an init error's trace: the same in every one.
_IMPORT_MACHINERY = re.compile(r'File "(<frozen importlib\.|.*[/\\]importlib[/\\]__init__\.py")')
#: Headers a server computes for the body it sends; the function's values do not apply.
_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


def create_app(template_path: str | os.PathLike[str], *, stage: str | None = None,
               parameter_overrides: dict[str, str] | None = None,
               record_dir: str | os.PathLike[str] | None = None,
               redact: Iterable[str] | None = DEFAULT_REDACTED,
               concurrency: str = "queue", reload: bool = False,
               check_tokens: bool = True) -> GatewayApp:
    """An ASGI application serving every API event of the template.

    ``record_dir`` writes each request's event and response snapshot there (see
    ``recording``); ``redact`` names the headers whose values are replaced (None: none).
    ``reload`` starts a function cold when a file under its CodeUri or layers changed.
    ``check_tokens=False`` lets every request through JWT and Cognito authorizers.
    Raises ``GatewayError`` (one line) when the template cannot be served.
    """
    if concurrency not in CONCURRENCY:
        raise GatewayError(f"unknown concurrency {concurrency!r} "
                           f"(choose from {', '.join(CONCURRENCY)})")
    path = Path(template_path)
    if not path.is_file():
        raise GatewayError(f"{path}: no such file")
    try:
        project = load_project(path, parameter_overrides=dict(parameter_overrides or {}))
    except TemplateError as exc:
        raise GatewayError(str(exc)) from None
    recorder = None
    if record_dir is not None:
        recorder = Recorder(Path(record_dir), redact=() if redact is None else redact)
    return GatewayApp(project, stage=stage, recorder=recorder,
                      limit=1 if concurrency == "queue" else None, reload=reload,
                      check_tokens=check_tokens)


def from_environment() -> GatewayApp:
    """``create_app`` configured by ``SAM_FASTAPI_TEMPLATE`` (default ``template.yaml``) and
    ``SAM_FASTAPI_STAGE``: a factory for ASGI servers' ``--factory`` option."""
    return create_app(os.environ.get("SAM_FASTAPI_TEMPLATE", "template.yaml"),
                      stage=os.environ.get("SAM_FASTAPI_STAGE") or None)


class _Slots:
    """Which slots of one function's pool are idle, and who waits for one."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.count = 0
        self.idle: asyncio.Queue[int] = asyncio.Queue()

    async def acquire(self) -> int:
        if self.idle.empty() and (self.limit is None or self.count < self.limit):
            self.count += 1
            return self.count - 1
        return await self.idle.get()

    def release(self, slot: int) -> None:
        self.idle.put_nowait(slot)


class GatewayApp:
    """The ASGI application ``create_app`` returns.

    ``running`` names the function whose handler runs right now, for output prefixes.
    """

    def __init__(self, project: Project, *, stage: str | None, recorder: Recorder | None,
                 limit: int | None, reload: bool, check_tokens: bool = True) -> None:
        self.project = project
        self.stage = stage
        self.recorder = recorder
        self.reload = reload
        self.gateway = Gateway(project, stage=stage, check_tokens=check_tokens)
        self.running: str | None = None
        self._limit = limit
        self._slots: dict[str, _Slots] = {}
        self._signatures: dict[str, tuple[tuple[str, int, int], ...]] = {}
        # Why each function could not start, as last logged: logged again only when it changes.
        self._start_failures: dict[str, str] = {}
        # The invoker swaps process-wide state around a call: one call at a time, whatever
        # the Gateway it belongs to, made by one thread in the order requests came.
        self._caller = _Caller()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    def close(self) -> None:
        """Stop every instance's thread."""
        self._caller.stop()
        self.gateway.cold_start()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        headers = _headers(scope)
        body = await _read_body(receive, headers, answers.MAX_BODY_BYTES)
        if body is None:
            exchange = body_too_large()
            self._log(scope["method"], scope["path"], exchange, time.perf_counter() - start)
            await _respond(send, exchange, head=scope["method"] == "HEAD")
            return
        request = Request.build(scope["method"], _target(scope), headers=headers, body=body)
        nothing = self.gateway.nothing_to_route
        found = None if nothing else self.gateway.router.match(request.method, request.path)
        if isinstance(found, Match):
            exchange = await self._invoke(found, request)
        elif found is not None:  # the gateway answers by itself, no function runs
            exchange = self.gateway.send(request, found=found)
        else:  # there is no API: nothing at any path
            exchange = Exchange.answered(answers.no_route(True), "no API")
        if self.recorder is not None and exchange.event is not None:
            # Written before the answer: a client that got it finds the files.
            await anyio.to_thread.run_sync(self.recorder.record, exchange)
        # Logged before the answer too, so a client that got it finds the line.
        self._log(request.method, request.path, exchange, time.perf_counter() - start)
        await _respond(send, exchange, head=request.method == "HEAD")

    async def _invoke(self, found: Match, request: Request) -> Exchange:
        function = found.route.function
        slots = self._slots.get(function)
        if slots is None:
            slots = self._slots[function] = _Slots(self._limit)
        slot = await slots.acquire()
        try:
            return await self._caller.call(functools.partial(self._call, slot, found, request))
        finally:
            slots.release(slot)

    def _call(self, slot: int, found: Match, request: Request) -> Exchange:
        function = found.route.function
        if self.reload:
            self._reload(function)
        self.running = function
        try:
            return self.gateway.send(request, found=found, slot=slot)
        except GatewayError as exc:
            # The function cannot run here at all; other functions still can.
            return Exchange.answered(answers.integration_failed(found.route.api.is_http),
                                     str(exc), function=function)
        finally:
            self.running = None

    def _reload(self, function: str) -> None:
        signature = _signature(self._folders(function))
        previous = self._signatures.get(function)
        self._signatures[function] = signature
        if previous is not None and previous != signature:
            self.gateway.cold_start(function)

    def _folders(self, function: str) -> list[Path]:
        spec = self.project.functions[function]
        folders = [spec.code_dir] if spec.code_dir is not None else []
        folders += [layer.content_dir for layer in self.project.function_layers(spec)
                    if layer.content_dir is not None]
        return folders

    def _log(self, method: str, path: str, exchange: Exchange, seconds: float) -> None:
        invocation = exchange.invocation
        start = "" if invocation is None else (" cold" if invocation.cold else " warm")
        line = (f"{method} {path} -> {exchange.function or 'gateway'} "
                f"{exchange.status} {seconds * 1000:.1f} ms{start}")
        function = exchange.function
        trace: list[str] = []
        if function is not None and _cannot_start(exchange):
            # The same cause on every request says nothing new: once, with the user's trace.
            if self._start_failures.get(function) == exchange.error:
                line += f" ({function} cannot start, as logged above)"
            else:
                self._start_failures[function] = exchange.error or ""
                line += f" ({exchange.error})"
                error = invocation.error if invocation is not None else None
                trace = [str(t).rstrip() for t in (error or {}).get("stackTrace") or []
                         if not _IMPORT_MACHINERY.search(str(t))]
        elif exchange.error:
            line += f" ({exchange.error})"
        if function is not None and invocation is not None and invocation.initialized:
            self._start_failures.pop(function, None)
        logger.info(line)
        for frame in trace:
            logger.info(frame)


def _cannot_start(exchange: Exchange) -> bool:
    """The function never got the event: it cannot run here, or its init failed."""
    invocation = exchange.invocation
    if invocation is None:
        return exchange.status >= 500  # a GatewayError: no instance could be made
    return not invocation.initialized


class _Caller:
    """One thread that makes the calls the event loop hands it, one after the other.

    The loop must not wait for a handler; this thread waits for each (the invoker runs it
    on the instance's own thread) and wakes the awaiting request when it is done. Lighter
    than a thread pool hop: a queue put and a ``call_soon_threadsafe`` per call.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any],
                                            Callable[[], Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def call(self, job: Callable[[], Any]) -> Any:
        """Run ``job`` on the caller thread; its result, or its exception raised here."""
        if self._thread is None:
            self._start()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((loop, future, job))
        return await future

    def stop(self) -> None:
        """End the thread once it has made the calls already handed to it; a later call
        starts a new one."""
        with self._start_lock:
            if self._thread is not None:
                self._jobs.put(None)
                self._thread = None

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sam-fastapi caller",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            loop, future, job = item
            try:
                outcome: tuple[Any, BaseException | None] = (job(), None)
            except BaseException as exc:  # handed to the awaiting request, raised there
                outcome = (None, exc)
            # RuntimeError: the loop closed while the call ran, nobody waits for it.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, *outcome)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


async def _read_body(receive: Receive, headers: list[tuple[str, str]],
                     limit: int) -> bytes | None:
    """The request body; None, without reading the rest, once it is over ``limit`` bytes."""
    length = next((v for k, v in headers if k.lower() == "content-length"), None)
    if length is not None and length.strip().isdigit() and int(length) > limit:
        return None
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _target(scope: Scope) -> str:
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else scope["path"]
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{path}?{query}" if query else path


def _headers(scope: Scope) -> list[tuple[str, str]]:
    """The client's headers, plus what a proxy in front of the function would add.

    ASGI servers lowercase header names; REST APIs pass the client's casing through, which
    is most often the canonical one (``Content-Type``), so names get that back. (HTTP APIs
    lowercase them in the event themselves.)
    """
    headers = [(_canonical(k.decode("latin-1")), v.decode("latin-1"))
               for k, v in scope["headers"]]
    present = {k.lower() for k, _ in headers}
    server = scope.get("server") or (None, None)
    client = scope.get("client") or (None, None)
    # API Gateway says https and 443; here the client came over this server's scheme and port,
    # and redirects the app builds from these must lead back here.
    added = (("X-Forwarded-Proto", scope.get("scheme", "http")),
             ("X-Forwarded-Port", server[1]), ("X-Forwarded-For", client[0]))
    headers.extend((k, str(v)) for k, v in added if v is not None and k.lower() not in present)
    return headers


@functools.lru_cache(maxsize=256)
def _canonical(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


async def _respond(send: Send, exchange: Exchange, *, head: bool) -> None:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1", "replace"))
               for k, v in exchange.headers if k.lower() not in _HOP_BY_HOP]
    length = next((v for k, v in exchange.headers if k.lower() == "content-length"), None)
    if not head or length is None:
        length = str(len(exchange.body))
    headers.append((b"content-length", length.encode("latin-1")))
    await send({"type": "http.response.start", "status": exchange.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else exchange.body})


def _signature(folders: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Every file under the folders with its modification time and size."""
    return tuple(sorted(_files(folders)))


def _files(folders: list[Path]) -> Iterator[tuple[str, int, int]]:
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            if "pyvenv.cfg" in files and root != str(folder):
                dirs.clear()
                continue
            dirs[:] = [d for d in dirs if d not in _NOT_CODE and not d.startswith(".")]
            for name in files:
                if name.endswith((".pyc", ".pyo")):
                    continue
                path = os.path.join(root, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                yield path, stat.st_mtime_ns, stat.st_size
