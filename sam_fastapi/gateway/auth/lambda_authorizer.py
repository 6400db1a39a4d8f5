"""Lambda authorizers: the event API Gateway sends them and how it reads their answer.

REST ``TOKEN`` authorizers get ``{type, authorizationToken, methodArn}``; REST ``REQUEST``
authorizers the proxy event's request fields plus ``type`` and ``methodArn`` (§5.1, §5.2). HTTP
API authorizers get payload 1.0 (``methodArn``, ``identitySource`` and ``authorizationToken``
as the identity values joined by ``,``) or 2.0 (``routeArn``, ``identitySource`` as a list, the
2.0 request fields) (§5.4). Answers are an IAM policy (``principalId``, ``policyDocument``,
``context``) or, for payload 2.0 with simple responses, ``{"isAuthorized": bool, "context"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sam_fastapi.gateway.auth.model import Authorizer
from sam_fastapi.gateway.auth.policy import Effect, MalformedPolicy, evaluate

#: Proxy-event fields a REST (and HTTP API 1.0) REQUEST authorizer gets.
_V1_FIELDS = ("resource", "path", "httpMethod", "headers", "multiValueHeaders",
              "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
              "stageVariables", "requestContext")
#: Payload 2.0 request fields an HTTP API authorizer gets.
_V2_FIELDS = ("routeKey", "rawPath", "rawQueryString", "cookies", "headers",
              "queryStringParameters", "requestContext", "pathParameters", "stageVariables")


class MalformedAnswer(ValueError):
    """The authorizer answered something API Gateway cannot use (it answers 500)."""


@dataclass(frozen=True)
class Answer:
    """What an authorizer said, kept as is so a cached answer is evaluated per request."""

    principal_id: str | None
    policy: Any  # the policy document (None for a simple response)
    authorized: bool | None  # a simple response's isAuthorized (None for a policy)
    context: dict[str, Any]

    def effect(self, arn: str) -> Effect:
        if self.authorized is not None:
            return Effect.ALLOW if self.authorized else Effect.IMPLICIT_DENY
        try:
            return evaluate(self.policy, arn)
        except MalformedPolicy as exc:
            raise MalformedAnswer(str(exc)) from None


def build_event(authorizer: Authorizer, route_event: Mapping[str, Any], arn: str,
                identity: list[str]) -> dict[str, Any]:
    """The event ``authorizer``'s function gets for the request ``route_event`` describes."""
    if authorizer.kind == "token":
        return {"type": "TOKEN", "authorizationToken": identity[0], "methodArn": arn}
    if authorizer.kind == "request":
        return {"type": "REQUEST", "methodArn": arn,
                **{k: route_event.get(k) for k in _V1_FIELDS}}
    if authorizer.payload_format_version == "1.0":
        joined = ",".join(identity)
        return {"version": "1.0", "type": "REQUEST", "methodArn": arn,
                "identitySource": joined, "authorizationToken": joined,
                **{k: route_event.get(k) for k in _V1_FIELDS}}
    event: dict[str, Any] = {"version": "2.0", "type": "REQUEST", "routeArn": arn,
                             "identitySource": identity}
    event.update((k, route_event[k]) for k in _V2_FIELDS if k in route_event)
    event.setdefault("stageVariables", None)
    return event


def read_answer(authorizer: Authorizer, result: Any) -> Answer:
    """The authorizer function's result as API Gateway reads it; ``MalformedAnswer`` if not."""
    if not isinstance(result, dict):
        raise MalformedAnswer(f"the authorizer returned {type(result).__name__}, not an object")
    context = result.get("context")
    if context is None:
        context = {}
    if not isinstance(context, dict):
        raise MalformedAnswer("context must be an object")
    if authorizer.simple_responses:
        authorized = result.get("isAuthorized")
        if not isinstance(authorized, bool):
            raise MalformedAnswer("a simple response needs isAuthorized true or false")
        return Answer(None, None, authorized, context)
    if authorizer.kind != "lambda" or authorizer.payload_format_version == "1.0":
        # REST and payload 1.0 pass context values on as strings: no objects or arrays.
        nested = [k for k, v in context.items() if isinstance(v, dict | list)]
        if nested:
            raise MalformedAnswer(f"context values must be strings, numbers or booleans "
                                  f"({', '.join(nested)} is not)")
    principal = result.get("principalId")
    if not isinstance(principal, str | int) or isinstance(principal, bool):
        raise MalformedAnswer("principalId is missing")
    if "policyDocument" not in result:
        raise MalformedAnswer("policyDocument is missing")
    answer = Answer(str(principal), result["policyDocument"], None, context)
    if not isinstance(answer.policy, Mapping):
        raise MalformedAnswer("policyDocument must be an object")
    return answer


def authorizer_context(authorizer: Authorizer, answer: Answer,
                       latency_ms: int) -> dict[str, Any]:
    """``requestContext.authorizer`` of the route's event, where AWS puts each field."""
    if authorizer.kind == "lambda" and authorizer.payload_format_version == "2.0":
        return {"lambda": answer.context}
    fields: dict[str, Any] = {"principalId": answer.principal_id,
                              "integrationLatency": latency_ms}
    fields.update((k, _stringified(v)) for k, v in answer.context.items())
    return fields


def _stringified(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
