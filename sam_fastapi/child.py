"""Child processes that answer JSON requests: cfn-lint and the SAM transform each run in one.

A child runs ``serve``: one request per line on its standard input, one answer per line on
its standard output, until its input closes. A lint run sends one request to a fresh child
and closes its input (so both analysers run beside our checks, on the other core);
``lint --watch`` keeps one child of each kind between runs, its imports done and its caches
warm, and sends it one request per run. The loop, the requests and the answers are the same.
"""

from __future__ import annotations

import collections
import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

#: A JSON value: dicts with string keys, lists, strings, numbers, booleans and None.
Json = Any


class ChildFailed(Exception):
    """The child exited before answering; ``returncode`` and the last line it wrote on stderr."""

    def __init__(self, returncode: int, last_line: str) -> None:
        super().__init__(last_line)
        self.returncode = returncode
        self.last_line = last_line


class Refused(Exception):
    """Raised by a child's answer function: the request cannot be done (a bad configuration,
    say). The parent gets the message as ``ChildRefused`` and the child goes on serving."""


class ChildRefused(Exception):
    """The child answered with an error message instead of a result."""


def serve(answer: Callable[[Json], Json], *, spent: Callable[[], bool] = lambda: False) -> int:
    """Answer each request line on standard input with one line on standard output.

    ``spent`` is asked after each answer: True when this process changed a state no later
    request may see (cfn-lint patched its schemas), so it answers no more; the answer says
    so and the parent starts a fresh child for the next request. Any exception but
    ``Refused`` ends the process with its traceback, which the parent reports as a crash.
    """
    out = sys.stdout
    sys.stdout = sys.stderr  # the analysers' chatter must not corrupt the answers
    for line in sys.stdin.buffer:
        try:
            reply: dict[str, Json] = {"answer": answer(json.loads(line))}
        except Refused as exc:
            reply = {"error": str(exc)}
        last = spent()
        if last:
            reply["last"] = True
        out.write(json.dumps(reply) + "\n")
        out.flush()
        if last:
            break
    return 0


class JsonChild:
    """``python -m MODULE`` running ``serve``: requests go in, answers come out in order."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.process = subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.unanswered = 0
        #: Set when the child said it answers no more requests.
        self.spent = False
        self._writer: threading.Thread | None = None
        # stderr is read all along, so a chatty child never blocks on a full pipe; the last
        # line is what a crash is reported with.
        self._stderr: collections.deque[bytes] = collections.deque(maxlen=1)
        self._reader = threading.Thread(target=self._drain, args=(self.process.stderr,),
                                        daemon=True)
        self._reader.start()

    def _drain(self, stream: IO[bytes]) -> None:
        for line in stream:
            if line.strip():
                self._stderr.append(line)

    @property
    def ready(self) -> bool:
        """Running, owing no answer and willing to take a request."""
        return self.process.poll() is None and not self.spent and self.unanswered == 0

    def send(self, request: Json, *, last: bool = False) -> None:
        """Write ``request``; ``last`` closes the child's input, so it exits once it answered.

        A thread writes, so a request larger than the pipe's buffer does not hold the caller
        up while the child is still importing.
        """
        payload = (json.dumps(request, default=str) + "\n").encode()
        self.unanswered += 1
        self._writer = threading.Thread(target=self._write, args=(payload, last), daemon=True)
        self._writer.start()

    def _write(self, payload: bytes, last: bool) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        with contextlib.suppress(OSError, ValueError):  # a dead child is noticed by receive
            try:
                stdin.write(payload)
                stdin.flush()
            finally:
                if last:
                    stdin.close()

    def receive(self) -> Json:
        """The answer to the oldest request: ``ChildFailed`` when the child exited first,
        ``ChildRefused`` for an error answer, ValueError for anything not an answer."""
        if self._writer is not None:
            self._writer.join()
        stdout = self.process.stdout
        assert stdout is not None
        line = stdout.readline()
        self.unanswered -= 1
        if not line:
            self.process.wait()
            self._reader.join(timeout=5)
            last = self._stderr[-1].decode(errors="replace").strip() if self._stderr else ""
            raise ChildFailed(self.process.returncode, last or "no output")
        reply = json.loads(line)
        if not isinstance(reply, dict) or not ({"answer", "error"} & set(reply)):
            raise ValueError(f"not an answer: {line[:80]!r}")
        if reply.get("last"):
            self.spent = True
        if "error" in reply:
            raise ChildRefused(str(reply["error"]))
        return reply["answer"]

    def close(self) -> None:
        """Close the child's input and wait for it to exit (killed if it does not)."""
        if self._writer is not None:
            self._writer.join()
        with contextlib.suppress(OSError, ValueError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        if self._writer is not None:
            self._writer.join()
        self._close_pipes()

    def _close_pipes(self) -> None:
        self._reader.join(timeout=5)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.close()


class WarmChildren:
    """The children ``lint --watch`` keeps between runs, one per module.

    A child that died, said it is spent, or still owes an answer is replaced by a fresh one
    when next asked for, so one run's trouble never reaches the next.
    """

    def __init__(self) -> None:
        self._children: dict[str, JsonChild] = {}

    def get(self, module: str) -> JsonChild:
        child = self._children.get(module)
        if child is not None and child.ready:
            return child
        if child is not None:
            child.kill()
        child = self._children[module] = JsonChild(module)
        return child

    def close(self) -> None:
        """Stop every child; they keep nothing worth a graceful exit (Ctrl-C may come mid-run)."""
        for child in self._children.values():
            child.kill()
        self._children.clear()


class Call:
    """One request to a ``python -m MODULE`` child and its answer.

    Without ``children`` the request goes to a child of its own, started at once so that its
    imports overlap the caller's work, which exits after answering. With ``children`` it goes
    to the warm child of that module; when that child dies before answering, the request is
    asked again of a fresh one, so a run's findings never depend on a child killed mid-run.
    """

    def __init__(self, module: str, children: WarmChildren | None = None) -> None:
        self.module = module
        self._children = children
        self._child = JsonChild(module) if children is None else None
        self._request: Json = None
        self._sent = False

    def send(self, request: Json) -> None:
        if self._children is not None:
            self._child = self._children.get(self.module)
        assert self._child is not None
        self._request = request
        self._sent = True
        self._child.send(request, last=self._children is None)

    def answer(self) -> Json:
        """The child's answer; ``ChildFailed``, ``ChildRefused`` or ValueError as ``receive``."""
        assert self._child is not None and self._sent
        if self._children is None:
            try:
                return self._child.receive()
            finally:
                self._child.close()
        try:
            return self._child.receive()
        except ChildFailed:
            self._child = self._children.get(self.module)
            self._child.send(self._request)
            return self._child.receive()

    def cancel(self) -> None:
        """Drop the request: a child of its own is killed; a warm child answers it first (it
        reads the same template and gives up as fast), so it stays in step for the next."""
        if self._child is None:
            return
        if self._children is None:
            self._child.kill()
        elif self._sent:
            with contextlib.suppress(ChildFailed, ChildRefused, ValueError):
                self._child.receive()
