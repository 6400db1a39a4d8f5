"""Response snapshots: what they pin, how they compare, what a refresh writes."""

from __future__ import annotations

import json
from fnmatch import fnmatch
from pathlib import Path

import pytest

from sam_fastapi.gateway.snapshots import (
    SnapshotError,
    diff,
    dump,
    observe,
    read_snapshot,
    render,
    snapshot_path,
)

JSON = (("content-type", "application/json"), ("x-request-id", "r1"))


def test_snapshot_sits_beside_the_event() -> None:
    assert snapshot_path(Path("events/casts/get.json")) == Path("events/casts/get.response.json")


def test_new_snapshot_pins_status_content_type_and_json_body() -> None:
    snapshot = render(200, JSON, b'{"id": 1}', None)

    assert snapshot == {"status": 200, "headers": {"content-type": "application/json"},
                        "body": {"id": 1}}


def test_refresh_keeps_the_header_names_the_old_snapshot_listed() -> None:
    old = {"status": 201, "headers": {"X-Request-Id": "old"}, "body": "x"}

    assert render(200, JSON, b"[]", old) == {
        "status": 200, "headers": {"X-Request-Id": "r1"}, "body": [],
    }


def test_text_body_is_a_string_and_binary_is_base64() -> None:
    text = (("content-type", "text/plain"),)
    assert render(200, text, b'{"not": "json"}', None)["body"] == '{"not": "json"}'
    assert render(200, (), b"\xff\x00", None) == {"status": 200, "headers": {},
                                                   "bodyBase64": "/wA="}


def test_json_compares_as_json_not_as_text() -> None:
    pinned = {"status": 200, "body": {"b": 2, "a": 1}}

    assert diff(pinned, observe(200, JSON, b'{"a":1,"b":2}', pinned), "get.response.json") is None


def test_only_listed_headers_are_compared_by_name_case_insensitively() -> None:
    pinned = {"headers": {"Content-Type": "application/json"}}

    seen = observe(200, (*JSON, ("x-other", "ignored")), b"", pinned)

    assert seen == {"headers": {"Content-Type": "application/json"}}


def test_repeated_header_is_a_list_and_a_missing_one_is_null() -> None:
    headers = (("set-cookie", "a=1"), ("set-cookie", "b=2"))
    pinned = {"headers": {"set-cookie": None, "etag": None}}

    assert observe(200, headers, b"", pinned)["headers"] == {"set-cookie": ["a=1", "b=2"],
                                                            "etag": None}


def test_mismatch_is_a_unified_diff_from_snapshot_to_response() -> None:
    pinned = {"status": 200, "body": {"id": 1, "name": "Ada"}}

    text = diff(pinned, observe(404, JSON, b'{"detail": "gone"}', pinned), "get.response.json")

    assert text is not None
    assert text.startswith("--- get.response.json (snapshot)\n+++ response\n")
    assert '-    "id": 1,\n' in text
    assert '+    "detail": "gone"\n' in text
    assert '-  "status": 200\n+  "status": 404\n' in text


def test_dump_is_stable_and_keeps_unicode() -> None:
    assert dump({"body": "Zoë", "status": 200}) == '{\n  "body": "Zoë",\n  "status": 200\n}\n'


@pytest.mark.parametrize(("text", "message"), [
    ("{", "get.response.json: cannot read: *"),
    ("[]", "get.response.json: must be a JSON object with status, headers, body, bodyBase64"),
    ('{"stauts": 200}', "get.response.json: unknown key 'stauts' (known: *)"),
    ('{"headers": {"etag": 1}}', "get.response.json: headers must map names to a string*"),
])
def test_unusable_snapshot_says_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "get.response.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(SnapshotError) as excinfo:
        read_snapshot(path)

    assert fnmatch(str(excinfo.value), message), str(excinfo.value)


def test_read_snapshot_round_trips_dump(tmp_path: Path) -> None:
    path = tmp_path / "get.response.json"
    snapshot = render(200, JSON, json.dumps({"id": 1}).encode(), None)
    path.write_text(dump(snapshot), encoding="utf-8")

    assert read_snapshot(path) == snapshot
