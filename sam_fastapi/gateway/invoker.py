"""Load and call Python handlers in-process, each function isolated as if in its own Lambda.

An *instance* is one execution environment of a function: a worker thread, the modules loaded
from the function's code (its CodeUri and local layers) and the loaded handler. Around every
load and call the instance's modules are swapped into ``sys.modules`` (hiding any other module
of the same top-level name: another function's, or the user's test code), its folders (and what
it added itself) go on the front of ``sys.path``, its environment variables (and the changes it
made itself) into ``os.environ`` and the working directory to its code folder; afterwards
everything is put back. Modules from anywhere else (fastapi, pydantic, mangum...) are shared
and imported once per process.

The handler runs on the instance's own thread (Mangum keeps an event loop per thread), so the
caller gets control back at the function's Timeout. A thread cannot be killed: a timed-out
instance is abandoned (its thread may run on, outside any swap) and the next call is a cold
start in a fresh set of modules. What is swapped belongs to the whole process, so calls are
serialized across every ``Invoker`` of the process.

A handler may call another function of the project synchronously (``lambda_calls``: boto3's
``lambda.invoke``): its caller holds the lock and waits for it, so the nested call runs
without taking the lock, swapped in on top of the calling instance and swapped out before
the caller goes on. The running call is known through a context variable, which FastAPI's
worker threads and tasks inherit. A function that calls itself gets a second instance, as
Lambda starts a second execution environment.
"""

from __future__ import annotations

import contextvars
import datetime
import decimal
import importlib
import itertools
import json
import os
import queue
import random
import sys
import sysconfig
import threading
import time
import traceback
import uuid
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sam_fastapi.gateway.context import LambdaContext
from sam_fastapi.gateway.environment import FunctionEnvironment, is_utc
from sam_fastapi.gateway.events import ACCOUNT_ID, request_id
from sam_fastapi.template.model import Function, Intrinsic, Project

#: Lambda's synchronous response limit; the number is the one Lambda's error message states.
MAX_RESPONSE_BYTES = 6291556
#: Synchronous invocation request limit (6 MB).
MAX_REQUEST_BYTES = 6 * 1024 * 1024
#: Lambda's init phase limit. An init that overruns it is retried within the invoke phase, so
#: an import may take this plus the function's Timeout before the call fails.
INIT_TIMEOUT = 10.0
_MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")
_HAS_TZSET = hasattr(time, "tzset")
#: One load or call at a time in the process: sys.modules, os.environ and the cwd are shared.
_SWAP_LOCK = threading.Lock()
#: The invoker and instance whose handler runs in this context (thread, task, worker thread).
_RUNNING: contextvars.ContextVar[tuple[Invoker, _Instance] | None] = contextvars.ContextVar(
    "sam_fastapi_running", default=None)


class GatewayError(Exception):
    """A function cannot be run in-process at all (unknown, code not local, not Python...)."""


