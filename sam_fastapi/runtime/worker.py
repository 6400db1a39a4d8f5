"""The sandbox process of a ``gateway.process.ProcessInstance``: one function instance, alone.

Started as ``python -c <bootstrap>`` with the function's environment and its code folder as
working directory; it reads requests from one pipe and writes answers to another, each a
JSON document behind its 4-byte length (Lambda's own boundary: the event goes in as JSON, the
result comes out as JSON). Requests: ``init`` (import the handler, or start a Web Adapter
function's app as the Adapter does: ``webadapter``) and ``call`` (run it on an event). While
a call runs, a ``lambda.invoke`` of a template function (``gateway.lambda_calls``, imported
only by a function that imported boto3) is sent to the parent as an ``invoke`` message and
answered there, by the gateway's invoker.

Nothing here is shared with another function: environment, ``TZ``, working folder, modules and
threads are the process's own, and the process ends with its instance.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import time
from dataclasses import dataclass
from typing import Any, BinaryIO

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


@dataclass(frozen=True)
class _Function:
    """What ``lambda_calls.resolve`` reads of a template function."""

    function_name: str


class _Project:
    def __init__(self, names: dict[str, str]) -> None:
        self.functions = {logical_id: _Function(name) for logical_id, name in names.items()}


class _Parent:
    """The gateway's invoker as a handler in here sees it: calls go to the parent process."""

    def __init__(self, requests: BinaryIO, answers: BinaryIO, names: dict[str, str],
                 region: str) -> None:
        self.requests = requests
        self.answers = answers
        self.project = _Project(names)
        self.region = region

    def invoke(self, logical_id: str, event: Any) -> Any:
        from sam_fastapi.gateway.invoker import Invocation

        send(self.answers, {"op": "invoke", "function": logical_id, "event": event})
        answer = receive(self.requests)
        return Invocation(answer["result"], answer["error"], answer["duration_ms"],
                          answer["cold"])


class _Busy:
    """The running instance as ``running.waiting_caller`` sees it: a caller waits for it."""

    busy = True


def main(requests_fd: int, answers_fd: int) -> None:
    from sam_fastapi.runtime.context import TRACE_ID, LambdaContext
    from sam_fastapi.runtime.handler import load_handler

    requests = os.fdopen(requests_fd, "rb")
    answers = os.fdopen(answers_fd, "wb")
    handler = None
    parent: _Parent | None = None
    while True:
        try:
            message = receive(requests)
        except EOFError:
            return
        if message["op"] == "init":
            sys.path[0:0] = message["paths"]
            # Lambda's main thread has an event loop for asyncio.get_event_loop() to find;
            # Mangum before 0.20 counts on it.
            import asyncio

            asyncio.set_event_loop(asyncio.new_event_loop())
            if hasattr(time, "tzset"):
                time.tzset()
            parent = _Parent(requests, answers, message["functions"], message["region"])
            if message.get("web_app") is not None:
                from sam_fastapi.runtime.webadapter import WebApp, load_web_app

                handler, error = load_web_app(WebApp.from_json(message["web_app"]))
            else:
                handler, error = load_handler(message["handler"])
            send(answers, {"error": error})
        elif message["op"] == "call" and handler is not None and parent is not None:
            context = LambdaContext(**message["context"], clock=time.time)
            os.environ[TRACE_ID] = message["trace_id"]
            outcome = _call(handler, message["event"], context, parent)
            send(answers, {"result": outcome.result, "error": outcome.error})


def _call(handler: Any, event: Any, context: Any, parent: _Parent) -> Any:
    from sam_fastapi.runtime.handler import call_handler

    if "boto3" not in sys.modules:  # no lambda.invoke to answer: the gateway stays unimported
        return call_handler(handler, event, context)
    from sam_fastapi.gateway import lambda_calls
    from sam_fastapi.gateway.running import RUNNING, Running

    lambda_calls.install()
    token = RUNNING.set(Running(None, parent, _Busy()))  # type: ignore[arg-type]
    try:
        return call_handler(handler, event, context)
    finally:
        RUNNING.reset(token)
