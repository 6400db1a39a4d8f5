"""Routes behind JWT and Lambda authorizers: tested with claims and tokens, clicked through in
serve with a printed token or with JWT authorizers off; Lambda authorizers always run."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from sam_fastapi.cli import main


def test_lint_is_clean_and_routes_lists_both_apis(shape, capsys) -> None:
    template = shape("protected") / "template.yaml"
    assert main(["lint", str(template)]) == 0
    assert main(["routes", str(template)]) == 0
    out = capsys.readouterr().out
    assert "GET     /me          Profile   main:me" in out
    assert "GET     /Prod/users  Admin     main:users" in out


def test_pytest_sam_runs_the_projects_tests(shape, pytester: pytest.Pytester) -> None:
    shape("protected", pytester.path)
    pytester.chdir()

    pytester.runpytest_subprocess("protected").assert_outcomes(passed=4)


def test_serve_prints_a_token_with_the_given_claims_that_passes(shape, serve) -> None:
    server = serve(shape("protected") / "template.yaml", "--claim", "sub=alice",
                   "--claim", 'cognito:groups=["admins"]')
    announced = server.read_until("a token Jwt (ProfileApi)")
    token = server.read_until("Authorization: Bearer ").split("Bearer ")[1].strip()

    me = httpx.get(f"{server.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    anonymous = httpx.get(f"{server.url}/me", timeout=30)
    forged = httpx.get(f"{server.url}/me", headers={"Authorization": f"Bearer {token}x"},
                       timeout=30)

    assert ('"sub": "alice", "iss": "https://auth.example.com", "aud": "profile-app", '
            '"scope": "profile/read", "cognito:groups": ["admins"]') in announced
    assert me.json() == {"user": "alice", "scopes": ["profile/read"]}
    assert anonymous.status_code == forged.status_code == 401


def test_serve_with_jwt_auth_off_says_so_loudly_and_lambda_authorizers_still_run(
        shape, serve) -> None:
    server = serve(shape("protected") / "template.yaml", "--no-jwt-auth")
    server.read_until("*** JWT AND COGNITO AUTHORIZERS ARE OFF (--no-jwt-auth)")

    health = httpx.get(f"{server.url}/health", timeout=30)
    me = httpx.get(f"{server.url}/me", timeout=30)
    users = httpx.get(f"{server.url}/Prod/users", timeout=30)
    admin = httpx.get(f"{server.url}/Prod/users", headers={"Authorization": "Bearer admin-ada"},
                      timeout=30)

    assert health.status_code == 200
    # Through the JWT authorizer, to an app that reads claims no one gave it: its own 500.
    assert (me.status_code, me.text) == (500, "Internal Server Error")
    assert users.status_code == 401
    assert admin.json() == {"admin": "ada", "users": ["ada", "grace"]}
    assert re.search(r"^GET /me -> Profile 500 ", server.stop(), re.M)


def test_token_for_a_template_without_jwt_authorizers_is_a_one_line_error(
        shape, capsys) -> None:
    template: Path = shape("no_api") / "template.yaml"
    assert main(["serve", str(template), "--token", "--port", "0"]) == 2
    assert capsys.readouterr().err == (
        f"sam-fastapi: error: --token: {template} has no route behind a JWT or Cognito "
        "authorizer (Lambda authorizers get what you send them)\n")
