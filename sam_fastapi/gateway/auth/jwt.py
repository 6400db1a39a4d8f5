"""JWT (HTTP API) and Cognito user pool (REST) authorizers, without the internet.

AWS checks a token's signature against the issuer's published keys; here nothing is fetched.
A test either passes the claims themselves (``claims=``: taken as verified, so only ``exp``
when present and the route's scopes are checked) or a token signed
with the gateway's local key (HS256, the standard library's HMAC: no extra dependency), which
is checked as API Gateway checks a real one: signature, ``exp``, ``nbf``, ``iat``, ``iss``,
``aud``/``client_id`` and scopes (§5.5).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any


class InvalidToken(ValueError):
    """The token is not one the authorizer accepts (API Gateway answers 401)."""


class MissingScope(ValueError):
    """The token is valid but lacks every scope the route requires (API Gateway answers 403)."""


def sign(claims: Mapping[str, Any], key: bytes) -> str:
    """A compact HS256 JWT carrying ``claims``, signed with ``key``."""
    header = _encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _encode(json.dumps(dict(claims), separators=(",", ":")).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_encode(signature)}"


def verify(token: str, key: bytes) -> dict[str, Any]:
    """The claims of an HS256 token signed with ``key``; ``InvalidToken`` otherwise."""
    token = token.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a JWT (three dot-separated parts)")
    header = _decode_json(parts[0], "header")
    if header.get("alg") != "HS256":
        raise InvalidToken(f"alg {header.get('alg')!r} cannot be checked locally (HS256 only)")
    expected = hmac.new(key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _decode(parts[2], "signature")):
        raise InvalidToken("bad signature")
    return _decode_json(parts[1], "payload")


def check_claims(claims: Mapping[str, Any], *, now: float, issuer: str | None = None,
                 audience: tuple[str, ...] = (), scopes: tuple[str, ...] = ()) -> None:
    """Raise ``InvalidToken`` or ``MissingScope`` as API Gateway would reject the claims."""
    for name, late in (("exp", True), ("nbf", False), ("iat", False)):
        value = claims.get(name)
        if value is None:
            if name == "exp" and issuer is not None:
                raise InvalidToken("no exp claim")
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise InvalidToken(f"{name} is not a number")
        if late and now >= value:
            raise InvalidToken("expired")
        if not late and value > now:
            raise InvalidToken(f"{name} is in the future")
    if issuer is not None and claims.get("iss") != issuer:
        raise InvalidToken(f"iss {claims.get('iss')!r} is not {issuer!r}")
    if audience:
        aud = claims.get("aud", claims.get("client_id"))
        given = aud if isinstance(aud, list) else [aud]
        if not any(a in audience for a in given):
            raise InvalidToken(f"aud {aud!r} is none of {list(audience)}")
    if scopes:
        granted = token_scopes(claims)
        if not any(s in granted for s in scopes):
            raise MissingScope(f"scopes {granted} include none of {list(scopes)}")


def token_scopes(claims: Mapping[str, Any]) -> list[str]:
    """The scopes a token grants (``scope`` space-separated, or ``scp`` as a list)."""
    scope = claims.get("scope", claims.get("scp"))
    if isinstance(scope, str):
        return scope.split()
    if isinstance(scope, list):
        return [str(s) for s in scope]
    return []


def stringified(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway puts them in the event: every value a string, lists as
    ``[a b]`` (unconfirmed for lists; numbers and booleans as their JSON text)."""
    out = {}
    for name, value in claims.items():
        if isinstance(value, str):
            out[name] = value
        elif isinstance(value, list):
            out[name] = "[" + " ".join(str(v) for v in value) + "]"
        else:
            out[name] = json.dumps(value)
    return out


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str, part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken(f"the {part} is not base64url") from None


def _decode_json(text: str, part: str) -> dict[str, Any]:
    try:
        value = json.loads(_decode(text, part))
    except (UnicodeDecodeError, ValueError):
        raise InvalidToken(f"the {part} is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidToken(f"the {part} is not a JSON object")
    return value
