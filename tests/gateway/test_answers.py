"""The gateway's own answers, per API kind (APIGW-BEHAVIOR §4.3, §5)."""

from __future__ import annotations

import json

from sam_fastapi.gateway import answers


def test_integration_failures_per_api_kind() -> None:
    rest, http = answers.integration_failed(False), answers.integration_failed(True)

    assert rest.status == 502
    assert json.loads(rest.body) == {"message": "Internal server error"}
    assert ("x-amzn-ErrorType", "InternalServerErrorException") in rest.headers
    assert http.status == 500
    assert json.loads(http.body) == {"message": "Internal Server Error"}
    assert http.headers == (("content-type", "application/json"),)


def test_timeouts_per_api_kind() -> None:
    rest, http = answers.integration_timed_out(False), answers.integration_timed_out(True)

    assert (rest.status, json.loads(rest.body)) == (504, {"message": "Endpoint request timed out"})
    assert (http.status, json.loads(http.body)) == (503, {"message": "Service Unavailable"})


def test_rest_forbidden_says_whether_the_deny_was_explicit() -> None:
    implicit = json.loads(answers.forbidden(False).body)["Message"]
    explicit = json.loads(answers.forbidden(False, explicit=True).body)["Message"]

    assert implicit == "User is not authorized to access this resource"
    assert explicit == implicit + " with an explicit deny"
    assert json.loads(answers.forbidden(True).body) == {"message": "Forbidden"}
