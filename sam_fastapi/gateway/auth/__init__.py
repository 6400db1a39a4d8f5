"""Authorizers in front of the routes, evaluated as API Gateway does before it invokes a route.

``Authorizers.check`` reads the route's authorizer from the template (``model``), collects the
identity sources (missing: 401 without calling anything), then runs the Lambda authorizer
through the gateway's own invoker (same isolation, environment and context as a route) or
checks a JWT/Cognito token locally (``jwt``), reuses cached answers for their TTL (``cache``)
and evaluates IAM policies against the method ARN (``policy``). An allowed request gets the
``requestContext.authorizer`` to put in the route's event; a refused one gets API Gateway's
own response.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sam_fastapi.gateway import answers
from sam_fastapi.gateway.auth import jwt
from sam_fastapi.gateway.auth.cache import ResultCache
from sam_fastapi.gateway.auth.lambda_authorizer import (
    MalformedAnswer,
    authorizer_context,
    build_event,
    read_answer,
)
from sam_fastapi.gateway.auth.model import (
    AuthConfigError,
    Authorizer,
    RouteAuth,
    api_authorizers,
    route_auth,
)
from sam_fastapi.gateway.auth.policy import Effect, method_arn
from sam_fastapi.gateway.errors import GatewayError
from sam_fastapi.gateway.events import ACCOUNT_ID, Request
from sam_fastapi.gateway.invoker import Invocation, Invoker
from sam_fastapi.gateway.response import HttpResponse
from sam_fastapi.gateway.router import Match, Route
from sam_fastapi.template.model import Project

__all__ = ["Authorizers", "Decision", "ReadyToken"]

#: How long API Gateway waits for a Lambda authorizer (§5.4: 10 s).
AUTHORIZER_TIMEOUT = 10.0


@dataclass(frozen=True)
class ReadyToken:
    """A token one JWT or Cognito authorizer of the run accepts on every route it guards."""

    authorizer: Authorizer
    claims: dict[str, Any]
    token: str


@dataclass(frozen=True)
class Decision:
    """The authorizer's verdict on one request."""

    response: HttpResponse | None  # API Gateway's own answer when refused, None when allowed
    authorizer: dict[str, Any] | None  # requestContext.authorizer of the route's event
    reason: str | None = None
    event: dict[str, Any] | None = None  # the event the Lambda authorizer got
    invocation: Invocation | None = None
    cached: bool = False

    @property
    def allowed(self) -> bool:
        return self.response is None


