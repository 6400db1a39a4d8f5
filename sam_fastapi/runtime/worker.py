"""The sandbox process of a ``gateway.process.ProcessInstance``: one function instance, alone.

Started as ``python -c <bootstrap>`` with the function's environment and its code folder as
working directory; it reads requests from one pipe and writes answers to another, each a
JSON document behind its 4-byte length (Lambda's own boundary: the event goes in as JSON, the
result comes out as JSON). Requests: ``init`` (import the handler, or start a Web Adapter
function's app as the Adapter does: ``webadapter``) and ``call`` (run it on an event). While
a call runs, the handler's calls to the template are sent to the parent and answered there:
a ``lambda.invoke`` of a template function (``gateway.lambda_calls``, installed once the
function imports boto3, however late) as an ``invoke`` message, answered by the gateway's
invoker; an opt-in HTTP request to one of the template's APIs (``gateway.http_calls``) as a
``request`` message (the body base64), answered by its gateway. ``PARENT`` is how they find
the parent. A function that does neither imports neither boto3 nor the gateway.

Nothing here is shared with another function: environment, ``TZ``, working folder, modules and
threads are the process's own, and the process ends with its instance.
"""

from __future__ import annotations

import _thread
import json
import os
import struct
import sys
import time
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

_HEADER = struct.Struct(">I")


def send(stream: BinaryIO, message: Any) -> None:
    """Write one message: its JSON behind its length."""
    data = json.dumps(message, ensure_ascii=False).encode("utf-8")
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def receive(stream: BinaryIO) -> Any:
    """Read one message; EOFError when the other side has gone."""
    header = _read_exactly(stream, _HEADER.size)
    return json.loads(_read_exactly(stream, _HEADER.unpack(header)[0]))


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


# Records here are NamedTuples: a dataclass costs a sandbox's cold start milliseconds to make.
class _Function(NamedTuple):
    """What ``lambda_calls.resolve`` reads of a template function."""

    function_name: str


class _Project:
    def __init__(self, names: dict[str, str]) -> None:
        self.functions = {logical_id: _Function(name) for logical_id, name in names.items()}


class Init(NamedTuple):
    """The ``init`` request: what the sandbox needs to know of its function and the template."""

    handler: str
    paths: list[str]  # go on the front of sys.path
    functions: dict[str, str]  # every template function's deployed name, by logical id
    region: str
    apis: dict[str, str]  # the template's APIs by deployed host: their logical ids
    web_app: dict[str, Any] | None  # ``webadapter.WebApp.to_json()`` of an Adapter function

    @classmethod
    def of(cls, message: dict[str, Any]) -> Init:
        return cls(str(message["handler"]), [str(p) for p in message["paths"]],
                   {str(k): str(v) for k, v in message["functions"].items()},
                   str(message["region"]), {str(k): str(v) for k, v in message["apis"].items()},
                   message["web_app"])


class Answer(NamedTuple):
    """The gateway's answer to an HTTP request the handler sent through ``Parent.request``."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class Parent:
    """The parent process, as the handler running in here sees it: it stands in for the
    gateway (``api_hosts``, ``request``), its invoker (``project``, ``region``, ``invoke``)
    and this instance (``busy`` while a call runs, as ``running.waiting_caller`` needs)."""

    def __init__(self, requests: BinaryIO, answers: BinaryIO, init: Init) -> None:
        self.requests = requests
        self.answers = answers
        self.project = _Project(init.functions)
        self.region = init.region
        self.api_hosts = init.apis
        self.busy = False
        # Threads of the handler may call at the same time; the pipes carry one exchange.
        self._lock = _thread.allocate_lock()

    def invoke(self, logical_id: str, event: Any) -> Any:
        """A ``lambda.invoke`` of a template function, run by the gateway's invoker."""
        from sam_fastapi.gateway.invoker import Invocation

        answer = self._ask({"op": "invoke", "function": logical_id, "event": event})
        return Invocation(answer["result"], answer["error"], answer["duration_ms"],
                          answer["cold"])

    def request(self, method: str, path: str, *, headers: list[tuple[str, str]], body: bytes,
                api_id: str) -> Answer:
        """An HTTP request to one of the template's APIs, answered by the gateway."""
        import base64

        answer = self._ask({"op": "request", "method": method, "path": path,
                            "headers": headers, "body": base64.b64encode(body).decode("ascii"),
                            "api": api_id})
        return Answer(int(answer["status"]), tuple((str(k), str(v)) for k, v in answer["headers"]),
                      base64.b64decode(answer["body"]))

    def _ask(self, message: dict[str, Any]) -> Any:
        with self._lock:
            send(self.answers, message)
            return receive(self.requests)


