"""Requests served by the gateway, written down as tests: ``serve --record DIR``.

Each exchange a function answered becomes ``DIR/get_casts_7_0001.json`` (method, path, a
counter that goes on from the files already there), the event exactly as the function got it,
and ``get_casts_7_0001.response.json`` beside it, the snapshot ``pytest --sam`` compares a replay
with (``snapshots``). Requests the gateway answered itself (no route) carry no event, and
server errors (5xx) would replay red by design: neither is written.

Secrets do not reach the files: the values of the redacted headers (``Authorization``,
``Cookie``, ``X-Api-Key`` by default, case-insensitive) become ``PLACEHOLDER`` wherever the event
carries them (single and multi-value headers, the HTTP API ``cookies`` list, the REST API key in
the request context); a cookie keeps its name so the app still sees which cookie came. The same
values are replaced in the response snapshot, where an app that echoes them would leak them, and
so a replay of the redacted event answers what the snapshot says (values shorter than six
characters are left there: they would match by chance).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sam_fastapi.gateway import Exchange
from sam_fastapi.gateway.snapshots import SUFFIX, dump, render, snapshot_path

__all__ = ["DEFAULT_REDACTED", "PLACEHOLDER", "Recorder", "redact_event"]

DEFAULT_REDACTED = ("authorization", "cookie", "x-api-key")
PLACEHOLDER = "REDACTED"
_COUNTER = re.compile(r"_(\d+)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
_MAX_SLUG = 60
#: Shorter values (a cookie "1") are not looked for in responses: they would match by chance.
_MIN_SECRET = 6


class Recorder:
    """Writes exchanges into a folder, numbered in the order they were served."""

    def __init__(self, folder: Path, *, redact: Iterable[str] = DEFAULT_REDACTED) -> None:
        self.folder = folder
        self.redact = frozenset(name.lower() for name in redact)
        self._lock = threading.Lock()
        self._counter = max((int(m.group(1)) for m in map(_counter_of, _events(folder)) if m),
                            default=0)

    def record(self, exchange: Exchange) -> Path | None:
        """Write the exchange's event and response snapshot; the event's path.

        None when nothing was written: the gateway answered without an event, or the answer
        was a server error (5xx), which ``pytest --sam`` reports as a failed replay.
        """
        if exchange.event is None or exchange.status >= 500:
            return None
        event, secrets = redact_event(exchange.event, self.redact)
        snapshot = _hide(render(exchange.status, exchange.headers, exchange.body, None), secrets)
        with self._lock:
            self._counter += 1
            name = f"{_slug(_method(event), _path(event))}_{self._counter:04d}.json"
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        # Key order kept: it is the order the app sees headers and query values in.
        path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        snapshot_path(path).write_text(dump(snapshot), encoding="utf-8")
        return path


def redact_event(event: dict[str, Any],
                 names: frozenset[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy of ``event`` with the named headers' values replaced, and what replaced what."""
    secrets: dict[str, str] = {}
    if not names:
        return event, secrets
    event = json.loads(json.dumps(event))

    def hide(name: str, value: str) -> str:
        if not value or value == PLACEHOLDER:
            return value
        hidden = PLACEHOLDER
        if name == "cookie":
            hidden = "; ".join(_hide_cookie(c, secrets) for c in value.split(";") if c.strip())
        secrets[value] = hidden
        return hidden

    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key)
        if not isinstance(headers, dict):
            continue
        for name, value in headers.items():
            lowered = str(name).lower()
            if lowered not in names:
                continue
            if isinstance(value, list):
                headers[name] = [hide(lowered, str(v)) for v in value]
            elif isinstance(value, str):
                headers[name] = hide(lowered, value)
    if "cookie" in names and isinstance(event.get("cookies"), list):
        event["cookies"] = [_hide_cookie(str(c), secrets) for c in event["cookies"]]
    identity = (event.get("requestContext") or {}).get("identity")
    if "x-api-key" in names and isinstance(identity, dict) and identity.get("apiKey"):
        secrets[str(identity["apiKey"])] = PLACEHOLDER
        identity["apiKey"] = PLACEHOLDER
    return event, secrets


def _hide_cookie(cookie: str, secrets: dict[str, str]) -> str:
    name, sep, value = cookie.strip().partition("=")
    if not sep:
        secrets[name] = PLACEHOLDER
        return PLACEHOLDER
    if value and value != PLACEHOLDER:
        secrets[value] = PLACEHOLDER
    secrets[cookie.strip()] = f"{name}={PLACEHOLDER}"
    return f"{name}={PLACEHOLDER}"


def _hide(value: Any, secrets: dict[str, str]) -> Any:
    """``value`` (a rendered snapshot or part of it) with the secrets replaced: a string that
    is one entirely, or contains one long enough not to match by chance."""
    if isinstance(value, dict):
        return {k: _hide(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide(v, secrets) for v in value]
    if not isinstance(value, str) or not secrets:
        return value
    if value in secrets:
        return secrets[value]
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _MIN_SECRET and secret in value:
            value = value.replace(secret, secrets[secret])
    return value


def _method(event: dict[str, Any]) -> str:
    context = event.get("requestContext") or {}
    http = context.get("http") if isinstance(context, dict) else None
    if isinstance(http, dict) and http.get("method"):
        return str(http["method"])
    return str(event.get("httpMethod") or "GET")


def _path(event: dict[str, Any]) -> str:
    return str(event.get("rawPath") or event.get("path") or "/")


def _slug(method: str, path: str) -> str:
    words = _UNSAFE.sub("_", path).strip("_")[:_MAX_SLUG].strip("_") or "root"
    return f"{method.lower()}_{words}"


def _events(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.glob("*.json") if not p.name.endswith(SUFFIX)]


def _counter_of(path: Path) -> re.Match[str] | None:
    return _COUNTER.search(path.stem)
