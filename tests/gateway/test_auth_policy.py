"""IAM policy evaluation against method ARNs (APIGW-BEHAVIOR §5.3)."""

from __future__ import annotations

import pytest

from sam_fastapi.gateway.auth.policy import Effect, MalformedPolicy, evaluate, method_arn

ARN = method_arn("us-east-1", "123456789012", "abcdef1234", "Prod", "GET", "/movies/7")


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(resource, action="execute-api:Invoke") -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(resource) -> dict:
    return {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": resource}


def test_method_arn_uses_the_request_path_without_its_leading_slash() -> None:
    assert ARN == "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/Prod/GET/movies/7"


@pytest.mark.parametrize(("resource", "effect"), [
    (ARN, Effect.ALLOW),
    ("*", Effect.ALLOW),
    ("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*", Effect.ALLOW),
    ("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*/GET/*", Effect.ALLOW),
    ("arn:aws:execute-api:*:*:abcdef1234/Prod/GET/movies/?", Effect.ALLOW),
    ("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*/POST/*", Effect.IMPLICIT_DENY),
    ("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/Prod/GET/movies", Effect.IMPLICIT_DENY),
    ([ARN.replace("GET", "PUT"), ARN], Effect.ALLOW),
])
def test_allow_resources_with_wildcards(resource, effect: Effect) -> None:
    assert evaluate(policy(allow(resource)), ARN) is effect


def test_explicit_deny_wins_over_allow() -> None:
    assert evaluate(policy(allow("*"), deny(ARN)), ARN) is Effect.DENY
    assert evaluate(policy(deny("*/POST/*"), allow("*")), ARN) is Effect.ALLOW


@pytest.mark.parametrize("action", ["execute-api:*", "*", "Execute-API:Invoke"])
def test_action_wildcards_and_case(action: str) -> None:
    assert evaluate(policy(allow("*", action)), ARN) is Effect.ALLOW


def test_other_actions_grant_nothing() -> None:
    assert evaluate(policy(allow("*", "s3:GetObject")), ARN) is Effect.IMPLICIT_DENY


def test_a_single_statement_object_is_accepted() -> None:
    assert evaluate({"Statement": allow("*")}, ARN) is Effect.ALLOW


@pytest.mark.parametrize("document", [
    None, {}, {"Statement": "Allow"}, policy(allow(7)), policy({"Effect": "Maybe",
                                                                 "Action": "*", "Resource": "*"}),
])
def test_malformed_policies_raise(document) -> None:
    with pytest.raises(MalformedPolicy):
        evaluate(document, ARN)