#: This process's parent once the function is initialized (the process is the instance).
PARENT: Parent | None = None


class _AfterImport:
    """A finder on ``sys.meta_path`` that runs ``then`` once module ``name`` has been imported
    by anyone, and imports nothing itself: a sandbox that never imports it never pays."""

    def __init__(self, name: str, then: Callable[[], None]) -> None:
        self.name = name
        self.then = then

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None) if finder is not self else None
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        else:
            return None  # not installed: the import fails as it would
        if spec.loader is None:
            return spec
        sys.meta_path.remove(self)
        spec.loader = _ThenLoader(spec.loader, self.then)
        return spec


class _ThenLoader:
    """The module's own loader, and ``then`` once it has run the module."""

    def __init__(self, loader: Any, then: Callable[[], None]) -> None:
        self.loader = loader
        self.then = then

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        module.__loader__ = module.__spec__.loader = self.loader  # as if never wrapped
        self.loader.exec_module(module)
        self.then()


def _route_lambda_invokes() -> None:
    """Send boto3's ``lambda.invoke`` of template functions to the parent (``lambda_calls``)."""
    try:
        from sam_fastapi.gateway import lambda_calls

        lambda_calls.install()
    except Exception as exc:  # our bug must not fail the function's import of boto3
        print(f"sam-fastapi: lambda.invoke from this function goes to AWS: {exc!r}",
              file=sys.stderr)


def main(requests_fd: int, answers_fd: int) -> None:
    global PARENT
    from sam_fastapi.runtime.context import TRACE_ID, LambdaContext
    from sam_fastapi.runtime.handler import load_handler

    requests = os.fdopen(requests_fd, "rb")
    answers = os.fdopen(answers_fd, "wb")
    handler = None
    while True:
        try:
            message = receive(requests)
        except EOFError:
            return
        if message["op"] == "init":
            init = Init.of(message)
            sys.path[0:0] = init.paths
            # Lambda's main thread has an event loop for asyncio.get_event_loop() to find;
            # Mangum before 0.20 counts on it.
            import asyncio

            asyncio.set_event_loop(asyncio.new_event_loop())
            if hasattr(time, "tzset"):
                time.tzset()
            PARENT = Parent(requests, answers, init)
            # However late the function imports boto3 (while loading, or in a call), its
            # lambda.invoke calls of template functions come here.
            sys.meta_path.insert(0, _AfterImport("boto3", _route_lambda_invokes))
            if init.web_app is not None:
                from sam_fastapi.runtime.webadapter import WebApp, load_web_app

                handler, error = load_web_app(WebApp.from_json(init.web_app))
            else:
                handler, error = load_handler(init.handler)
            send(answers, {"error": error})
        elif message["op"] == "call" and handler is not None and PARENT is not None:
            context = LambdaContext(**message["context"], clock=time.time)
            os.environ[TRACE_ID] = message["trace_id"]
            outcome = _call(handler, message["event"], context, PARENT)
            send(answers, {"result": outcome.result, "error": outcome.error})


def _call(handler: Any, event: Any, context: Any, parent: Parent) -> Any:
    from sam_fastapi.runtime.handler import call_handler

    if "boto3" in sys.modules:  # once per call: the function may have replaced boto3's session
        _route_lambda_invokes()
    parent.busy = True
    try:
        return call_handler(handler, event, context)
    finally:
        parent.busy = False