class Authorizers:
    """The authorizers of one project, their cache and the local key that signs test JWTs."""

    def __init__(self, project: Project, invoker: Invoker, *,
                 clock: Callable[[], float] = time.time, key: bytes | None = None,
                 check_tokens: bool = True) -> None:
        self.project = project
        self.invoker = invoker
        self.clock = clock
        #: False: JWT and Cognito authorizers let every request through (Lambda ones still run).
        self.check_tokens = check_tokens
        self.cache = ResultCache(clock)
        #: Signs and checks JWT/Cognito tokens locally (random per gateway unless given).
        self.key = key or secrets.token_bytes(32)
        self._declared: dict[str, dict[str, Authorizer]] = {}
        self._routes: dict[Route, RouteAuth | None] = {}

    def token(self, claims: Mapping[str, Any]) -> str:
        """A JWT with ``claims`` that this gateway's JWT and Cognito authorizers accept."""
        return jwt.sign(claims, self.key)

    def ready_tokens(self, routes: Iterable[Route], claims: Mapping[str, Any] | None = None,
                     *, lifetime: float = 12 * 3600) -> list[ReadyToken]:
        """One token per JWT/Cognito authorizer guarding ``routes``: ``claims`` over what makes
        it pass everywhere (its ``iss`` and first ``aud``, every scope its routes require,
        ``exp`` ``lifetime`` seconds from now, ``sub`` ``local-user``)."""
        scopes: dict[Authorizer, dict[str, None]] = {}
        for route in routes:
            guard = self.for_route(route)
            if guard is not None and guard.authorizer.kind in ("jwt", "cognito"):
                scopes.setdefault(guard.authorizer, {}).update(dict.fromkeys(guard.scopes))
        now = int(self.clock())
        tokens = []
        for authorizer, needed in scopes.items():
            ready: dict[str, Any] = {"sub": "local-user", "iat": now, "exp": now + int(lifetime)}
            if authorizer.issuer:
                ready["iss"] = authorizer.issuer
            if authorizer.audience:
                ready["aud"] = authorizer.audience[0]
            if needed:
                ready["scope"] = " ".join(needed)
            ready.update(claims or {})
            tokens.append(ReadyToken(authorizer, ready, self.token(ready)))
        return tokens

    def for_route(self, route: Route) -> RouteAuth | None:
        """The authorizer guarding ``route`` (None: open)."""
        if route not in self._routes:
            function = self.project.functions.get(route.function)
            event = next((e for e in function.events if e.name == route.event_name), None) \
                if function is not None else None
            api_id = route.api.logical_id
            try:
                if api_id not in self._declared:
                    self._declared[api_id] = api_authorizers(self.project, api_id)
                self._routes[route] = route_auth(self.project, api_id,
                                                 event.auth if event else None,
                                                 self._declared[api_id])
            except AuthConfigError as exc:
                raise GatewayError(str(exc)) from None
        return self._routes[route]

    def check(self, match: Match, event: Mapping[str, Any], request: Request, *,
              claims: Mapping[str, Any] | None = None) -> Decision | None:
        """The verdict for a routed request (None: the route has no authorizer)."""
        guard = self.for_route(match.route)
        if guard is None:
            return None
        authorizer = guard.authorizer
        http = match.route.api.is_http
        if authorizer.kind in ("jwt", "cognito"):
            if not self.check_tokens:
                return None
            return self._check_token(guard, request, http,
                                     match.route.payload_format_version, claims)
        if claims is not None:
            raise GatewayError(f"claims= is for JWT and Cognito authorizers; {authorizer.name} "
                               "is a Lambda authorizer (send what it reads instead)")
        identity = _identity(authorizer, request, event)
        if identity is None:
            return _refused(answers.unauthorized(http),
                            f"{authorizer.name}: identity source missing")
        api = match.route.api
        arn = method_arn(api.region, ACCOUNT_ID, api.api_id, api.stage, request.method,
                         match.path)
        key = (api.logical_id, authorizer.name, tuple(identity))
        cached = self.cache.get(key) if identity and authorizer.ttl > 0 else None
        auth_event = invocation = None
        latency = 0
        if cached is None:
            auth_event = build_event(authorizer, event, arn, identity)
            assert authorizer.function is not None
            invocation = self.invoker.invoke(authorizer.function, auth_event,
                                             wait=AUTHORIZER_TIMEOUT)
            latency = int(invocation.duration_ms)
            failure = _failure(authorizer, invocation, http)
            if failure is not None:
                return Decision(failure[0], None, failure[1], auth_event, invocation)
            try:
                answer = read_answer(authorizer, invocation.result)
            except MalformedAnswer as exc:
                return Decision(answers.authorizer_failed(http), None,
                                f"{authorizer.name} answered malformed: {exc}", auth_event,
                                invocation)
            if identity:
                self.cache.put(key, answer, authorizer.ttl)
        else:
            answer = cached
        try:
            effect = answer.effect(arn)
        except MalformedAnswer as exc:
            return Decision(answers.authorizer_failed(http), None,
                            f"{authorizer.name} answered malformed: {exc}", auth_event,
                            invocation)
        if effect is not Effect.ALLOW:
            return Decision(answers.forbidden(http, explicit=effect is Effect.DENY), None,
                            f"{authorizer.name} denied {arn} ({effect.value})", auth_event,
                            invocation, cached is not None)
        return Decision(None, authorizer_context(authorizer, answer, latency), None, auth_event,
                        invocation, cached is not None)

    def _check_token(self, guard: RouteAuth, request: Request, http: bool, payload: str,
                     claims: Mapping[str, Any] | None) -> Decision:
        authorizer = guard.authorizer
        source = authorizer.identity[0]
        # Claims given by the test stand for a token already verified: only exp (when they
        # carry one) and the route's scopes are checked. A token is checked in full.
        given = claims is not None
        if claims is None:
            token = request.header(source.name) if source.kind == "header" else next(
                (v for k, v in reversed(request.query) if k == source.name), None)
            if not token:
                return _refused(answers.unauthorized(http), f"{authorizer.name}: no token in "
                                f"{source.kind} {source.name}")
            try:
                claims = jwt.verify(token, self.key)
            except jwt.InvalidToken as exc:
                return _refused(answers.unauthorized(http), f"{authorizer.name}: {exc}")
        try:
            jwt.check_claims(claims, now=self.clock(),
                             issuer=None if given else authorizer.issuer,
                             audience=() if given else authorizer.audience, scopes=guard.scopes)
        except jwt.InvalidToken as exc:
            return _refused(answers.unauthorized(http), f"{authorizer.name}: {exc}")
        except jwt.MissingScope as exc:
            # REST Cognito answers 401 for a missing scope too; HTTP APIs answer 403.
            response = answers.forbidden(http) if http else answers.unauthorized(http)
            return _refused(response, f"{authorizer.name}: {exc}")
        shown = jwt.stringified(claims)
        if authorizer.kind == "cognito":
            return Decision(None, {"claims": shown})
        granted = jwt.token_scopes(claims) or None
        if payload == "1.0":
            return Decision(None, {"claims": shown, "scopes": granted})
        return Decision(None, {"jwt": {"claims": shown, "scopes": granted}})


def _identity(authorizer: Authorizer, request: Request,
              event: Mapping[str, Any]) -> list[str] | None:
    """The identity values in order, or None when one is missing (or fails validation)."""
    values = []
    for source in authorizer.identity:
        value: Any = None
        if source.kind == "header":
            value = request.header(source.name)
        elif source.kind == "query":
            value = next((v for k, v in reversed(request.query) if k == source.name), None)
        elif source.kind == "context":
            value = event.get("requestContext")
            for part in source.name.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
        if value is None or value == "":
            return None
        values.append(str(value))
    if authorizer.validation is not None and values:
        try:
            if re.fullmatch(authorizer.validation, values[0]) is None:
                return None
        except re.error as exc:
            raise GatewayError(f"{authorizer.name}: ValidationExpression is not a regular "
                               f"expression: {exc}") from None
    return values


def _failure(authorizer: Authorizer, invocation: Invocation,
             http: bool) -> tuple[HttpResponse, str] | None:
    if not invocation.finished:
        return answers.authorizer_failed(http), f"{authorizer.name} timed out"
    error = invocation.error
    if error is None:
        return None
    if error.get("errorMessage") == "Unauthorized":
        # The documented way for an authorizer to refuse a token: raise Exception("Unauthorized").
        return answers.unauthorized(http), f"{authorizer.name} raised Unauthorized"
    return (answers.authorizer_failed(http),
            f"{authorizer.name} failed: {error.get('errorType')}: {error.get('errorMessage')}")


def _refused(response: HttpResponse, reason: str) -> Decision:
    return Decision(response, None, reason)
