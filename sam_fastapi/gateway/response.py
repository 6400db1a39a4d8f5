"""A Lambda result -> the HTTP response API Gateway sends, per payload format (APIGW-BEHAVIOR §4).

Payload 1.0 (REST, and HTTP API 1.0) must be a proxy response object; REST rejects unknown keys,
HTTP API ignores them. Payload 2.0 also accepts any JSON value without ``statusCode`` as the body
of a 200 ``application/json`` response. A result API Gateway would refuse raises
``InvalidResponse`` with the reason; the gateway then answers by itself (``answers``).
Results arrive decoded from JSON, so objects are plain ``dict``s.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
from dataclasses import dataclass
from typing import Any

Headers = tuple[tuple[str, str], ...]
_V1_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


class InvalidResponse(Exception):
    """The function's result is not a valid proxy response for its payload format."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Headers  # repeated names kept, in order
    body: bytes


def from_v1(result: Any, *, http_api: bool = False, binary_media_types: tuple[str, ...] = (),
            accept: str | None = None) -> HttpResponse:
    """A payload 1.0 proxy response (REST API, or HTTP API when ``http_api``)."""
    if not isinstance(result, dict):
        raise InvalidResponse(f"the function returned {_kind(result)}, not a proxy response "
                              "object with statusCode, headers and body")
    unknown = [] if _V1_KEYS.issuperset(result) else sorted(set(result) - _V1_KEYS)
    if unknown and not http_api:
        raise InvalidResponse(f"unexpected key(s) in the proxy response: {', '.join(unknown)} "
                              f"(allowed: {', '.join(sorted(_V1_KEYS))})")
    status = _status(result.get("statusCode", 200))
    headers = _merge_headers(result.get("headers"), result.get("multiValueHeaders"))
    if not any(k.lower() == "content-type" for k, _ in headers):
        # "API Gateway includes a Content-Type header for all integration responses".
        headers = (*headers, ("Content-Type", "application/json"))
    encoded = _flag(result.get("isBase64Encoded"))
    if encoded and not http_api:
        encoded = _binary_applies(headers, accept, binary_media_types)
    return HttpResponse(status, headers, _body(result.get("body"), encoded))


def from_v2(result: Any) -> HttpResponse:
    """A payload 2.0 response: a full response object, or any JSON value as the body."""
    if not isinstance(result, dict) or "statusCode" not in result:
        body = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, (("content-type", "application/json"),), body.encode("utf-8"))
    status = _status(result["statusCode"])
    headers = list(_merge_headers(result.get("headers"), None))
    cookies = result.get("cookies")
    if cookies is not None:
        if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
            raise InvalidResponse("cookies must be a list of strings")
        headers.extend(("set-cookie", c) for c in cookies)
    return HttpResponse(status, tuple(headers),
                        _body(result.get("body"), _flag(result.get("isBase64Encoded"))))


def _status(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        status = value
    elif isinstance(value, str) and value.strip().isdigit():
        status = int(value)
    else:
        raise InvalidResponse(f"statusCode {value!r} is not an HTTP status code")
    if not 100 <= status <= 599:
        raise InvalidResponse(f"statusCode {status} is not an HTTP status code")
    return status


def _merge_headers(single: Any, multi: Any) -> Headers:
    """``multiValueHeaders`` first, then ``headers`` values they do not already carry (§4.1)."""
    if single is not None and not isinstance(single, dict):
        raise InvalidResponse(f"headers must be an object, not {_kind(single)}")
    if multi is not None and not isinstance(multi, dict):
        raise InvalidResponse(f"multiValueHeaders must be an object, not {_kind(multi)}")
    merged: list[tuple[str, str]] = []
    for name, values in (multi or {}).items():
        if not isinstance(values, list):
            raise InvalidResponse(f"multiValueHeaders[{name!r}] must be a list")
        merged.extend((str(name), _header_value(name, v)) for v in values)
    if not single:
        return tuple(merged)
    seen = {(k.lower(), v) for k, v in merged}
    for name, value in single.items():
        value = _header_value(name, value)
        if (str(name).lower(), value) not in seen:
            merged.append((str(name), value))
    return tuple(merged)


def _header_value(name: Any, value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise InvalidResponse(f"header {name!r} has {_kind(value)} value, not a string")


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _body(value: Any, encoded: bool) -> bytes:
    if value is None:
        return b""
    if not isinstance(value, str):
        raise InvalidResponse(f"body must be a string, not {_kind(value)}")
    if not encoded:
        return value.encode("utf-8")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidResponse("isBase64Encoded is true but the body is not base64") from None


def _binary_applies(headers: Headers, accept: str | None,
                    binary_media_types: tuple[str, ...]) -> bool:
    """REST decodes a base64 body only for a binary media type (response type or first Accept)."""
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    candidates = [content_type.split(";")[0].strip().lower()]
    if accept:
        candidates.append(accept.split(",")[0].split(";")[0].strip().lower())
    return any(fnmatch.fnmatchcase(c, pattern.lower())
               for c in candidates if c for pattern in binary_media_types)


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
