"""Recorded events as tests: replayed through the template, skipped when not HTTP proxy events,
checked against snapshots."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CREATED = {"status": 201, "headers": {"content-type": "application/json"},
           "body": {"created": {"test": "body"}, "type": "application/json"}}


@pytest.fixture
def rest_events(rest_project: Path, write: Callable[[dict[str, str]], None],
                rest_event: Callable[..., str]) -> Path:
    write({
        "events/casts/get_cast.json": rest_event("GET", "/casts/7", "/casts/{proxy+}"),
        "events/casts/create_cast.json": rest_event("POST", "/casts", "/casts", keep_body=True),
    })
    return rest_project.parent / "events"


def test_proxy_events_pass_and_others_are_skipped_with_the_reason(
    pytester: pytest.Pytester, rest_events: Path, write: Callable[[dict[str, str]], None],
    recorded: Callable[[str], dict[str, Any]],
) -> None:
    write({
        "events/auth/token.json": json.dumps(recorded("authorizer.json")),
        "events/auth/http.json": json.dumps(recorded("apiGatewayAuthorizerV2Event.json")),
        "events/socket.json": json.dumps({"requestContext": {"eventType": "MESSAGE",
                                                             "connectionId": "abc=",
                                                             "routeKey": "$default"}}),
        "events/notes.json": "{not json",
        "events/list.json": "[]",
    })

    result = pytester.runpytest("--sam", "template.yaml", "-v", "-rs")

    result.assert_outcomes(passed=2, skipped=5)
    result.stdout.fnmatch_lines_random([
        "events/casts/create_cast.json::replay PASSED*",
        "events/casts/get_cast.json::replay PASSED*",
        "SKIPPED [1] events/auth/token.json: not an HTTP proxy event: "
        "REST TOKEN authorizer event",
        "SKIPPED [1] events/auth/http.json: not an HTTP proxy event: "
        "HTTP API Lambda authorizer event (payload 2.0)",
        "SKIPPED [1] events/socket.json: not an HTTP proxy event: WebSocket event",
        "SKIPPED ?1? events/notes.json: not an HTTP proxy event: invalid JSON (*line 1*)",
        "SKIPPED [1] events/list.json: not an HTTP proxy event: not a JSON object",
    ])


def test_payload_2_events_replay_on_an_http_api(
    pytester: pytest.Pytester, http_project: Path, write: Callable[[dict[str, str]], None],
    v2_event: Callable[[str, str, str], str],
) -> None:
    write({"events/items/create.json": v2_event("POST", "/v2/items", "ANY /v2/{proxy+}"),
           "events/items/create.response.json": json.dumps(
               {"status": 200, "body": {"version": "v2", "created": {"test": "body"}}})})

    result = pytester.runpytest("--sam", "template.yaml", "-v")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["events/items/create.json::replay PASSED*"])


def test_events_run_with_any_test_path_and_can_be_selected(
    pytester: pytest.Pytester, rest_events: Path, write: Callable[[dict[str, str]], None],
) -> None:
    write({"tests/test_plain.py": "def test_plain():\n    pass\n"})

    everything = pytester.runpytest("--sam", "template.yaml", "tests")
    one = pytester.runpytest("--sam", "template.yaml", "events/casts/get_cast.json::replay")

    everything.assert_outcomes(passed=3)
    one.assert_outcomes(passed=1)


def test_events_folder_option(pytester: pytest.Pytester, rest_project: Path,
                              write: Callable[[dict[str, str]], None],
                              rest_event: Callable[..., str]) -> None:
    write({"recorded/get.json": rest_event("GET", "/casts/7", "/casts/{proxy+}"),
           "events/ignored.json": "{not json"})

    result = pytester.runpytest("--sam", "template.yaml", "--sam-events", "recorded", "-v")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["sam events: recorded", "recorded/get.json::replay PASSED*"])


def test_handler_error_fails_with_the_functions_reason(
    pytester: pytest.Pytester, rest_project: Path, write: Callable[[dict[str, str]], None],
    rest_event: Callable[..., str],
) -> None:
    write({"events/broken.json": rest_event("GET", "/broken", "/broken"),
           "events/slow.json": rest_event("GET", "/slow", "/slow"),
           "events/boom.json": rest_event("GET", "/casts/boom", "/casts/{proxy+}"),
           "events/nowhere.json": rest_event("GET", "/nowhere", "/nowhere")})

    result = pytester.runpytest("--sam", "template.yaml")

    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines_random([
        "CastFunction answered 500: Internal Server Error",
        "the gateway answered 502: BrokenFunction failed: KeyError: *action*",
        "Traceback (from the function):",
        "*broken.py*line 2, in handler*",
        "the gateway answered 502: SlowFunction failed: *Task timed out after 1.0* seconds*",
        "the gateway answered 403 {*Missing Authentication Token*}: *",
    ])
    assert "replay.py" not in result.stdout.str()


def test_matching_snapshot_passes_and_a_mismatch_fails_with_a_diff(
    pytester: pytest.Pytester, rest_events: Path,
) -> None:
    (rest_events / "casts/create_cast.response.json").write_text(json.dumps(CREATED))
    (rest_events / "casts/get_cast.response.json").write_text(json.dumps(
        {"status": 200, "body": {"id": 7, "name": "Grace"}}))

    result = pytester.runpytest("--sam", "template.yaml")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*_ replay events/casts/get_cast.json _*",
        "the response differs from get_cast.response.json "
        "(--sam-snapshot-update accepts the new one):",
        "--- get_cast.response.json (snapshot)",
        "+++ response",
        "*",
        '-    "name": "Grace"',
        '+    "name": "Ada"',
    ])
    assert "Traceback" not in result.stdout.str()


def test_snapshot_update_writes_missing_and_refreshes_stale(pytester: pytest.Pytester,
                                                           rest_events: Path) -> None:
    stale = rest_events / "casts/get_cast.response.json"
    stale.write_text(json.dumps({"status": 404, "headers": {"Content-Length": "1"}, "body": "x"}))

    update = pytester.runpytest("--sam", "template.yaml", "--sam-snapshot-update")
    again = pytester.runpytest("--sam", "template.yaml")

    update.assert_outcomes(passed=2)
    update.stdout.fnmatch_lines_random([
        "*= sam snapshots =*",
        "wrote events/casts/create_cast.response.json",
        "updated events/casts/get_cast.response.json",
    ])
    assert json.loads((rest_events / "casts/create_cast.response.json").read_text()) == CREATED
    assert json.loads(stale.read_text()) == {"status": 200, "headers": {"Content-Length": "21"},
                                             "body": {"id": 7, "name": "Ada"}}
    again.assert_outcomes(passed=2)


def test_unusable_snapshot_fails_saying_why(pytester: pytest.Pytester, rest_events: Path) -> None:
    (rest_events / "casts/get_cast.response.json").write_text('{"stauts": 200}')

    result = pytester.runpytest("--sam", "template.yaml")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["get_cast.response.json: unknown key 'stauts' (known: *)",
                                 "(--sam-snapshot-update writes it again)"])
