"""A handler's ``boto3.client("lambda").invoke(...)`` of a template function, run in-process.

Two handlers on botocore's event system of boto3's default session (clients made from it copy
them): ``before-parameter-build.lambda.Invoke`` keeps the call's parameters, and
``before-call.lambda.Invoke`` answers the call itself when it comes from a handler the
gateway is running (``running.waiting_caller``) and names a function of the template: by name
(``FunctionName``, else the logical id), partial or full ARN in the gateway's region and
account. Anything else goes on to AWS as usual, so a call to a function outside the template
fails as it would (``NoCredentialsError`` in a test run without credentials) and never
silently succeeds. Nothing is installed when boto3 is not importable.

The answer has Lambda's shape (§7): ``StatusCode`` 200 with the result as ``Payload`` (a
``StreamingBody``), or the error object and ``FunctionError: "Unhandled"``; ``Event``
invocations answer 202 with an empty payload (the function runs to completion first: tests
see its effects at once; Lambda's retries of failed async calls are not modelled);
``DryRun`` answers 204 without running anything. ``Qualifier`` other than ``$LATEST`` runs
the same code (there are no versions in-process).
"""

from __future__ import annotations

import importlib.util
import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sam_fastapi.gateway.events import ACCOUNT_ID
from sam_fastapi.gateway.running import waiting_caller

if TYPE_CHECKING:
    from sam_fastapi.gateway.invoker import Invoker

_PARAMS = "sam_fastapi.invoke_params"
_installed_on: Any = None
_boto3: Any = None  # the module, once imported; False: not importable


def install() -> None:
    """Register the handlers on boto3's default session (made if needed), once per session.

    Called before every invocation (a test may have replaced the default session), so the
    common case, nothing to do, is two lookups.
    """
    global _installed_on, _boto3
    boto3 = _boto3
    if boto3 is None:
        boto3 = _boto3 = (importlib.import_module("boto3")
                          if importlib.util.find_spec("boto3") is not None else False)
    if boto3 is False or (boto3.DEFAULT_SESSION is _installed_on is not None):
        return
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    if session is _installed_on:
        return
    events = session.events
    events.register("before-parameter-build.lambda.Invoke", _keep_params,
                    unique_id="sam_fastapi.keep_params")
    events.register("before-call.lambda.Invoke", _answer, unique_id="sam_fastapi.answer")
    _installed_on = session


def resolve(invoker: Invoker, function_name: str) -> str | None:
    """The logical id of the template function ``function_name`` names, if any."""
    name = function_name
    if name.startswith("arn:"):
        parts = name.split(":")
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
            return None
        if parts[3] != invoker.region or parts[4] != ACCOUNT_ID:
            return None
        name = parts[6]
    elif ":function:" in name:
        account, _, rest = name.partition(":function:")
        if account != ACCOUNT_ID:
            return None
        name = rest.split(":")[0]
    else:
        name = name.split(":")[0]  # name:qualifier
    for logical_id, function in invoker.project.functions.items():
        deployed = function.function_name if isinstance(function.function_name, str) \
            else logical_id
        if deployed == name:
            return logical_id
    return None


def _keep_params(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = dict(params)


def _answer(context: Mapping[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
    running = waiting_caller()
    params = context.get(_PARAMS)
    if running is None or params is None:
        return None
    invoker = running.invoker
    logical_id = resolve(invoker, str(params.get("FunctionName", "")))
    if logical_id is None:
        return None
    kind = params.get("InvocationType") or "RequestResponse"
    try:
        event = _payload(params.get("Payload"))
    except ValueError as exc:
        return _error(400, "InvalidRequestContentException",
                      f"Could not parse request body into json: {exc}")
    if kind == "DryRun":
        return _response(204, b"", {})
    invocation = invoker.invoke(logical_id, event)
    if kind == "Event":
        return _response(202, b"", {})
    error = invocation.error
    if error is not None and error.get("errorType") == "RequestTooLargeException":
        return _error(413, "RequestTooLargeException", error["errorMessage"])
    headers = {"X-Amz-Executed-Version": "$LATEST"}
    if error is not None:
        headers["X-Amz-Function-Error"] = "Unhandled"
        payload = error
    else:
        payload = invocation.result
    return _response(200, json.dumps(payload).encode("utf-8"), headers)


def _payload(value: Any) -> Any:
    if value is None:
        return {}
    if hasattr(value, "read"):
        value = value.read()
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8")
    if not value:
        return {}
    return json.loads(value)


def _response(status: int, body: bytes, headers: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    from botocore.awsrequest import AWSResponse
    from botocore.response import StreamingBody

    http = AWSResponse("https://lambda.local/invocations", status, headers, None)
    parsed: dict[str, Any] = {
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers,
                             "RetryAttempts": 0},
        "StatusCode": status,
        "Payload": StreamingBody(io.BytesIO(body), len(body)),
    }
    if "X-Amz-Function-Error" in headers:
        parsed["FunctionError"] = headers["X-Amz-Function-Error"]
    if "X-Amz-Executed-Version" in headers:
        parsed["ExecutedVersion"] = headers["X-Amz-Executed-Version"]
    return http, parsed


def _error(status: int, code: str, message: str) -> tuple[Any, dict[str, Any]]:
    from botocore.awsrequest import AWSResponse

    http = AWSResponse("https://lambda.local/invocations", status, {}, None)
    return http, {"Error": {"Code": code, "Message": message}, "Message": message,
                  "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 0}}
