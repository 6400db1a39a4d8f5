"""An instance that runs its function in a sandbox process of its own, as Lambda does.

The process (``worker``) is started with the function's environment and its code folder as
working directory, imports the handler on ``init`` and runs it on each ``call``; the event goes
in as JSON and the result comes out as JSON, Lambda's own boundary. Environment, ``TZ``,
working folder, modules and threads are the function's alone, with no swap at all, so
instances of different functions run in parallel.

What the process does cannot harm the caller: a crash, ``os._exit`` or ``abort()`` answers
Lambda's ``Runtime.ExitError`` with the signal or exit status (and the invoker starts the next
call cold); at the time limit the process is killed; past ``MemorySize`` (its resident set,
sampled while it works) it is killed and answers ``Runtime.OutOfMemory``. What it prints goes
to this process's output, each line prefixed with the function's logical id.

The environment is what Lambda sets, the template's variables and, from the shell, only what
AWS credentials need (``PASSED_THROUGH``), as ``sam local`` does.
"""

from __future__ import annotations

import base64
import contextlib
import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import IO, Any

from sam_fastapi.gateway.function import FunctionSpec
from sam_fastapi.gateway.http_calls import OPT_IN
from sam_fastapi.gateway.inprocess import lambda_environment, new_log_stream
from sam_fastapi.gateway.running import RUNNING, Running
from sam_fastapi.runtime import worker
from sam_fastapi.runtime.context import LambdaContext
from sam_fastapi.runtime.handler import Outcome, lambda_error

#: Shell variables a sandbox gets: AWS credentials (and where the CLI keeps them), what a
#: process needs to run at all, and the opt-in to HTTP calls answered by the gateway
#: (``http_calls``). Everything else stays out, as with ``sam local``.
PASSED_THROUGH = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                  "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
                  "HOME", "PATH", "LANG", "TMPDIR", "SYSTEMROOT", OPT_IN)
#: How often the resident set of a working sandbox is sampled against MemorySize.
_MEMORY_SAMPLE = 0.05
_BOOTSTRAP = ("import sys; sys.path[:] = sys.argv[3:]; "
              "from sam_fastapi.runtime.worker import main; "
              "main(int(sys.argv[1]), int(sys.argv[2]))")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def sandbox_environment(spec: FunctionSpec, log_stream: str,
                        shell: Mapping[str, str]) -> dict[str, str]:
    """The variables a sandbox process starts with."""
    passed = {k: shell[k] for k in PASSED_THROUGH if k in shell}
    return {**passed, "TZ": ":UTC", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
            **lambda_environment(spec, log_stream)}


