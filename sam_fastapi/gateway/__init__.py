"""An in-process API Gateway + Lambda for one project: route, build the event, invoke, convert.

Contract with the pytest plugin (and the later ``serve`` command)::

    gateway = Gateway(project, stage=None, parameter_overrides=None, clock=time.time,
                      integration_timeout=None, isolation="thread")
    gateway.request(method, path, query=(), headers=(), body=b"", api_id=None) -> Exchange
    gateway.send(request, found=None, api_id=None, slot=0) -> Exchange   (an events.Request)
    gateway.replay(event) -> Exchange
    gateway.invoke(logical_id, event) -> Invocation
    gateway.cold_start(logical_id=None) -> None
    sam_fastapi.gateway.events.classify(event) / describe_non_proxy(event)

Notes for callers:

- ``path`` is what the client puts after the host; a query (``/casts?x=1``) is accepted and
  goes before ``query``. ``query``/``headers`` are pairs (a mapping is accepted too); ``body``
  bytes (a str is encoded as UTF-8). For a REST API ``/Prod/casts`` and ``/casts`` both work;
  for an HTTP API with a named stage ``/dev/casts`` and ``/casts`` both work (the event carries
  the stage either way).
- Several APIs: see ``router`` for how one is picked; ``api_id`` is the API's logical id
  (``ServerlessRestApi``/``ServerlessHttpApi`` for the implicit ones).
- ``stage`` replaces the stage name of every API (REST default ``Prod``, HTTP ``$default``).
- ``check_tokens=False`` lets every request through JWT and Cognito authorizers (Lambda
  authorizers still run); ``gateway.ready_tokens(claims)`` are tokens that pass them.
- ``parameter_overrides`` win over ``samconfig.toml`` (the template is read again).
- One ``Gateway`` per project: its ``invoker`` keeps each function's pool of instances
  (``slot`` picks one; ``serve --concurrency instances`` uses several), so every request shares
  one router, one authorizer cache and one JWT key.
- Every answer the gateway makes by itself comes from ``answers``; each event kind
  (``events``) converts the function's result for its own payload format.
- The gateway answers by itself (``Exchange.function`` is None) with 403
  ``{"message":"Missing Authentication Token"}`` (REST) or 404 ``{"message":"Not Found"}`` (HTTP
  API) when no route matches; ``Exchange.error`` then says why.
- A failed invocation (exception, import error, timeout, oversized or invalid result) is
  answered 502 ``{"message": "Internal server error"}`` by REST APIs and 500
  ``{"message":"Internal Server Error"}`` by HTTP APIs (as AWS is reported to, unconfirmed;
  ``sam local`` says 502 for both),
  with the reason in ``Exchange.error`` and Lambda's error object in ``invocation.error``.
- Routes guarded by an authorizer (``sam_fastapi.gateway.auth``) are authorized between
  routing and invoking; a refusal is answered by the gateway (``Exchange.function`` None,
  ``Exchange.event``/``invocation`` those of the Lambda authorizer when one ran).
- A handler's ``boto3`` ``lambda.invoke`` of a template function, and (opt-in) its HTTP calls
  to the template's APIs, are answered in-process (``lambda_calls``, ``http_calls``).
- A body over API Gateway's 10 MB quota is answered 413 before routing; an event over
  Lambda's 6 MB invocation limit is answered 413 ``{"message": "Request Too Long"}`` (REST
  observed, HTTP APIs unconfirmed: answered the same).
- ``Exchange.header(name)`` and ``Exchange.json()`` are conveniences.
- Setup problems that no request could fix (unknown ``api_id`` or function, S3 or image code,
  a non-Python runtime, an event that is not an HTTP proxy event for ``replay``) raise
  ``GatewayError`` with a one-line message.
- ``integration_timeout`` (seconds; default REST 29, HTTP API 30) is how long the gateway waits
  for a function whose Timeout is longer: then REST answers 504 ``{"message": "Endpoint request
  timed out"}`` and HTTP APIs 503 ``{"message":"Service Unavailable"}``;
  ``invocation.finished`` is False.
- A handler that times out leaves a thread running (threads cannot be killed); its function
  starts cold on the next call, in a fresh set of modules.
- ``isolation="thread"`` runs functions in this process: calls are serialized across the
  process (one at a time, whatever the thread or Gateway), since the swapped state
  (sys.modules, os.environ, the working directory) is process-wide. ``"process"`` runs each
  instance in a sandbox process of its own (``process``): calls of different instances run in
  parallel, and a crash, a hang or a memory hog only ends that instance.
- Importing this package imports neither fastapi, mangum nor user code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sam_fastapi.gateway.errors import GatewayError

if TYPE_CHECKING:
    from sam_fastapi.gateway.gateway import Exchange, Gateway, body_too_large
    from sam_fastapi.gateway.invoker import Invocation

__all__ = ["Exchange", "Gateway", "GatewayError", "Invocation", "body_too_large"]

#: Names imported from their module when first asked for: routing alone (``lint``) needs none
#: of the invoker, sandboxes, authorizers and event builders they bring.
_LAZY = {
    "Exchange": "sam_fastapi.gateway.gateway",
    "Gateway": "sam_fastapi.gateway.gateway",
    "INTEGRATION_TIMEOUTS": "sam_fastapi.gateway.gateway",
    "body_too_large": "sam_fastapi.gateway.gateway",
    "Invocation": "sam_fastapi.gateway.invoker",
    "BUILDERS": "sam_fastapi.gateway.events",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
