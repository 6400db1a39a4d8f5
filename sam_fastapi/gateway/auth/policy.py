"""IAM policy evaluation of a Lambda authorizer's answer against the method ARN (§5.3).

A request is allowed when some ``Allow`` statement's resource matches the ARN and no ``Deny``
statement does (an explicit deny wins). In resources and actions ``*`` matches any run of
characters, ``/`` included, and ``?`` any one character, as IAM does. ``sam local`` ignores
``Deny`` statements; API Gateway does not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

#: The actions that grant calling an API method.
_INVOKE = "execute-api:invoke"


class Effect(Enum):
    ALLOW = "allow"
    DENY = "deny"  # an explicit Deny statement matched
    IMPLICIT_DENY = "implicit-deny"  # no Allow statement matched


class MalformedPolicy(ValueError):
    """The policy document is not one API Gateway would accept."""


def method_arn(region: str, account: str, api_id: str, stage: str, method: str,
               path: str) -> str:
    """``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}/{path}`` (the request's
    actual path, without its leading slash)."""
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{method}/{path.lstrip('/')}"


def evaluate(document: Any, arn: str) -> Effect:
    """Whether ``document`` (an IAM policy) lets the caller invoke ``arn``."""
    if not isinstance(document, Mapping):
        raise MalformedPolicy("policyDocument must be an object")
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        raise MalformedPolicy("policyDocument.Statement must be a list of statements")
    allowed = False
    for statement in statements:
        if not isinstance(statement, Mapping):
            raise MalformedPolicy("each Statement must be an object")
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise MalformedPolicy(f"Statement Effect must be Allow or Deny, not {effect!r}")
        actions = _list(statement.get("Action"), "Action")
        resources = _list(statement.get("Resource"), "Resource")
        if not any(_matches(a, _INVOKE, ignore_case=True) for a in actions):
            continue
        if not any(_matches(r, arn) for r in resources):
            continue
        if effect == "Deny":
            return Effect.DENY
        allowed = True
    return Effect.ALLOW if allowed else Effect.IMPLICIT_DENY


def _list(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise MalformedPolicy(f"Statement {name} must be a string or a list of strings")


def _matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _compile(pattern, ignore_case).fullmatch(value) is not None


@functools.lru_cache(maxsize=256)
def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)
