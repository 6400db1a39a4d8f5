"""Requests served by the gateway, written down as tests: ``serve --record DIR``.

Each exchange a function answered becomes ``DIR/get_casts_7_0001.json`` (method, path, a
counter that goes on from the files already there), the event exactly as the function got it,
and ``get_casts_7_0001.response.json`` beside it, the snapshot ``pytest --sam`` compares a replay
with (``snapshots``). Requests the gateway answered itself (no route) carry no event, and
server errors (5xx) would replay red by design: neither is written.

Secrets do not reach the files. What is known to be one: the values of the redacted headers
(``Authorization``, ``Proxy-Authorization``, ``Cookie``, ``X-Api-Key``, ``X-Amz-Security-Token``
by default, case-insensitive; of a ``Bearer``/``Basic`` value the token too), each cookie's
value, query parameters whose names say credential (``api_key``, ``access_token``, ``token``,
``client_secret``, ``password``, ``X-Amz-Signature``...) and the REST API key in the request
context. Every occurrence of such a value, anywhere in the event and in the response snapshot,
becomes ``PLACEHOLDER``: bare, URL-encoded or base64-encoded, and inside a base64-encoded body
(decoded, redacted, encoded again). A cookie keeps its name, so the app still sees which cookie
came, and a replay of the redacted event answers what the snapshot says. Values shorter than six
characters are replaced only where they are the whole value: inside other text they would match
by chance.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import threading
import urllib.parse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sam_fastapi.gateway import Exchange
from sam_fastapi.gateway.snapshots import SUFFIX, dump, render, snapshot_path

__all__ = ["DEFAULT_REDACTED", "PLACEHOLDER", "Recorder", "Secrets", "redact_event"]

DEFAULT_REDACTED = ("authorization", "proxy-authorization", "cookie", "x-api-key",
                    "x-amz-security-token")
PLACEHOLDER = "REDACTED"
_COUNTER = re.compile(r"_(\d+)$")
_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
_MAX_SLUG = 60
#: Shorter values (a cookie "1") are not looked for inside other text: they would match by chance.
_MIN_SECRET = 6
#: Query parameter names that carry credentials (compared lower-case, ``-`` read as ``_``).
_CREDENTIAL_NAME = re.compile(
    r"token|secret|passw|pwd|api_?key|access_?key|signature|credential|session|auth|^key$|^sig$")
#: Authorization schemes whose token is a secret of its own (an app may echo it bare).
_SCHEMES = frozenset({"bearer", "basic", "token", "digest", "aws4-hmac-sha256"})


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
        body = secrets.hide_bytes(exchange.body)
        snapshot = secrets.hide(render(exchange.status, exchange.headers, body, None))
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


class Secrets:
    """Known secret values and what replaces each, applied to any JSON value or bytes."""

    def __init__(self) -> None:
        self.whole: dict[str, str] = {}  # a string that is exactly this -> its replacement
        self.inside: dict[str, str] = {}  # text found inside others -> its replacement

    def __bool__(self) -> bool:
        return bool(self.whole)

    def add(self, value: str, replacement: str = PLACEHOLDER) -> None:
        if not value or value == PLACEHOLDER or value in self.whole:
            return
        self.whole[value] = replacement
        if len(value) < _MIN_SECRET:
            return
        self.inside[value] = replacement
        for form in _encodings(value):
            self.inside.setdefault(form, PLACEHOLDER)

    def hide(self, value: Any) -> Any:
        """``value`` with every secret replaced (a copy; dict keys are kept)."""
        if isinstance(value, dict):
            return {k: self.hide(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.hide(v) for v in value]
        if not isinstance(value, str) or not self.whole:
            return value
        if value in self.whole:
            return self.whole[value]
        for secret in sorted(self.inside, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, self.inside[secret])
        return value

    def hide_bytes(self, data: bytes) -> bytes:
        for secret in sorted(self.inside, key=len, reverse=True):
            encoded = secret.encode("utf-8")
            if encoded in data:
                data = data.replace(encoded, self.inside[secret].encode("utf-8"))
        return data


def redact_event(event: dict[str, Any], names: frozenset[str]) -> tuple[dict[str, Any], Secrets]:
    """A copy of ``event`` with every known secret's value replaced, and the secrets."""
    secrets = Secrets()
    if not names:
        return event, secrets
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key)
        if isinstance(headers, dict):
            for name, values in headers.items():
                lowered = str(name).lower()
                if lowered in names:
                    for value in values if isinstance(values, list) else [values]:
                        _header_secrets(lowered, str(value), secrets)
    if "cookie" in names and isinstance(event.get("cookies"), list):
        _cookie_secrets("; ".join(map(str, event["cookies"])), secrets)
    for key in ("queryStringParameters", "multiValueQueryStringParameters"):
        query = event.get(key)
        if isinstance(query, dict):
            for name, values in query.items():
                if _CREDENTIAL_NAME.search(str(name).lower().replace("-", "_")):
                    for value in values if isinstance(values, list) else [values]:
                        # HTTP APIs join repeated values with commas.
                        parts = str(value).split(",") if key == "queryStringParameters" else []
                        for part in {str(value), *parts}:
                            _query_secrets(str(name), part, secrets)
    identity = (event.get("requestContext") or {}).get("identity")
    if "x-api-key" in names and isinstance(identity, dict) and identity.get("apiKey"):
        secrets.add(str(identity["apiKey"]))
    if not secrets:
        return event, secrets
    redacted = secrets.hide(json.loads(json.dumps(event)))
    body = redacted.get("body")
    if redacted.get("isBase64Encoded") is True and isinstance(body, str):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return redacted, secrets
        redacted["body"] = base64.b64encode(secrets.hide_bytes(raw)).decode("ascii")
    return redacted, secrets


