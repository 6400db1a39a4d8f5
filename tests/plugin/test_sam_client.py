"""``sam_client``, ``sam_gateway`` and ``sam_template`` against real FastAPI apps behind Mangum."""

from __future__ import annotations

from pathlib import Path

import pytest

REST_TESTS = """\
def test_json_response_and_who_served_it(sam_client):
    response = sam_client.get("/casts/7")
    assert response.status_code == 200
    assert response.json() == {"id": 7, "name": "Ada"}
    assert response.headers["Content-Type"] == "application/json"
    assert response.function == "CastFunction"
    assert response.event["httpMethod"] == "GET"
    assert response.event["path"] == "/casts/7"
    assert response.event["resource"] == "/casts/{proxy+}"
    assert repr(response) == "<Response [200 OK] from CastFunction>"


def test_stage_prefix_is_accepted(sam_client):
    response = sam_client.get("/Prod/casts/7")
    assert response.json() == {"id": 7, "name": "Ada"}
    assert response.event["requestContext"]["stage"] == "Prod"


def test_json_body_sets_content_type(sam_client):
    response = sam_client.post("/casts", json={"name": "Grace"})
    assert response.status_code == 201
    assert response.json() == {"created": {"name": "Grace"}, "type": "application/json"}


def test_params_headers_and_cookies(sam_client):
    response = sam_client.get(
        "/casts/echo?a=0",
        params=[("a", "1"), ("a", "2"), ("b", "x y"), ("on", True), ("none", None)],
        headers={"X-Token": "t0k"},
        cookies={"session": "s1", "theme": "dark"},
    )
    assert response.json() == {
        "query": [["a", "0"], ["a", "1"], ["a", "2"], ["b", "x y"], ["on", "true"],
                  ["none", ""]],
        "x_token": "t0k",
        "cookies": {"session": "s1", "theme": "dark"},
    }


def test_form_data_and_raw_content(sam_client):
    form = sam_client.post("/casts/raw", data={"name": "Ada L", "role": ["lead", "cto"]})
    assert form.json() == {"body": "name=Ada+L&role=lead&role=cto",
                           "type": "application/x-www-form-urlencoded"}
    raw = sam_client.post("/casts/raw", content=b"<x/>", headers={"content-type": "text/xml"})
    assert raw.json() == {"body": "<x/>", "type": "text/xml"}


def test_repeated_headers_are_kept(sam_client):
    response = sam_client.get("/casts/cookies")
    cookies = response.headers.get_list("Set-Cookie")
    assert [c.split(";")[0] for c in cookies] == ["a=1", "b=2"]
    assert response.headers.getall("set-cookie") == cookies
    assert response.headers["SET-COOKIE"] == ", ".join(cookies)
    assert "set-cookie" in response.headers
    assert list(response.headers).count("set-cookie") == 1


def test_text_body(sam_client):
    response = sam_client.get("/casts/text")
    assert response.text == "plain words"
    assert response.content == b"plain words"


def test_head_has_no_body(sam_client):
    # ANY routes HEAD to the function; FastAPI has no HEAD route and says so, without a body.
    response = sam_client.head("/casts/7")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/json"
    assert response.content == b""


def test_unknown_path_is_answered_by_the_gateway(sam_client):
    response = sam_client.get("/nothing/here")
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.function is None
    assert response.event is None


def test_two_functions_with_the_same_module_name(sam_client):
    assert sam_client.get("/movies/3").json() == {"id": 3, "title": "Metropolis",
                                                  "module": "app.main"}
    assert sam_client.get("/casts/greeting").json() == {"greeting": "hello",
                                                        "module": "app.main"}
    assert sam_client.get("/movies/4").json()["title"] == "Metropolis"
    assert sam_client.get("/casts/4").json()["name"] == "Ada"


def test_handler_error_is_a_502_with_the_reason(sam_client):
    response = sam_client.get("/broken")
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    assert response.function == "BrokenFunction"
    assert "KeyError" in response.error and "action" in response.error


def test_timeout_is_a_502_with_lambdas_message(sam_client):
    response = sam_client.get("/slow")
    assert response.status_code == 502
    assert "Task timed out after 1.0" in response.error


def test_raw_invoke(sam_client):
    event = sam_client.get("/casts/7").event
    invocation = sam_client.invoke("CastFunction", event)
    assert invocation.error is None
    assert invocation.result["statusCode"] == 200
    assert invocation.cold is False
    failed = sam_client.invoke("BrokenFunction", {})
    assert failed.result is None
    assert failed.error["errorType"] == "KeyError"


def test_template_and_gateway_fixtures(sam_template, sam_gateway, sam_client):
    assert sorted(sam_template.functions) == ["BrokenFunction", "CastFunction",
                                              "MovieFunction", "SlowFunction"]
    assert sam_gateway.request("GET", "/casts/1").status == 200
"""

