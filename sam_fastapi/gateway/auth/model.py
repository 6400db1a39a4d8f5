"""The authorizers a template declares, and which one guards each route.

Read from the raw ``Auth`` sections the project model keeps (``Api.auth``, already merged with
Globals, and ``ApiEvent.auth``), as SAM expands them: an API's ``Authorizers`` by name, its
``DefaultAuthorizer`` on every route, a route's own ``Auth.Authorizer`` winning, ``NONE`` for
no authorizer. REST APIs know Lambda (``TOKEN``/``REQUEST``) and Cognito authorizers; HTTP
APIs know Lambda (payload 1.0/2.0) and JWT authorizers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sam_fastapi.template.model import Intrinsic, Project

NONE = "NONE"
#: SAM's default TTL of REST authorizer results (``ReauthorizeEvery``), in seconds.
REST_DEFAULT_TTL = 300


@dataclass(frozen=True)
class IdentitySource:
    """Where one identity value comes from: ``header``, ``query``, ``stage`` or ``context``."""

    kind: str
    name: str


@dataclass(frozen=True)
class Authorizer:
    """One authorizer of one API."""

    name: str
    api_id: str  # logical id of its API
    kind: str  # "token", "request", "lambda" (HTTP API), "jwt", "cognito"
    function: str | None  # logical id of the authorizer function (Lambda authorizers)
    identity: tuple[IdentitySource, ...]
    ttl: int  # seconds; 0 disables caching
    validation: str | None = None  # TOKEN: regex the header must match
    payload_format_version: str = "1.0"  # HTTP API Lambda authorizers
    simple_responses: bool = False
    issuer: str | None = None  # JWT
    audience: tuple[str, ...] = ()  # JWT
    scopes: tuple[str, ...] = ()  # default authorization scopes

    @property
    def is_lambda(self) -> bool:
        return self.function is not None


@dataclass(frozen=True)
class RouteAuth:
    """The authorizer that guards one route, with the route's authorization scopes."""

    authorizer: Authorizer
    scopes: tuple[str, ...]


class AuthConfigError(ValueError):
    """An ``Auth`` section names something that does not exist or cannot be run."""


def api_authorizers(project: Project, api_id: str) -> dict[str, Authorizer]:
    """The authorizers declared on one API, by name (malformed entries are skipped)."""
    api = project.apis.get(api_id)
    if api is None:
        return {}
    auth = api.auth if isinstance(api.auth, Mapping) else {}
    declared = auth.get("Authorizers")
    found: dict[str, Authorizer] = {}
    for name, config in (declared.items() if isinstance(declared, Mapping) else ()):
        if isinstance(config, Mapping):
            found[str(name)] = _authorizer(str(name), api_id, api.kind, config)
    return found


def route_auth(project: Project, api_id: str, event_auth: Any,
               authorizers: Mapping[str, Authorizer]) -> RouteAuth | None:
    """The authorizer of a route (``None``: open), as SAM resolves default and overrides."""
    api = project.apis.get(api_id)
    auth = api.auth if api is not None and isinstance(api.auth, Mapping) else {}
    own = event_auth if isinstance(event_auth, Mapping) else {}
    name = own.get("Authorizer", auth.get("DefaultAuthorizer"))
    if name is None or name == NONE or name == "AWS_IAM":
        return None
    authorizer = authorizers.get(str(name))
    if authorizer is None:
        known = ", ".join(authorizers) or "none"
        raise AuthConfigError(f"{api_id}: authorizer {name!r} is not in Auth.Authorizers "
                              f"(declared: {known})")
    scopes = own.get("AuthorizationScopes")
    if isinstance(scopes, list):
        return RouteAuth(authorizer, tuple(str(s) for s in scopes))
    return RouteAuth(authorizer, authorizer.scopes)


def _authorizer(name: str, api_id: str, api_kind: str, config: Mapping[str, Any]) -> Authorizer:
    identity = config.get("Identity")
    identity = identity if isinstance(identity, Mapping) else {}
    scopes = _strings(config.get("AuthorizationScopes"))
    if api_kind == "http":
        jwt = config.get("JwtConfiguration")
        if isinstance(jwt, Mapping):
            source = config.get("IdentitySource", "$request.header.Authorization")
            return Authorizer(name, api_id, "jwt", None, _http_sources([source]), 0,
                              issuer=_text(jwt.get("issuer")),
                              audience=_strings(jwt.get("audience")), scopes=scopes)
        ttl = _int(identity.get("ReauthorizeEvery"), 0)
        sources = (*_http_sources(f"$request.header.{h}" for h in _strings(
                       identity.get("Headers"))),
                   *_http_sources(f"$request.querystring.{q}" for q in _strings(
                       identity.get("QueryStrings"))),
                   *_http_sources(f"$stageVariables.{s}" for s in _strings(
                       identity.get("StageVariables"))),
                   *_http_sources(f"$context.{c}" for c in _strings(identity.get("Context"))))
        return Authorizer(name, api_id, "lambda", _function_id(name, config.get("FunctionArn")),
                          sources, ttl if sources else 0,
                          payload_format_version=str(
                              config.get("AuthorizerPayloadFormatVersion", "2.0")),
                          simple_responses=config.get("EnableSimpleResponses") is True,
                          scopes=scopes)
    ttl = _int(identity.get("ReauthorizeEvery"), REST_DEFAULT_TTL)
    header = IdentitySource("header", str(identity.get("Header", "Authorization")))
    validation = _text(identity.get("ValidationExpression"))
    if "UserPoolArn" in config:
        return Authorizer(name, api_id, "cognito", None, (header,), ttl,
                          validation=validation, scopes=scopes)
    function = _function_id(name, config.get("FunctionArn"))
    if str(config.get("FunctionPayloadType", "TOKEN")).upper() == "REQUEST":
        sources = (*(IdentitySource("header", h) for h in _strings(identity.get("Headers"))),
                   *(IdentitySource("query", q) for q in _strings(identity.get("QueryStrings"))),
                   *(IdentitySource("stage", s) for s in _strings(identity.get("StageVariables"))),
                   *(IdentitySource("context", c) for c in _strings(identity.get("Context"))))
        return Authorizer(name, api_id, "request", function, sources, ttl, scopes=scopes)
    return Authorizer(name, api_id, "token", function, (header,), ttl, validation=validation,
                      scopes=scopes)


def _http_sources(values: Any) -> tuple[IdentitySource, ...]:
    """``$request.header.X`` and friends, as HTTP APIs write identity sources."""
    prefixes = (("$request.header.", "header"), ("$request.querystring.", "query"),
                ("$stageVariables.", "stage"), ("$context.", "context"))
    sources = []
    for value in values:
        for prefix, kind in prefixes:
            if isinstance(value, str) and value.startswith(prefix):
                sources.append(IdentitySource(kind, value[len(prefix):]))
    return tuple(sources)


def _function_id(name: str, arn: Any) -> str:
    """The logical id of the function behind ``FunctionArn`` (``!GetAtt Fn.Arn``)."""
    if isinstance(arn, Intrinsic):
        arn = {arn.function: arn.argument}
    if isinstance(arn, Mapping) and len(arn) == 1:
        (key, argument), = arn.items()
        if key == "Fn::GetAtt":
            target = argument if isinstance(argument, list) else str(argument).split(".", 1)
            if target:
                return str(target[0])
        if key == "Ref" and isinstance(argument, str):
            return argument
    raise AuthConfigError(f"authorizer {name}: FunctionArn must be !GetAtt <Function>.Arn of a "
                          f"function in the template to run locally, not {arn!r}")


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int))
    return ()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return default
