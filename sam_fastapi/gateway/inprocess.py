"""An instance that runs its function on a thread of this process, isolated by swapping.

The instance's modules are loaded from the function's code (its CodeUri and local layers).
Around every load and call they are swapped into ``sys.modules`` (hiding any other module of
the same top-level name: another function's, or the user's test code), its folders (and what
it added itself) go on the front of ``sys.path``, its environment variables (and the changes
it made itself, from whichever of its threads: ``environment``) into ``os.environ`` and the
working directory to its code folder; afterwards everything is put back. Modules from
anywhere else (fastapi, pydantic, mangum...) are shared and imported once per process.

The handler runs on the instance's own thread (Mangum keeps an event loop per thread), so the
caller gets control back at the time limit. A thread cannot be killed: a timed-out instance
is abandoned (its thread may run on, outside any swap). The threads a load or call started
that still run when it returns are the instance's (``started``, which the invoker reports).
What is swapped belongs to the whole process, so the invoker serializes loads and calls
across the process.
"""

from __future__ import annotations

import itertools
import os
import queue
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from sam_fastapi.gateway.environment import FunctionEnvironment, is_utc
from sam_fastapi.gateway.function import FunctionSpec
from sam_fastapi.gateway.running import RUNNING, Running
from sam_fastapi.runtime.context import LambdaContext
from sam_fastapi.runtime.handler import Outcome, call_handler, load_handler
from sam_fastapi.runtime.webadapter import AdapterHandler, load_web_app

_MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")
_HAS_TZSET = hasattr(time, "tzset")


def lambda_environment(spec: FunctionSpec, log_stream: str) -> dict[str, str]:
    """The variables Lambda sets for a function, beside the template's own."""
    return {
        **spec.environment,
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "LAMBDA_TASK_ROOT": spec.code_dir,
        "_HANDLER": spec.handler,
        # Lambda has no instance metadata service; without this, boto3 in a function
        # looks for credentials on 169.254.169.254 when the machine has none.
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def new_log_stream() -> str:
    return f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}"


class InstanceThread(threading.Thread):
    """The thread an instance's loads and calls run on (never a stray of the function's)."""


class InProcessInstance:
    """A function's execution environment on a thread of this process (see the module)."""

    in_process = True

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self.loaded = False
        self.busy = False
        self.modules: dict[str, ModuleType] = {}
        self.handler: Callable[[Any, Any], Any] | None = None
        self.top_names = _top_level_names(spec.paths)
        self.paths = list(spec.paths)  # sys.path entries while it runs, its own additions too
        self.foreign: list[str] = []
        self.seen_modules = -1
        self.log_stream = new_log_stream()
        self.environment = lambda_environment(spec, self.log_stream)
        self.env = FunctionEnvironment({"TZ": ":UTC", **self.environment})
        self.inbox: queue.SimpleQueue[Callable[[], Any] | None] = queue.SimpleQueue()
        self.outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        #: Threads its loads and calls started that still ran when they returned.
        self.started: list[threading.Thread] = []
        self.thread = InstanceThread(target=self._serve, name=f"lambda:{spec.logical_id}",
                                     daemon=True)
        self.env.claim(self.thread)
        self.thread.start()

    def init(self, timeout: float) -> Outcome:
        with _Inside(self):
            done, error = self._run(self._load, timeout)
        if not done:
            _abandon_imports(self)
            return Outcome(False)
        self.loaded = error is None
        return Outcome(True, None, error)

    def call(self, event: Any, context: LambdaContext, timeout: float,
             running: Running) -> Outcome:
        def job() -> Outcome:
            token = RUNNING.set(running)
            try:
                return self._call(event, context)
            finally:
                RUNNING.reset(token)

        with _Inside(self):
            done, outcome = self._run(job, timeout)
        return outcome if done else Outcome(False)

    def stop(self) -> None:
        self.inbox.put(None)
        self.env.close()

    def _serve(self) -> None:
        # Lambda runs the handler on the main thread, where asyncio.get_event_loop() finds a
        # loop; Mangum before 0.20 counts on that ("There is no current event loop in thread").
        import asyncio  # here, not at start-up: the function's first call imports it anyway

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            while True:
                job = self.inbox.get()
                if job is None:
                    if isinstance(self.handler, AdapterHandler):
                        self.handler.close()  # the app's lifespan ends, as on SIGTERM
                    return
                try:
                    self.outbox.put(job())
                except BaseException as exc:  # jobs report user errors; this is our own bug
                    self.outbox.put(exc)
                    raise
        finally:
            asyncio.set_event_loop(None)
            if not loop.is_running():
                loop.close()

    def _run(self, job: Callable[[], Any], timeout: float) -> tuple[bool, Any]:
        """Run ``job`` on the instance's thread: (finished, its result)."""
        self.busy = True
        self.inbox.put(job)
        try:
            outcome = self.outbox.get(timeout=timeout)
        except queue.Empty:
            return False, None
        finally:
            self.busy = False
        if isinstance(outcome, BaseException):
            raise outcome
        return True, outcome

    def _load(self) -> dict[str, Any] | None:
        """Import the handler as the Python runtime does (or start the app as the Web Adapter
        does); Lambda's init error shape on failure."""
        if self.spec.web_app is not None:
            self.handler, error = load_web_app(self.spec.web_app)
        else:
            self.handler, error = load_handler(self.spec.handler)
        return error

    def _call(self, event: Any, context: LambdaContext) -> Outcome:
        assert self.handler is not None
        return call_handler(self.handler, event, context)


