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

import functools
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sam_fastapi.gateway import answers
from sam_fastapi.gateway.auth import Authorizers, ReadyToken
from sam_fastapi.gateway.errors import GatewayError
from sam_fastapi.gateway.events import BUILDERS, EventKind, Request, classify, describe_non_proxy
from sam_fastapi.gateway.invoker import ISOLATION, Invocation, Invoker
from sam_fastapi.gateway.response import HttpResponse, InvalidResponse
from sam_fastapi.gateway.router import Match, Miss, Route, Router
from sam_fastapi.template.model import Project

__all__ = ["Exchange", "Gateway", "GatewayError", "Invocation", "body_too_large"]

#: How long API Gateway waits for Lambda before answering itself (§4.3: REST 29 s, HTTP 30 s).
INTEGRATION_TIMEOUTS = {"rest": 29.0, "http": 30.0}


@dataclass(frozen=True)
class Exchange:
    """What the client gets back, and how it came about."""

    status: int
    headers: tuple[tuple[str, str], ...]  # repeated values kept, in order
    body: bytes
    function: str | None  # logical id that served it (None: the gateway answered itself)
    event: dict[str, Any] | None  # the event sent to the function
    invocation: Invocation | None
    error: str | None  # why the gateway answered with an error itself

    @classmethod
    def answered(cls, response: HttpResponse, reason: str | None, *,
                 function: str | None = None, event: dict[str, Any] | None = None,
                 invocation: Invocation | None = None) -> Exchange:
        """The gateway's own answer (``answers``), with why it made it."""
        return cls(response.status, response.headers, response.body, function, event,
                   invocation, reason)

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def json(self) -> Any:
        return json.loads(self.body)