class ThreadLeftRunningWarning(RuntimeWarning):
    """A thread a function started still runs after the call returned.

    Lambda freezes a sandbox between calls; in-process such a thread runs on outside the
    function's environment, reading and writing the caller's (or another function's).
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


@dataclass(frozen=True)
class _Spec:
    """Everything needed to start an instance of a function, computed once."""

    logical_id: str
    name: str
    handler: str
    code_dir: str
    paths: tuple[str, ...]  # go on the front of sys.path
    owned: tuple[str, ...]  # folder prefixes whose modules belong to the function
    shared: tuple[str, ...]  # folders inside those whose modules do not (a venv in the project)
    environment: Mapping[str, str]
    timeout: float
    memory_size: int
    runtime: str


class _Instance:
    def __init__(self, spec: _Spec, region: str) -> None:
        self.spec = spec
        self.modules: dict[str, ModuleType] = {}
        self.handler: Callable[[Any, Any], Any] | None = None
        self.top_names = _top_level_names(spec.paths)
        self.paths = list(spec.paths)  # sys.path entries while it runs, its own additions too
        self.foreign: list[str] = []
        self.seen_modules = -1
        self.waited_on = False  # a caller is blocked on this instance's current job
        stream = f"{time.strftime('%Y/%m/%d', time.gmtime())}/[$LATEST]{uuid.uuid4().hex}"
        self.log_stream = stream
        self.arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{spec.name}"
        self.environment = {
            **spec.environment,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": spec.code_dir,
            "_HANDLER": spec.handler,
            # Lambda has no instance metadata service; without this, boto3 in a function
            # looks for credentials on 169.254.169.254 when the machine has none.
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        self.env = FunctionEnvironment({"TZ": ":UTC", **self.environment})
        self.inbox: queue.SimpleQueue[Callable[[], Any] | None] = queue.SimpleQueue()
        self.outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.thread = _InstanceThread(target=self._serve, name=f"lambda:{spec.logical_id}",
                                      daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            job = self.inbox.get()
            if job is None:
                return
            try:
                self.outbox.put(job())
            except BaseException as exc:  # jobs report user errors; this is our own bug
                self.outbox.put(exc)
                raise

    def run(self, job: Callable[[], Any], timeout: float) -> tuple[bool, Any]:
        """Run ``job`` on the instance's thread: (finished, its result)."""
        self.waited_on = True
        self.inbox.put(job)
        try:
            outcome = self.outbox.get(timeout=timeout)
        except queue.Empty:
            return False, None
        finally:
            self.waited_on = False
        if isinstance(outcome, BaseException):
            raise outcome
        return True, outcome

    def stop(self) -> None:
        self.inbox.put(None)

    def load(self) -> dict[str, Any] | None:
        """Import the handler as the Python runtime does; Lambda's init error shape on failure."""
        handler = self.spec.handler
        module_name, _, attribute = handler.rpartition(".")
        if not module_name:
            return _error(f"Bad handler '{handler}': not enough values to unpack "
                          "(expected 2, got 1)", "Runtime.MalformedHandlerName")
        module_name = module_name.replace("/", ".")
        importlib.invalidate_caches()
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            return _error(f"Unable to import module '{module_name}': {exc}",
                          "Runtime.ImportModuleError")
        except SyntaxError as exc:
            return _error(f"Syntax error in module '{module_name}': {exc}",
                          "Runtime.UserCodeSyntaxError",
                          [f' File "{exc.filename}" Line {exc.lineno}\n    {exc.text}'])
        except BaseException as exc:  # whatever user code raises while being imported
            return _exception_error(exc)
        function = getattr(module, attribute, None)
        if not callable(function):
            return _error(f"Handler '{attribute}' missing on module '{module_name}'",
                          "Runtime.HandlerNotFound")
        self.handler = function
        return None

    def call(self, event: Any, context: LambdaContext) -> tuple[Any, dict[str, Any] | None]:
        assert self.handler is not None
        try:
            result = self.handler(event, context)
        except SystemExit as exc:
            return None, _error(f"RequestId: {context.aws_request_id} Error: Runtime exited "
                                f"with error: exit status {exc.code}", "Runtime.ExitError")
        except BaseException as exc:  # the function failed: Lambda reports, it does not crash
            error = _exception_error(exc)
            error["requestId"] = context.aws_request_id
            return None, error
        try:
            payload = _RESULT_ENCODER.encode(result)
        except (TypeError, ValueError) as exc:
            return None, _error(f"Unable to marshal response: {exc}", "Runtime.MarshalError",
                                request_id=context.aws_request_id)
        if len(payload.encode("utf-8")) > MAX_RESPONSE_BYTES:
            return None, _error("Response payload size exceeded maximum allowed payload size "
                                f"({MAX_RESPONSE_BYTES} bytes).", "Function.ResponseSizeTooLarge")
        return json.loads(payload), None