HTTP_TESTS = """\
def test_payload_2(sam_client):
    response = sam_client.get("/v2/items/5", params={"q": ["a", "b"]})
    assert response.status_code == 200
    assert response.json() == {"version": "v2", "id": 5, "q": ["a", "b"]}
    assert response.function == "V2Function"
    assert response.event["version"] == "2.0"
    assert response.event["routeKey"] == "ANY /v2/{proxy+}"


def test_payload_1(sam_client):
    response = sam_client.post("/v1/items", json={"name": "pen"})
    assert response.json() == {"version": "v1", "created": {"name": "pen"}}
    assert response.function == "V1Function"
    assert response.event["version"] == "1.0"
    assert response.event["httpMethod"] == "POST"


def test_cookies_reach_a_payload_2_app(sam_client):
    response = sam_client.get("/v2/items/1", cookies={"a": "1", "b": "2"})
    assert response.status_code == 200
    assert response.event["cookies"] == ["a=1", "b=2"]


def test_unknown_path_is_404(sam_client):
    response = sam_client.get("/v3/items/1")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
    assert response.function is None
"""


def test_rest_api(pytester: pytest.Pytester, rest_project: Path) -> None:
    pytester.makepyfile(test_rest=REST_TESTS)

    result = pytester.runpytest("--sam", "template.yaml")

    result.assert_outcomes(passed=REST_TESTS.count("\ndef test_") + 1)


def test_http_api_payload_1_and_2(pytester: pytest.Pytester, http_project: Path) -> None:
    pytester.makepyfile(test_http=HTTP_TESTS)

    result = pytester.runpytest("--sam", "template.yaml")

    result.assert_outcomes(passed=HTTP_TESTS.count("\ndef test_") + 1)


def test_parameter_and_stage_options(pytester: pytest.Pytester, rest_project: Path) -> None:
    pytester.makepyfile("""
        def test_parameter_reaches_the_environment(sam_template, sam_client):
            assert sam_template.parameters["Greeting"].value == "bonjour"
            assert sam_client.get("/casts/greeting").json()["greeting"] == "bonjour"


        def test_stage(sam_client):
            response = sam_client.get("/Dev/casts/7")
            assert response.status_code == 200
            assert response.event["requestContext"]["stage"] == "Dev"
    """)

    result = pytester.runpytest("--sam", "template.yaml", "--sam-parameter", "Greeting=bonjour",
                                "--sam-stage", "Dev")

    result.assert_outcomes(passed=2)


def test_failed_assertion_shows_the_response(pytester: pytest.Pytester,
                                             rest_project: Path) -> None:
    pytester.makepyfile("""
        def test_wrong(sam_client):
            response = sam_client.get("/casts/7")
            assert response.status_code == 404, response
    """)

    result = pytester.runpytest("--sam", "template.yaml")

    result.assert_outcomes(failed=1)
    assert "AssertionError: <Response [200 OK] from CastFunction>" in result.stdout.str()