def _header_secrets(name: str, value: str, secrets: Secrets) -> None:
    if name == "cookie":
        _cookie_secrets(value, secrets)
        return
    secrets.add(value)
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() in _SCHEMES and token.strip():
        secrets.add(token.strip())
        if scheme.lower() == "basic":
            with contextlib.suppress(binascii.Error, ValueError):
                _user, _, password = base64.b64decode(token.strip(), validate=True).decode(
                    "utf-8").partition(":")
                secrets.add(password)


def _query_secrets(name: str, value: str, secrets: Secrets) -> None:
    """The value, and ``name=value`` as the raw query string carries it (a short value too)."""
    secrets.add(value)
    hidden = f"{urllib.parse.quote_plus(name)}={PLACEHOLDER}"
    for form in {value, urllib.parse.quote_plus(value), urllib.parse.quote(value, safe="")}:
        if form:
            secrets.inside.setdefault(f"{urllib.parse.quote_plus(name)}={form}", hidden)


def _cookie_secrets(header: str, secrets: Secrets) -> None:
    """Each cookie's value is a secret; ``name=value`` becomes ``name=REDACTED``."""
    for cookie in header.split(";"):
        name, sep, value = cookie.strip().partition("=")
        if not sep:
            secrets.add(name)
            continue
        if value and value != PLACEHOLDER:
            secrets.add(f"{name}={value}", f"{name}={PLACEHOLDER}")
            secrets.add(value)
    if ";" in header:
        # The whole header, once every cookie in it is redacted.
        secrets.whole.setdefault(header, "; ".join(
            secrets.whole.get(c.strip(), c.strip()) for c in header.split(";") if c.strip()))


def _encodings(value: str) -> set[str]:
    """How an app or a client may carry ``value`` inside other text: URL-encoded, base64."""
    raw = value.encode("utf-8")
    forms = {urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        forms.add(encode(raw).decode("ascii").rstrip("="))
    forms.discard(value)
    return {form for form in forms if len(form) >= _MIN_SECRET}


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