def _abandon_imports(instance: InProcessInstance) -> None:
    """Forget the import locks of an import that never finished.

    The stuck thread keeps holding them: without this, the next import of the same names (the
    function cold again, or any other function whose package is also ``app``) would wait on
    it forever, and every later invocation of the session would time out.
    """
    import _imp
    from importlib import _bootstrap  # the module locks have no public API

    _imp.acquire_lock()
    try:
        for name in list(_bootstrap._module_locks):
            if name.partition(".")[0] in instance.top_names:
                del _bootstrap._module_locks[name]
    finally:
        _imp.release_lock()


class _Inside:
    """Swap an instance's modules, path, environment and working directory in, then out."""

    def __init__(self, instance: InProcessInstance) -> None:
        self.instance = instance

    def __enter__(self) -> None:
        instance = self.instance
        trace = f"Root=1-{int(time.time()):08x}-{random.getrandbits(96):024x};Sampled=0"
        self.entered = instance.env.enter(trace)
        # localtime() only follows TZ after tzset(), which reads a zone file: skipped when
        # the function's zone and the caller's local time both are UTC.
        self.retime = _HAS_TZSET and self.entered.tz_changed and not (
            is_utc(self.entered.tz) and (time.timezone, time.altzone, time.daylight) == (0, 0, 0))
        if self.retime:
            time.tzset()
        self.saved_path = sys.path[:]
        sys.path[0:0] = instance.paths
        self.saved_cwd = _getcwd()
        os.chdir(instance.spec.code_dir)
        modules = sys.modules
        if len(modules) != instance.seen_modules:
            names = instance.top_names
            instance.foreign = [n for n in modules if n.partition(".")[0] in names]
        self.hidden = {n: modules.pop(n) for n in instance.foreign if n in modules}
        modules.update(instance.modules)
        self.mark = len(modules)

    def __exit__(self, *exc_info: object) -> None:
        instance = self.instance
        modules = sys.modules
        added = len(modules) - self.mark
        if added > 0:
            for name in list(itertools.islice(reversed(modules), added)):
                if _owned(modules[name], instance.spec.owned, instance.spec.shared):
                    instance.modules[name] = modules[name]
        for name in instance.modules:
            modules.pop(name, None)
        modules.update(self.hidden)
        instance.seen_modules = len(modules)
        if self.saved_cwd is not None:
            os.chdir(self.saved_cwd)
        # What the function put on sys.path stays its own, for its next calls.
        if sys.path[len(instance.paths):] != self.saved_path:
            before = set(self.saved_path)
            added = [p for p in sys.path if p not in before]
            instance.paths = list(dict.fromkeys([*added, *instance.spec.paths]))
        sys.path[:] = self.saved_path
        # What the function did to its environment stays its own, for its next calls.
        tz_set_itself = _HAS_TZSET and instance.env.current_tz() != self.entered.tz
        instance.started += instance.env.leave(self.entered)
        if self.retime or tz_set_itself:
            time.tzset()


def _owned(module: ModuleType, owned: tuple[str, ...], shared: tuple[str, ...]) -> bool:
    location = getattr(module, "__file__", None)
    if location is None:
        search = getattr(module, "__path__", None)
        location = next(iter(search), None) if search is not None else None
    if not isinstance(location, str) or not location.startswith(owned):
        return False
    return not (shared and location.startswith(shared))


def _top_level_names(paths: tuple[str, ...]) -> frozenset[str]:
    names = set()
    for folder in paths:
        for entry in _scandir(folder):
            if entry.is_dir():
                if entry.name.isidentifier():
                    names.add(entry.name)
            elif entry.name.endswith(_MODULE_SUFFIXES):
                names.add(entry.name.partition(".")[0])
    return frozenset(names)


def _scandir(folder: str) -> Iterator[os.DirEntry[str]]:
    try:
        yield from os.scandir(folder)
    except OSError:
        return


def _getcwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:
        return None
