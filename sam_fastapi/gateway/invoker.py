"""Invoke a project's functions as Lambda does, each function's instances kept in a pool.

An *instance* (``instance.Instance``) is one execution environment of a function; the
invoker starts it, runs its init phase on its first call (a cold start), gives each call a
``LambdaContext`` and the function's Timeout, and discards an instance that timed out, failed
to load or exited, so that the next call starts cold. Instances run in this process
(``inprocess.InProcessInstance``, which swaps process-wide state around each call: loads and
calls are serialized across every ``Invoker`` of the process), or each in a sandbox process
of its own (``process.ProcessInstance``: no lock, calls of different instances in parallel);
``ISOLATION`` names the two kinds.

Each function has a pool of instances, numbered from 0: a caller that serves requests
concurrently (``serve --concurrency instances``) names the slot a call runs on; everyone
else uses slot 0.

A handler may call another function of the project synchronously (``lambda_calls``: boto3's
``lambda.invoke``; ``http_calls``; from a sandbox, the call comes back to this process): its
caller holds the lock and waits for it, so the nested call runs without taking the lock,
swapped in on top of the calling instance and swapped out before the caller goes on. The
running call is known through ``running.RUNNING``, which FastAPI's worker threads and tasks
inherit. A function that calls itself gets a spare
instance, as Lambda starts a second execution environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sam_fastapi.gateway import lambda_calls
from sam_fastapi.gateway.errors import GatewayError
from sam_fastapi.gateway.events import request_id
from sam_fastapi.gateway.function import FunctionSpec, function_reference, function_spec
from sam_fastapi.gateway.inprocess import InProcessInstance, InstanceThread
from sam_fastapi.gateway.instance import Instance
from sam_fastapi.gateway.process import ProcessInstance
from sam_fastapi.gateway.running import RUNNING, Running
from sam_fastapi.runtime.context import LambdaContext
from sam_fastapi.runtime.handler import MAX_RESPONSE_BYTES, Outcome, lambda_error, timeout_error
from sam_fastapi.template.model import Project

if TYPE_CHECKING:
    from sam_fastapi.gateway import Gateway

__all__ = ["INIT_TIMEOUT", "ISOLATION", "MAX_REQUEST_BYTES", "MAX_RESPONSE_BYTES", "GatewayError",
           "Invocation", "Invoker", "Pool", "ThreadLeftRunningWarning", "function_reference"]

#: Synchronous invocation request limit (6 MB).
MAX_REQUEST_BYTES = 6 * 1024 * 1024
#: Lambda's init phase limit. An init that overruns it is retried within the invoke phase, so
#: an import may take this plus the function's Timeout before the call fails.
INIT_TIMEOUT = 10.0
#: One load or call at a time in the process: sys.modules, os.environ and the cwd are shared.
_SWAP_LOCK = threading.Lock()

#: Starts an instance of a function.
class InstanceFactory(Protocol):
    """A kind of instance (``InProcessInstance``, ``process.ProcessInstance``): started with
    a function's spec; ``in_process`` says its instances share this process's state."""

    in_process: bool

    def __call__(self, spec: FunctionSpec) -> Instance: ...


#: The kinds of instance by the name ``serve --isolation`` and ``--sam-isolation`` give them:
#: a thread of this process with its state swapped in, or a sandbox process of its own.
ISOLATION: dict[str, InstanceFactory] = {"thread": InProcessInstance,
                                         "process": ProcessInstance}


class ThreadLeftRunningWarning(RuntimeWarning):
    """A thread a function started still runs after the call returned.

    Lambda freezes a sandbox between calls; in-process such a thread runs on outside the
    function's environment, reading the caller's (or another function's). What it writes to
    ``os.environ`` stays its function's (``environment``).
    """


@dataclass(frozen=True)
class Invocation:
    """What ``aws lambda invoke`` would tell about one call."""

    result: Any  # the handler's return value, as JSON would carry it (None if it failed)
    error: dict[str, Any] | None  # Lambda's error shape
    duration_ms: float
    cold: bool
    # False when the caller stopped waiting (``wait``) before the function finished.
    finished: bool = True
    # False when the function never got the event: its init failed or timed out.
    initialized: bool = True


class Pool:
    """The instances of one function, by slot; started when a call first needs one."""

    def __init__(self, spec: FunctionSpec, start: InstanceFactory) -> None:
        self.spec = spec
        self.start = start
        self.slots: dict[int, Instance] = {}

    def get(self, slot: int) -> Instance:
        instance = self.slots.get(slot)
        if instance is None:
            instance = self.slots[slot] = self.start(self.spec)
        return instance

    def spare(self) -> Instance:
        """An instance outside the slots, for one call; the caller stops it afterwards."""
        return self.start(self.spec)

    def discard(self, instance: Instance) -> None:
        for slot, held in list(self.slots.items()):
            if held is instance:
                del self.slots[slot]
        instance.stop()

    def stop(self) -> None:
        for instance in self.slots.values():
            instance.stop()
        self.slots.clear()


class Invoker:
    """Runs a project's functions, each in its own pool of isolated instances."""

    def __init__(self, project: Project, *, clock: Callable[[], float] = time.time,
                 region: str | None = None, gateway: Gateway | None = None,
                 start: InstanceFactory = InProcessInstance) -> None:
        self.project = project
        self.clock = clock
        self.region = (region or os.environ.get("AWS_REGION")
                       or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
        #: The gateway this invoker serves, seen by nested calls (``running.Running``).
        self.gateway = gateway
        self.start = start
        self._pools: dict[str, Pool] = {}
        self._pools_lock = threading.Lock()
        self._strays: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
        self.strays_reported = 0  # how many stray threads were ever reported
        # Here rather than at the first call: importing boto3 takes a while, and a function's
        # Timeout should not pay for it.
        lambda_calls.install()

    def invoke(self, logical_id: str, event: Any, *, fresh: bool = False,
               wait: float | None = None, slot: int = 0) -> Invocation:
        """Call a function with ``event`` as ``aws lambda invoke`` would (RequestResponse).

        The handler gets its own copy of the event, as decoded from JSON; ``fresh`` says the
        event was just built from plain JSON values for this call and needs no copy. ``wait``
        gives up on a call earlier than the function's Timeout (API Gateway's integration
        timeout): the invocation is then not ``finished`` and the instance is abandoned.
        ``slot`` picks the instance of the function's pool.
        """
        pool = self.pool(logical_id)
        small = fresh and len(event.get("body") or "") < MAX_REQUEST_BYTES // 2
        if not small:
            try:
                request = json.dumps(event, ensure_ascii=False)
            except (TypeError, ValueError) as exc:
                raise GatewayError(f"event for {logical_id} is not JSON: {exc}") from None
            if len(request.encode("utf-8")) > MAX_REQUEST_BYTES:
                return Invocation(None, lambda_error(
                    f"Request must be smaller than {MAX_REQUEST_BYTES} bytes for the "
                    "InvokeFunction operation", "RequestTooLargeException"), 0.0, False)
            event = json.loads(request)
        lambda_calls.install()
        running = RUNNING.get()
        if running is not None and running.instance.busy:
            # Called from a handler whose caller holds the lock and waits for it.
            return self._invoke_nested(pool, event)
        with _lock(pool.start):
            return self._invoke(pool, pool.get(slot), event, wait)

    def pool(self, logical_id: str) -> Pool:
        """The pool of a function; ``GatewayError`` for one that cannot run here."""
        pool = self._pools.get(logical_id)
        if pool is not None:
            return pool
        with self._pools_lock:
            pool = self._pools.get(logical_id)
            if pool is not None:
                return pool
            function = self.project.functions.get(logical_id)
            if function is None:
                known = ", ".join(self.project.functions) or "none"
                raise GatewayError(f"no function {logical_id!r} in the template "
                                   f"(functions: {known})")
            spec = function_spec(self.project, function, self.region, api_hosts=(
                self.gateway.api_hosts if self.gateway is not None else None))
            pool = self._pools[logical_id] = Pool(spec, self.start)
        return pool

    def cold_start(self, logical_id: str | None = None) -> None:
        """Forget loaded code: the next call of the function (of every one if None) is cold."""
        with _lock(self.start):
            ids = list(self._pools) if logical_id is None else [logical_id]
            for key in ids:
                pool = self._pools.get(key)
                if pool is not None:
                    pool.stop()

    def _invoke_nested(self, pool: Pool, event: Any) -> Invocation:
        instance = pool.get(0)
        if not instance.busy:
            return self._invoke(pool, instance, event, None)
        # The function is busy further up the call chain: a second environment serves.
        spare = pool.spare()
        try:
            return self._invoke(pool, spare, event, None)
        finally:
            spare.stop()

    def stray_threads(self) -> list[threading.Thread]:
        """Threads functions started that outlived their call and still run."""
        return [thread for thread in self._strays if thread.is_alive()]

    def _invoke(self, pool: Pool, instance: Instance, event: Any,
                wait: float | None) -> Invocation:
        if not isinstance(instance, InProcessInstance):
            return self._invoke_instance(pool, instance, event, wait)
        try:
            return self._invoke_instance(pool, instance, event, wait)
        finally:
            self._report_strays(instance)

    def _report_strays(self, instance: InProcessInstance) -> None:
        started, instance.started = instance.started, []
        for thread in started:
            if thread in self._strays or not _stray(thread):
                continue
            self._strays.add(thread)
            self.strays_reported += 1
            warnings.warn(ThreadLeftRunningWarning(
                f"{instance.spec.logical_id} started thread {thread.name!r}, which still runs "
                "after the call returned: it sees the environment of whatever runs next (Lambda "
                "would freeze it); join it before returning"), stacklevel=1)

    def _invoke_instance(self, pool: Pool, instance: Instance, event: Any,
                         wait: float | None) -> Invocation:
        spec = instance.spec
        aws_request_id = request_id()
        start = time.perf_counter()
        cold = not instance.loaded
        if cold:
            loaded = instance.init(INIT_TIMEOUT + spec.timeout)
            if not loaded.finished or loaded.error is not None:
                pool.discard(instance)
                error = loaded.error or timeout_error(aws_request_id,
                                                      time.perf_counter() - start)
                return Invocation(None, error, _ms_since(start), cold, initialized=False)
        context = self._context(instance, aws_request_id)
        call_start = time.perf_counter()
        limit = spec.timeout if wait is None else min(wait, spec.timeout)
        outcome = instance.call(event, context, limit, Running(self.gateway, self, instance))
        duration = _ms_since(call_start)
        if not outcome.finished:
            pool.discard(instance)
            if limit < spec.timeout:
                return Invocation(None, None, duration, cold, finished=False)
            return Invocation(None, timeout_error(aws_request_id, duration / 1000), duration,
                              cold)
        if _exited(outcome):
            pool.discard(instance)
        return Invocation(outcome.result, outcome.error, duration, cold)

    def _context(self, instance: Instance, aws_request_id: str) -> LambdaContext:
        spec = instance.spec
        return LambdaContext(
            function_name=spec.name,
            function_version="$LATEST",
            invoked_function_arn=spec.arn,
            memory_limit_in_mb=instance.environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
            aws_request_id=aws_request_id,
            log_group_name=instance.environment["AWS_LAMBDA_LOG_GROUP_NAME"],
            log_stream_name=instance.log_stream,
            deadline=self.clock() + spec.timeout,
            clock=self.clock,
        )


def _lock(start: InstanceFactory) -> contextlib.AbstractContextManager[Any]:
    """Instances in this process swap process-wide state: one load or call at a time.
    Sandbox processes share nothing: calls of different instances run in parallel."""
    return _SWAP_LOCK if start.in_process else contextlib.nullcontext()


def _stray(thread: threading.Thread) -> bool:
    """Whether a thread that outlived a call runs on its own rather than idling in a pool.

    An executor's workers (asyncio's, anyio's, which FastAPI runs ``def`` endpoints on) wait
    for the next job of a later call, as in Lambda.
    """
    if isinstance(thread, InstanceThread) or not thread.is_alive():
        return False
    if type(thread).__module__.startswith("anyio."):
        return False
    target = getattr(thread, "_target", None)  # Thread keeps it only there
    return getattr(target, "__module__", None) != "concurrent.futures.thread"


def _exited(outcome: Outcome) -> bool:
    """The instance is gone: the runtime exited (or was stopped past MemorySize)."""
    return outcome.error is not None and outcome.error.get("errorType") in (
        "Runtime.ExitError", "Runtime.OutOfMemory")


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000