class Gateway:
    """An in-process API Gateway + Lambda for one Project."""

    def __init__(self, project: Project, *, stage: str | None = None,
                 parameter_overrides: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.time,
                 integration_timeout: float | None = None, check_tokens: bool = True,
                 isolation: str = "thread") -> None:
        if parameter_overrides:
            from sam_fastapi.template.stacks import load_project

            project = load_project(project.template_path,
                                   parameter_overrides=dict(parameter_overrides))
        if stage is not None:
            project = replace(project, apis={k: replace(a, stage_name=stage)
                                             for k, a in project.apis.items()})
        self.project = project
        self.clock = clock
        if isolation not in ISOLATION:
            raise GatewayError(f"unknown isolation {isolation!r} "
                               f"(choose from {', '.join(ISOLATION)})")
        self.invoker = Invoker(project, clock=clock, gateway=self, start=ISOLATION[isolation])
        self.authorizers = Authorizers(project, self.invoker, clock=clock,
                                       check_tokens=check_tokens)
        self.router = Router.from_project(project, region=self.invoker.region)
        self.integration_timeout = integration_timeout

    @functools.cached_property
    def api_hosts(self) -> dict[str, str]:
        """The logical id of each API with routes, by the host it is deployed at
        (``{id}.execute-api.{region}.amazonaws.com``): what ``http_calls`` sends here."""
        return {table.api.domain: table.api.logical_id for table in self.router.apis.values()}

    def request(self, method: str, path: str, *,
                query: Sequence[tuple[str, str]] | Mapping[str, str] = (),
                headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
                body: bytes | str = b"", api_id: str | None = None,
                claims: Mapping[str, Any] | None = None, authorize: bool = True) -> Exchange:
        """Route as API Gateway does, build the event, authorize, invoke, convert the result.

        ``claims`` stand for a verified token of a JWT or Cognito authorizer; ``authorize=False``
        skips the route's authorizer altogether (see ``sam_fastapi.gateway.auth``).
        """
        request = Request.build(method, path, query=query, headers=headers, body=body,
                                now=self.clock())
        return self.send(request, api_id=api_id, claims=claims, authorize=authorize)

    def send(self, request: Request, *, found: Match | Miss | None = None,
             api_id: str | None = None, claims: Mapping[str, Any] | None = None,
             authorize: bool = True, slot: int = 0) -> Exchange:
        """``request`` for a request already read; ``found`` is its route when the caller
        matched it already (with this gateway's router, or one of the same project); ``slot``
        the instance of the function's pool that serves it (see ``invoker``)."""
        if len(request.body) > answers.MAX_BODY_BYTES:
            return body_too_large()
        if found is None:
            found = self._match(request.method, request.path, api_id=api_id)
        if isinstance(found, Miss):
            return _miss(found)
        kind = BUILDERS[(found.route.api.kind, found.route.payload_format_version)]
        event = kind.build(request, found)
        if authorize:
            decision = self.authorizers.check(found, event, request, claims=claims)
            if decision is not None and decision.response is not None:
                return Exchange.answered(decision.response, decision.reason,
                                         event=decision.event, invocation=decision.invocation)
            if decision is not None:
                event["requestContext"]["authorizer"] = decision.authorizer
        return self._exchange(kind, found.route, event, request.header("accept"), request.method,
                              fresh=True, slot=slot)

    def replay(self, event: Mapping[str, Any]) -> Exchange:
        """Route a recorded proxy event by its own method and path (or route) and invoke it."""
        kind = classify(event)
        if kind is None:
            raise GatewayError(f"not an HTTP proxy event: {describe_non_proxy(event)}")
        method = kind.method(event).upper()
        api_kinds = (kind.api_kind,)
        route = self._declared(kind, event, method, api_kinds)
        if route is None:
            found = self._match(method, kind.path(event), api_id=None, kinds=api_kinds)
            if isinstance(found, Miss):
                return _miss(replace(found, reason=f"{found.reason} (replayed {kind.name})"))
            route = found.route
        headers = event.get("headers")
        accept = None
        if isinstance(headers, Mapping):
            accept = next((str(v) for k, v in headers.items() if str(k).lower() == "accept"),
                          None)
        return self._exchange(kind, route, dict(event), accept, method)

    def ready_tokens(self, claims: Mapping[str, Any] | None = None) -> list[ReadyToken]:
        """A token for each JWT/Cognito authorizer that guards a route, accepted on all its
        routes for this gateway's lifetime (see ``Authorizers.ready_tokens``)."""
        routes = [r for table in self.router.apis.values() for r in table.routes]
        return self.authorizers.ready_tokens(routes, claims)

    @property
    def nothing_to_route(self) -> str | None:
        """Why no request can reach a function (the template has no API), or None."""
        if self.router.apis:
            return None
        functions = ", ".join(self.project.functions) or "none"
        return (f"{self.project.template_path.name} has no API: no function has an Api or "
                f"HttpApi event (functions: {functions})")

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        """Raw invocation of a function, as ``aws lambda invoke`` would."""
        return self.invoker.invoke(logical_id, event)

    def cold_start(self, logical_id: str | None = None) -> None:
        """Forget loaded code so the next invocation is a cold start (all functions if None)."""
        self.invoker.cold_start(logical_id)

    def _match(self, method: str, path: str, *, api_id: str | None,
               kinds: tuple[str, ...] = ("rest", "http")) -> Match | Miss:
        reason = self.nothing_to_route
        if reason is not None:
            raise GatewayError(f"{method} {path}: {reason}; invoke them directly instead")
        try:
            return self.router.match(method, path, api_id=api_id, kinds=kinds)
        except LookupError as exc:
            raise GatewayError(str(exc)) from None

    def _declared(self, kind: type[EventKind], event: Mapping[str, Any], method: str,
                  api_kinds: tuple[str, ...]) -> Route | None:
        template = kind.template(event)
        if template is None:
            return None
        for table in self.router.apis.values():
            if table.api.kind in api_kinds:
                route = table.find(method, template)
                if route is not None:
                    return route
        return None

    def _exchange(self, kind: type[EventKind], route: Route, event: dict[str, Any],
                  accept: str | None, method: str, *, fresh: bool = False,
                  slot: int = 0) -> Exchange:
        api = route.api
        function = route.function
        wait = self.integration_timeout or INTEGRATION_TIMEOUTS[api.kind]
        invocation = self.invoker.invoke(function, event, fresh=fresh, wait=wait, slot=slot)
        if not invocation.finished:
            reason = f"{function} did not answer within the integration timeout ({wait:g} s)"
            return Exchange.answered(answers.integration_timed_out(api.is_http), reason,
                                     function=function, event=event, invocation=invocation)
        if invocation.error is not None:
            failed = "failed" if invocation.initialized else "failed to start"
            reason = f"{function} {failed}: {_describe_error(invocation.error)}"
            # Lambda refused an event over 6 MB: API Gateway says so itself, no function ran.
            refused = invocation.error.get("errorType") == "RequestTooLargeException"
            answer = (answers.event_too_large if refused else answers.integration_failed)
            return Exchange.answered(answer(api.is_http), reason,
                                     function=function, event=event, invocation=invocation)
        try:
            response = kind.response(invocation.result, api, accept)
        except InvalidResponse as exc:
            reason = f"{function} returned an invalid proxy response: {exc}"
            return Exchange.answered(answers.integration_failed(api.is_http), reason,
                                     function=function, event=event, invocation=invocation)
        body = b"" if method == "HEAD" else response.body
        return Exchange(response.status, response.headers, body, function, event,
                        invocation, None)


def body_too_large() -> Exchange:
    """API Gateway's answer to a request body over its 10 MB quota, before any routing."""
    return Exchange.answered(answers.body_too_large(), "the request body is over API "
                             f"Gateway's {answers.MAX_BODY_BYTES} byte quota")


def _miss(miss: Miss) -> Exchange:
    return Exchange.answered(answers.no_route(miss.api.is_http), miss.reason)


def _describe_error(error: Mapping[str, Any]) -> str:
    kind = error.get("errorType")
    message = error.get("errorMessage", "")
    return f"{kind}: {message}" if kind else str(message)