class ProcessInstance:
    """A function's execution environment in a process of its own (see the module)."""

    in_process = False

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self.loaded = False
        self.busy = False
        self.log_stream = new_log_stream()
        self.environment = lambda_environment(spec, self.log_stream)
        requests_read, self._requests_fd = os.pipe()
        self._answers_fd, answers_write = os.pipe()
        # The function's own sys.path first, then what this process imports third-party
        # code from (the app's environment: fastapi, mangum...).
        paths = [p for p in sys.path if p]
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, str(requests_read), str(answers_write), *paths],
            env=sandbox_environment(spec, self.log_stream, os.environ), cwd=spec.code_dir,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=(requests_read, answers_write), start_new_session=True)
        os.close(requests_read)
        os.close(answers_write)
        self._requests = os.fdopen(self._requests_fd, "wb")
        self._answers = os.fdopen(self._answers_fd, "rb", buffering=0)
        prefix = f"[{spec.logical_id}] "
        for stream, target in ((self.process.stdout, "stdout"), (self.process.stderr, "stderr")):
            threading.Thread(target=_relay, args=(stream, target, prefix), daemon=True,
                             name=f"sandbox output:{spec.logical_id}").start()
        self.exit_reason: str | None = None

    def init(self, timeout: float) -> Outcome:
        message = {"op": "init", "handler": self.spec.handler, "paths": list(self.spec.paths),
                   "functions": dict(self.spec.peers), "region": self.spec.region,
                   "apis": dict(self.spec.api_hosts),
                   "web_app": None if self.spec.web_app is None else self.spec.web_app.to_json()}
        outcome = self._exchange(message, timeout, None, "")
        if outcome.finished and outcome.error is None:
            self.loaded = True
        return outcome

    def call(self, event: Any, context: LambdaContext, timeout: float,
             running: Running) -> Outcome:
        trace = f"Root=1-{int(time.time()):08x}-{random.getrandbits(96):024x};Sampled=0"
        fields = {name: getattr(context, name) for name in (
            "function_name", "function_version", "invoked_function_arn", "memory_limit_in_mb",
            "aws_request_id", "log_group_name", "log_stream_name")}
        fields["deadline"] = time.time() + context.get_remaining_time_in_millis() / 1000
        message = {"op": "call", "event": event, "context": fields, "trace_id": trace}
        return self._exchange(message, timeout, running, context.aws_request_id)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        for stream in (self._requests, self._answers):
            with contextlib.suppress(OSError):
                stream.close()
        self.process.wait()

    def _exchange(self, message: Any, timeout: float, running: Running | None,
                  request_id: str) -> Outcome:
        """Send a request and wait for its answer, serving the sandbox's calls meanwhile."""
        self.busy = True
        try:
            try:
                worker.send(self._requests, message)
            except (BrokenPipeError, OSError):
                return self._exited(request_id)
            deadline = time.monotonic() + timeout
            while True:
                answer = self._wait(deadline, request_id)
                if isinstance(answer, Outcome):
                    return answer
                if answer.get("op") not in ("invoke", "request"):
                    return Outcome(True, answer.get("result"), answer.get("error"))
                worker.send(self._requests, self._nested(answer, running))
        finally:
            self.busy = False

    def _wait(self, deadline: float, request_id: str) -> Any:
        """The sandbox's next message, or the Outcome of its end (time limit, memory, exit)."""
        limit = self.spec.memory_size * 1024 * 1024
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.process.kill()
                return Outcome(False)
            try:
                ready, _, _ = select.select([self._answers], [], [], min(left, _MEMORY_SAMPLE))
            except (OSError, ValueError):  # stopped meanwhile (serve shutting down)
                return self._exited(request_id)
            if ready:
                try:
                    return worker.receive(self._answers)
                except (EOFError, OSError, ValueError):
                    return self._exited(request_id)
            if _resident(self.process.pid) > limit:
                self.process.kill()
                self.process.wait()
                return Outcome(True, None, lambda_error(
                    f"RequestId: {request_id} Error: Runtime exited with error: signal: killed",
                    "Runtime.OutOfMemory"))

    def _nested(self, request: Mapping[str, Any], running: Running | None) -> dict[str, Any]:
        """Answer the sandbox's ``lambda.invoke`` of another function, or its HTTP request to
        one of the template's APIs, as the invoker or the gateway would in this process."""
        if running is None:
            message = "a function cannot call another while it loads"
            if request["op"] == "request":
                return {"status": 502, "headers": [], "body": _base64(message.encode())}
            return {"result": None, "error": lambda_error(message, "ServiceException"),
                    "duration_ms": 0.0, "cold": False}
        token = RUNNING.set(running)
        try:
            if request["op"] == "request":
                return self._request(request, running)
            invocation = running.invoker.invoke(str(request["function"]), request["event"])
        finally:
            RUNNING.reset(token)
        return {"result": invocation.result, "error": invocation.error,
                "duration_ms": invocation.duration_ms, "cold": invocation.cold}

    @staticmethod
    def _request(request: Mapping[str, Any], running: Running) -> dict[str, Any]:
        gateway = running.gateway
        if gateway is None:  # an Invoker on its own has no API: the sandbox never asks
            return {"status": 502, "headers": [], "body": _base64(b"no gateway")}
        exchange = gateway.request(
            str(request["method"]), str(request["path"]),
            headers=[(str(k), str(v)) for k, v in request["headers"]],
            body=base64.b64decode(request["body"]), api_id=str(request["api"]))
        return {"status": exchange.status, "headers": [list(h) for h in exchange.headers],
                "body": _base64(exchange.body)}

    def _exited(self, request_id: str) -> Outcome:
        code = self.process.wait()
        if code < 0:
            try:
                name = signal.Signals(-code).name.removeprefix("SIG").lower()
            except ValueError:
                name = str(-code)
            how = f"signal: {_SIGNAL_WORDS.get(name, name)}"
        else:
            how = f"exit status {code}"
        prefix = f"RequestId: {request_id} " if request_id else ""
        return Outcome(True, None, lambda_error(
            f"{prefix}Error: Runtime exited with error: {how}", "Runtime.ExitError"))


#: How Go (Lambda's runtime API is written in it) names the signals a crash is reported with.
_SIGNAL_WORDS = {"abrt": "aborted (core dumped)", "segv": "segmentation fault (core dumped)",
                 "kill": "killed", "term": "terminated", "bus": "bus error (core dumped)"}


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _resident(pid: int) -> int:
    """The resident set of a process in bytes (0 where /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _relay(stream: IO[bytes] | None, target: str, prefix: str) -> None:
    """Copy a sandbox's output to ``sys.stdout``/``sys.stderr`` as they are at each line (a
    test's capture, serve's console), each line prefixed."""
    if stream is None:
        return
    for line in stream:
        text = line.decode("utf-8", "replace")
        console = getattr(sys, target)
        try:
            console.write(prefix + text if text.endswith("\n") else prefix + text + "\n")
            console.flush()
        except (OSError, ValueError):  # that console was closed; the next line may find one
            continue
