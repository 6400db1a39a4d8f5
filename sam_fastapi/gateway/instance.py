"""One execution environment of a function, whatever runs it: the contract with the invoker.

The ``Invoker`` keeps a pool of instances per function and drives each through ``init`` (load
the handler: Lambda's init phase) and ``call`` (one invocation), and ``stop``s the ones it
discards (a timeout, a failed init, an exit). How an instance isolates the function is its
own business: ``inprocess.InProcessInstance`` runs it on a thread of this process with its
modules, path, environment and working directory swapped in.

Lambda's error objects (``lambda_error`` and friends) and the runtime's marshalling of a
result (``marshal``) are here, the same for every kind of instance.
"""

from __future__ import annotations

import datetime
import decimal
import json
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sam_fastapi.gateway.context import LambdaContext
    from sam_fastapi.gateway.function import FunctionSpec
    from sam_fastapi.gateway.running import Running

#: Lambda's synchronous response limit; the number is the one Lambda's error message states.
MAX_RESPONSE_BYTES = 6291556


@dataclass(frozen=True)
class Outcome:
    """How one phase (init or call) of an instance ended."""

    finished: bool  # False: the time limit passed first (the instance is then unusable)
    result: Any = None  # the call's result as JSON would carry it
    error: dict[str, Any] | None = None  # Lambda's error object


class Instance(Protocol):
    """One execution environment of one function."""

    spec: FunctionSpec
    #: The init phase succeeded: calls go straight to the handler.
    loaded: bool
    #: A caller is blocked on this instance's current phase (its handler may call others).
    busy: bool
    log_stream: str
    #: The variables the function sees beside its own (AWS_LAMBDA_*, AWS_REGION...).
    environment: dict[str, str]

    def init(self, timeout: float) -> Outcome:
        """Load the handler as the runtime does; Lambda's init error in ``error``."""
        ...

    def call(self, event: Any, context: LambdaContext, timeout: float,
             running: Running) -> Outcome:
        """Run the handler on ``event``; ``running`` is what nested calls from it see."""
        ...

    def stop(self) -> None:
        """Release the instance's resources; it is not called again."""
        ...


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
