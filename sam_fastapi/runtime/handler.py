"""What Lambda's Python runtime does with a handler: import it, call it, marshal the result,
and the error objects it reports. Shared by every kind of instance, in this process or in a
sandbox process (``worker``), which imports nothing of the gateway.
"""

from __future__ import annotations

import datetime
import decimal
import importlib
import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sam_fastapi.runtime.context import LambdaContext

#: Lambda's synchronous response limit; the number is the one Lambda's error message states.
MAX_RESPONSE_BYTES = 6291556


@dataclass(frozen=True)
class Outcome:
    """How one phase (init or call) of an instance ended."""

    finished: bool  # False: the time limit passed first (the instance is then unusable)
    result: Any = None  # the call's result as JSON would carry it
    error: dict[str, Any] | None = None  # Lambda's error object


Handler = Callable[[Any, Any], Any]


def load_handler(handler: str) -> tuple[Handler | None, dict[str, Any] | None]:
    """Import the handler as the Python runtime does: the function, or Lambda's init error."""
    module_name, _, attribute = handler.rpartition(".")
    if not module_name:
        return None, lambda_error(f"Bad handler '{handler}': not enough values to unpack "
                                  "(expected 2, got 1)", "Runtime.MalformedHandlerName")
    module_name = module_name.replace("/", ".")
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return None, lambda_error(f"Unable to import module '{module_name}': {exc}",
                                  "Runtime.ImportModuleError")
    except SyntaxError as exc:
        return None, lambda_error(
            f"Syntax error in module '{module_name}': {exc}", "Runtime.UserCodeSyntaxError",
            [f' File "{exc.filename}" Line {exc.lineno}\n    {exc.text}'])
    except BaseException as exc:  # whatever user code raises while being imported
        return None, exception_error(exc, hide=__file__)
    function = getattr(module, attribute, None)
    if not callable(function):
        return None, lambda_error(f"Handler '{attribute}' missing on module '{module_name}'",
                                  "Runtime.HandlerNotFound")
    return function, None


def call_handler(handler: Handler, event: Any, context: LambdaContext) -> Outcome:
    """One call as the runtime makes it: the result marshalled, or Lambda's error object."""
    request_id = context.aws_request_id
    try:
        result = handler(event, context)
    except SystemExit as exc:
        return Outcome(True, None, lambda_error(
            f"RequestId: {request_id} Error: Runtime exited with error: exit status "
            f"{exc.code}", "Runtime.ExitError"))
    except BaseException as exc:  # the function failed: Lambda reports, it does not crash
        error = exception_error(exc, hide=__file__)
        error["requestId"] = request_id
        return Outcome(True, None, error)
    return marshal(result, request_id)


def lambda_error(message: str, error_type: str, trace: list[str] | None = None, *,
                 request_id: str | None = None) -> dict[str, Any]:
    """Lambda's error object: ``errorMessage``, ``errorType``, [``requestId``], ``stackTrace``."""
    error: dict[str, Any] = {"errorMessage": message, "errorType": error_type}
    if request_id is not None:
        error["requestId"] = request_id
    error["stackTrace"] = trace or []
    return error


def exception_error(exc: BaseException, *, hide: str | None = None) -> dict[str, Any]:
    """The error object of an exception the handler raised; frames of ``hide`` left out."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != hide]
    return lambda_error(str(exc), type(exc).__name__, traceback.format_list(frames))


def timeout_error(request_id: str, seconds: float) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    return {"errorMessage": f"{now}Z {request_id} Task timed out after {seconds:.2f} seconds",
            "errorType": "Sandbox.Timedout"}


def marshal(result: Any, request_id: str) -> Outcome:
    """The result as the runtime sends it back: JSON (Decimal as numbers), within 6 MB."""
    try:
        payload = _RESULT_ENCODER.encode(result)
    except (TypeError, ValueError) as exc:
        return Outcome(True, None, lambda_error(f"Unable to marshal response: {exc}",
                                                "Runtime.MarshalError", request_id=request_id))
    if len(payload.encode("utf-8")) > MAX_RESPONSE_BYTES:
        return Outcome(True, None, lambda_error(
            "Response payload size exceeded maximum allowed payload size "
            f"({MAX_RESPONSE_BYTES} bytes).", "Function.ResponseSizeTooLarge"))
    return Outcome(True, json.loads(payload))


def _json_default(value: Any) -> Any:
    # The runtime marshals with simplejson, which writes Decimal (DynamoDB's numbers) as numbers.
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: How the runtime marshals a result; made once, as ``json.dumps(default=...)`` makes one a call.
_RESULT_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_default)