class Invoker:
    """Runs a project's functions in this process, one isolated instance per function."""

    def __init__(self, project: Project, *, clock: Callable[[], float] = time.time,
                 region: str | None = None) -> None:
        self.project = project
        self.clock = clock
        self.region = (region or os.environ.get("AWS_REGION")
                       or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
        self._specs: dict[str, _Spec] = {}
        self._instances: dict[str, _Instance] = {}
        self._lock = _SWAP_LOCK
        self._strays: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
        self.strays_reported = 0  # how many stray threads were ever reported
        # Here rather than at the first call: importing boto3 takes a while, and a function's
        # Timeout should not pay for it.
        _install_call_hooks()

    def invoke(self, logical_id: str, event: Any, *, fresh: bool = False,
               wait: float | None = None) -> Invocation:
        """Call a function with ``event`` as ``aws lambda invoke`` would (RequestResponse).

        The handler gets its own copy of the event, as decoded from JSON; ``fresh`` says the
        event was just built from plain JSON values for this call and needs no copy. ``wait``
        gives up on a call earlier than the function's Timeout (API Gateway's integration
        timeout): the invocation is then not ``finished`` and the instance is abandoned.
        """
        spec = self._spec(logical_id)
        small = fresh and len(event.get("body") or "") < MAX_REQUEST_BYTES // 2
        if not small:
            try:
                request = json.dumps(event, ensure_ascii=False)
            except (TypeError, ValueError) as exc:
                raise GatewayError(f"event for {logical_id} is not JSON: {exc}") from None
            if len(request.encode("utf-8")) > MAX_REQUEST_BYTES:
                return Invocation(None, _error(
                    f"Request must be smaller than {MAX_REQUEST_BYTES} bytes for the "
                    "InvokeFunction operation", "RequestTooLargeException"), 0.0, False)
            event = json.loads(request)
        _install_call_hooks()
        running = _RUNNING.get()
        if running is not None and running[1].waited_on:
            # Called from a handler whose caller holds the lock and waits for it.
            return self._invoke_nested(spec, event)
        with self._lock:
            instance = self._instances.get(logical_id)
            cold = instance is None
            if instance is None:
                instance = self._instances[logical_id] = _Instance(spec, self.region)
            return self._invoke(instance, event, cold, wait)

    def _invoke_nested(self, spec: _Spec, event: Any) -> Invocation:
        instance = self._instances.get(spec.logical_id)
        if instance is not None and instance.waited_on:
            # The function is busy further up the call chain: a second environment serves.
            spare = _Instance(spec, self.region)
            try:
                return self._invoke(spare, event, True, None)
            finally:
                spare.stop()
        cold = instance is None
        if instance is None:
            instance = self._instances[spec.logical_id] = _Instance(spec, self.region)
        return self._invoke(instance, event, cold, None)

    def cold_start(self, logical_id: str | None = None) -> None:
        """Forget loaded code: the next call of the function (of every one if None) is cold."""
        with self._lock:
            ids = list(self._instances) if logical_id is None else [logical_id]
            for key in ids:
                instance = self._instances.pop(key, None)
                if instance is not None:
                    instance.stop()

    def stray_threads(self) -> list[threading.Thread]:
        """Threads functions started that outlived their call and still run."""
        return [thread for thread in self._strays if thread.is_alive()]

    def _invoke(self, instance: _Instance, event: Any, cold: bool,
                wait: float | None) -> Invocation:
        before = set(threading.enumerate())
        try:
            return self._invoke_instance(instance, event, cold, wait)
        finally:
            self._report_strays(instance, before)

    def _report_strays(self, instance: _Instance, before: set[threading.Thread]) -> None:
        for thread in threading.enumerate():
            if thread in before or thread in self._strays or not _stray(thread):
                continue
            self._strays.add(thread)
            self.strays_reported += 1
            warnings.warn(ThreadLeftRunningWarning(
                f"{instance.spec.logical_id} started thread {thread.name!r}, which still runs "
                "after the call returned: it sees and changes the environment of whatever runs "
                "next (Lambda would freeze it); join it before returning"), stacklevel=1)

    def _invoke_instance(self, instance: _Instance, event: Any, cold: bool,
                         wait: float | None) -> Invocation:
        spec = instance.spec
        aws_request_id = request_id()
        start = time.perf_counter()
        with _Inside(instance):
            if cold:
                done, error = instance.run(instance.load, INIT_TIMEOUT + spec.timeout)
                if not done or error is not None:
                    self._discard(instance)
                    if not done:
                        _abandon_imports(instance)
                    error = error or _timeout_error(aws_request_id, time.perf_counter() - start)
                    return Invocation(None, error, _ms_since(start), cold)
            context = self._context(instance, aws_request_id)
            call_start = time.perf_counter()
            limit = spec.timeout if wait is None else min(wait, spec.timeout)
            done, outcome = instance.run(self._running(instance, event, context), limit)
        duration = _ms_since(call_start)
        if not done:
            self._discard(instance)
            if limit < spec.timeout:
                return Invocation(None, None, duration, cold, finished=False)
            error = _timeout_error(aws_request_id, duration / 1000)
            return Invocation(None, error, duration, cold)
        result, error = outcome
        if error is not None and error.get("errorType") == "Runtime.ExitError":
            self._discard(instance)
        return Invocation(result, error, duration, cold)

    def _running(self, instance: _Instance, event: Any,
                 context: LambdaContext) -> Callable[[], Any]:
        def job() -> Any:
            token = _RUNNING.set((self, instance))
            try:
                return instance.call(event, context)
            finally:
                _RUNNING.reset(token)

        return job

    def _discard(self, instance: _Instance) -> None:
        if self._instances.get(instance.spec.logical_id) is instance:
            del self._instances[instance.spec.logical_id]
        instance.stop()

    def _context(self, instance: _Instance, aws_request_id: str) -> LambdaContext:
        spec = instance.spec
        return LambdaContext(
            function_name=spec.name,
            function_version="$LATEST",
            invoked_function_arn=instance.arn,
            memory_limit_in_mb=instance.environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
            aws_request_id=aws_request_id,
            log_group_name=instance.environment["AWS_LAMBDA_LOG_GROUP_NAME"],
            log_stream_name=instance.log_stream,
            deadline=self.clock() + spec.timeout,
            clock=self.clock,
        )

    def _spec(self, logical_id: str) -> _Spec:
        spec = self._specs.get(logical_id)
        if spec is None:
            function = self.project.functions.get(logical_id)
            if function is None:
                known = ", ".join(self.project.functions) or "none"
                raise GatewayError(f"no function {logical_id!r} in the template "
                                   f"(functions: {known})")
            spec = self._specs[logical_id] = _make_spec(self.project, function, self.region)
        return spec


def running_invoker() -> Invoker | None:
    """The invoker whose handler runs in this context while its caller waits, if any."""
    running = _RUNNING.get()
    return running[0] if running is not None and running[1].waited_on else None


def _install_call_hooks() -> None:
    global _install
    if _install is None:
        # Late import: lambda_calls reads this module.
        from sam_fastapi.gateway.lambda_calls import install

        _install = install
    _install()


_install: Callable[[], None] | None = None


def function_reference(project: Project, value: Any, region: str) -> Any:
    """``!Ref Fn`` as the function's name and ``!GetAtt Fn.Arn`` as its ARN, for a function
    of the template (what a handler needs to call another); anything else unchanged."""
    if not isinstance(value, Intrinsic):
        return value
    argument = value.argument
    if value.function == "Fn::GetAtt":
        parts = argument if isinstance(argument, list) else str(argument).split(".", 1)
        if len(parts) != 2 or parts[1] != "Arn":
            return value
        argument = parts[0]
    elif value.function != "Ref":
        return value
    function = project.functions.get(argument) if isinstance(argument, str) else None
    if function is None:
        return value
    name = function.function_name if isinstance(function.function_name, str) else argument
    if value.function == "Ref":
        return name
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


def _make_spec(project: Project, function: Function, region: str) -> _Spec:
    name = function.logical_id
    if function.package_type != "Zip":
        raise GatewayError(f"{name}: PackageType {function.package_type} cannot run in-process")
    if not function.is_python:
        raise GatewayError(f"{name}: Runtime {function.runtime!r} is not a Python runtime")
    if not isinstance(function.handler, str) or not function.handler:
        raise GatewayError(f"{name}: Handler must be a string such as app.main.handler")
    code_dir = function.code_dir
    if code_dir is None or not code_dir.is_dir():
        where = getattr(function.code_uri, "uri", function.code_uri)
        raise GatewayError(f"{name}: CodeUri {where} is not a local folder")
    code = str(code_dir.resolve())
    paths = [code]
    owned = [code]
    for layer in project.function_layers(function):
        folder = layer.content_dir
        if folder is None or not folder.is_dir():
            continue
        folder = folder.resolve()
        owned.append(str(folder))
        site = folder / "python" / "lib" / f"python3.{sys.version_info[1]}" / "site-packages"
        paths.extend(str(p) for p in (site, folder / "python", folder) if p.is_dir())
    environment = {}
    for key, value in function.environment.items():
        value = function_reference(project, value, region)
        if isinstance(value, Intrinsic | dict | list):
            warnings.warn(f"{name}: environment variable {key} is {value}, which cannot be "
                          "resolved locally; it is left unset", stacklevel=4)
            continue
        environment[key] = _env_string(value)
    return _Spec(
        logical_id=name,
        name=function.function_name if isinstance(function.function_name, str) else name,
        handler=function.handler,
        code_dir=code,
        paths=tuple(dict.fromkeys(paths)),
        owned=tuple(_prefix(p) for p in owned),
        shared=_shared_inside(owned, paths),
        environment=environment,
        timeout=float(function.timeout),
        memory_size=function.memory_size,
        runtime=str(function.runtime),
    )


def _abandon_imports(instance: _Instance) -> None:
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


class _InstanceThread(threading.Thread):
    """The thread an instance's loads and calls run on."""


def _stray(thread: threading.Thread) -> bool:
    """Whether a thread that outlived a call runs on its own rather than idling in a pool.

    An executor's workers (asyncio's, anyio's, which FastAPI runs ``def`` endpoints on) wait
    for the next job of a later call, as in Lambda.
    """
    if isinstance(thread, _InstanceThread) or not thread.is_alive():
        return False
    if type(thread).__module__.startswith("anyio."):
        return False
    target = getattr(thread, "_target", None)  # Thread keeps it only there
    return getattr(target, "__module__", None) != "concurrent.futures.thread"


class _Inside:
    """Swap an instance's modules, path, environment and working directory in, then out."""

    def __init__(self, instance: _Instance) -> None:
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
        instance.env.leave(self.entered)
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


def _shared_inside(owned: list[str], paths: list[str]) -> tuple[str, ...]:
    """Import folders of this process that lie inside the function's folders.

    With ``CodeUri: .`` the project's virtualenv (or a vendored folder on ``sys.path``) is
    under the code folder; what is imported from there is third-party code, shared.
    """
    candidates = {*sys.path, *(sysconfig.get_paths().get(k) for k in ("purelib", "platlib"))}
    inside = []
    for entry in candidates:
        if not entry:
            continue
        folder = os.path.realpath(entry)
        if folder not in paths and _prefix(folder).startswith(tuple(map(_prefix, owned))):
            inside.append(_prefix(folder))
    return tuple(sorted(inside))


def _prefix(folder: str) -> str:
    return folder.rstrip(os.sep) + os.sep


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


def _env_string(value: Any) -> str:
    # CloudFormation turns booleans into "true"/"false" and numbers into their text.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_default(value: Any) -> Any:
    # The runtime marshals with simplejson, which writes Decimal (DynamoDB's numbers) as numbers.
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: How the runtime marshals a result; made once, as ``json.dumps(default=...)`` makes one a call.
_RESULT_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_default)


def _error(message: str, error_type: str, trace: list[str] | None = None, *,
           request_id: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"errorMessage": message, "errorType": error_type}
    if request_id is not None:
        error["requestId"] = request_id
    error["stackTrace"] = trace or []
    return error


def _exception_error(exc: BaseException) -> dict[str, Any]:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    return _error(str(exc), type(exc).__name__, traceback.format_list(frames))


def _timeout_error(request_id: str, seconds: float) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return {"errorMessage": f"{now}Z {request_id} Task timed out after {seconds:.2f} seconds",
            "errorType": "Sandbox.Timedout"}


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000

