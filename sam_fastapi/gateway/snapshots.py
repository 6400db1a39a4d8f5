"""Response snapshots: ``NAME.response.json`` beside a recorded event ``NAME.json``.

A snapshot pins what it lists and nothing else::

    {
      "status": 200,
      "headers": {"content-type": "application/json"},
      "body": {"id": 1, "name": "Ada"}
    }

A JSON body (by its content type) is kept and compared as JSON, any other text as a string, and
a body that is not UTF-8 as ``bodyBase64``. Headers are compared by name, case-insensitively,
and only the ones the snapshot lists; a header sent several times is a list of its values.
"""

from __future__ import annotations

import base64
import difflib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SUFFIX = ".response.json"
_KEYS = ("status", "headers", "body", "bodyBase64")
_BODY_KEYS = ("body", "bodyBase64")


class SnapshotError(Exception):
    """A snapshot file that cannot be used; the message says why."""


def snapshot_path(event_path: Path) -> Path:
    """``casts/get.json`` -> ``casts/get.response.json``."""
    return event_path.with_name(event_path.stem + SUFFIX)


def read_snapshot(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SnapshotError(f"{path.name}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise SnapshotError(f"{path.name}: must be a JSON object with {', '.join(_KEYS)}")
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise SnapshotError(f"{path.name}: unknown key {unknown[0]!r} (known: {', '.join(_KEYS)})")
    headers = data.get("headers", {})
    if not isinstance(headers, dict) or not all(_is_header_value(v) for v in headers.values()):
        raise SnapshotError(
            f"{path.name}: headers must map names to a string, a list of strings or null"
        )
    return data


def observe(status: int, headers: Sequence[tuple[str, str]], body: bytes,
            pinned: Mapping[str, Any]) -> dict[str, Any]:
    """The response seen through a snapshot: the same keys and header names it pins."""
    seen: dict[str, Any] = {}
    if "status" in pinned:
        seen["status"] = status
    if "headers" in pinned:
        seen["headers"] = {name: _header_value(headers, name) for name in pinned["headers"]}
    if any(key in pinned for key in _BODY_KEYS):
        seen.update(_body(headers, body))
    return seen


def render(status: int, headers: Sequence[tuple[str, str]], body: bytes,
           previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """The snapshot to write: a refresh pins what the old one pinned, a new one the status,
    the content type and the body."""
    if previous is None:
        names = [] if _header_value(headers, "content-type") is None else ["content-type"]
        previous = {"status": None, "headers": dict.fromkeys(names), "body": None}
    return observe(status, headers, body, previous)


def diff(expected: Mapping[str, Any], actual: Mapping[str, Any], name: str) -> str | None:
    """A unified diff from the snapshot to the response, or ``None`` when they agree."""
    if dict(expected) == actual:
        return None
    return "".join(difflib.unified_diff(
        dump(expected).splitlines(keepends=True),
        dump(actual).splitlines(keepends=True),
        fromfile=f"{name} (snapshot)",
        tofile="response",
    ))


def dump(snapshot: Mapping[str, Any]) -> str:
    return json.dumps(snapshot, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _body(headers: Sequence[tuple[str, str]], body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {"bodyBase64": base64.b64encode(body).decode("ascii")}
    content_type = _header_value(headers, "content-type") or ""
    if isinstance(content_type, list):
        content_type = content_type[0]
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            return {"body": json.loads(text)}
        except ValueError:
            pass
    return {"body": text}


def _header_value(headers: Sequence[tuple[str, str]], name: str) -> str | list[str] | None:
    values = [v for k, v in headers if k.lower() == name.lower()]
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _is_header_value(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    return value is None or isinstance(value, str)
