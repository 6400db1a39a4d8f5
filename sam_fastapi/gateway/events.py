"""The events API Gateway sends to Lambda: one class per payload kind, as Mangum has one per source.

``RestEvent`` (REST API), ``HttpApiV1Event`` (HTTP API, payload 1.0) and ``HttpApiV2Event``
(HTTP API, payload 2.0) each own both directions: they build the event AWS sends for a routed
request, read a recorded one back (``infer``, ``method``, ``path``), and turn the function's
result into the HTTP response (``response``).
Field shapes follow the real events in APIGW-BEHAVIOR §3 and ``tests/data/events``.
"""

from __future__ import annotations

import base64
import fnmatch
import functools
import random
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, urlencode

from sam_fastapi.gateway.response import HttpResponse, from_v1, from_v2
from sam_fastapi.gateway.router import ApiInfo, Match

ACCOUNT_ID = "123456789012"
SOURCE_IP = "127.0.0.1"
#: Characters a client may send unescaped in a path; anything else is percent-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
#: A path ``quote`` would leave as it is (the common case, checked faster than quoting).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/%:@!$&'()*+,;=\-._~]*")
#: HTTP API passes these content types as text and base64-encodes every other body, forms
#: included (§3.4; unconfirmed in AWS's docs).
_HTTP_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


@dataclass(frozen=True)
class Request:
    """What the client sent, read once."""

    method: str
    path: str  # as sent, without the query; percent-encoding kept
    raw_query: str
    query: tuple[tuple[str, str], ...]  # decoded pairs, in order
    headers: tuple[tuple[str, str], ...]
    body: bytes
    time: float
    source_ip: str = SOURCE_IP

    @classmethod
    def build(cls, method: str, path: str, *,
              query: Sequence[tuple[str, str]] | Mapping[str, str] = (),
              headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
              body: bytes | str = b"", now: float | None = None) -> Request:
        path, _, raw_query = path.partition("#")[0].partition("?")
        if query:
            # A mapping is accepted where pairs are expected: what most callers have at hand.
            extra = urlencode(list(query.items()) if isinstance(query, Mapping) else list(query))
            raw_query = "&".join(q for q in (raw_query, extra) if q)
        if headers:
            pairs = headers.items() if isinstance(headers, Mapping) else headers
            headers = tuple((str(k), str(v)) for k, v in pairs)
        if not _PLAIN_PATH.fullmatch(path):
            path = quote(path, safe=_PATH_SAFE)
        return cls(
            method.upper(),
            "/" + path.lstrip("/"),
            raw_query,
            tuple(parse_qsl(raw_query, keep_blank_values=True)) if raw_query else (),
            tuple(headers),
            body.encode("utf-8") if isinstance(body, str) else bytes(body),
            time.time() if now is None else now,
        )

    def header(self, name: str) -> str | None:
        """The last value of a header, by case-insensitive name."""
        name = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == name:
                found = value
        return found


class EventKind:
    """One payload kind: how to build its event and how to read a recorded one."""

    payload_format_version: ClassVar[str]
    api_kind: ClassVar[str]  # "rest" or "http"
    name: ClassVar[str]

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    @classmethod
    def build(cls, request: Request, match: Match) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def response(cls, result: Any, api: ApiInfo, accept: str | None) -> HttpResponse:
        """The HTTP response API Gateway makes of the function's ``result`` (``accept``: the
        request's Accept header); ``response.InvalidResponse`` when it would refuse it."""
        raise NotImplementedError

    @classmethod
    def method(cls, event: Mapping[str, Any]) -> str:
        return str(event.get("httpMethod") or "GET")

    @classmethod
    def path(cls, event: Mapping[str, Any]) -> str:
        """The recorded request path, without the stage it was recorded on."""
        return _without_stage(event, str(event.get("path") or "/"))

    @classmethod
    def template(cls, event: Mapping[str, Any]) -> str | None:
        """The resource or route the recorded event names, if any."""
        resource = event.get("resource")
        return resource if isinstance(resource, str) else None


class RestEvent(EventKind):
    """REST API Lambda proxy event (no ``version`` field)."""

    payload_format_version = "1.0"
    api_kind = "rest"
    name = "REST API event"
    version: ClassVar[str | None] = None

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        return ("resource" in event and "httpMethod" in event and "requestContext" in event
                and "version" not in event and "type" not in event)

    @classmethod
    def path(cls, event: Mapping[str, Any]) -> str:
        return str(event.get("path") or "/")  # a REST event's path never carries the stage

    @classmethod
    def build(cls, request: Request, match: Match) -> dict[str, Any]:
        api = match.route.api
        headers = _with_gateway_headers(request, api.domain)
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for key, value in headers:
            single[key] = value
            multi.setdefault(key, []).append(value)
        query: dict[str, str] = {}
        multi_query: dict[str, list[str]] = {}
        for key, value in request.query:
            query[key] = value
            multi_query.setdefault(key, []).append(value)
        body, encoded = _body(request, cls._binary(request, api.binary_media_types))
        path = cls._event_path(match)
        user_agent = request.header("user-agent")
        event: dict[str, Any] = {
            "resource": match.route.path,
            "path": path,
            "httpMethod": request.method,
            "headers": single,
            "multiValueHeaders": multi,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": dict(match.path_parameters) or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": _short_id(match.route.path),
                "resourcePath": match.route.path,
                "httpMethod": request.method,
                "extendedRequestId": f"{random.getrandbits(64):016x}",
                "requestTime": _clf_time(request.time),
                "path": f"/{api.stage}{match.path}" if api.stage_prefix else match.path,
                "accountId": ACCOUNT_ID,
                "protocol": "HTTP/1.1",
                "stage": api.stage,
                "domainPrefix": api.api_id,
                "requestTimeEpoch": int(request.time * 1000),
                "requestId": request_id(),
                "identity": _identity(request.source_ip, user_agent),
                "domainName": api.domain,
                "deploymentId": _short_id(api.logical_id),
                "apiId": api.api_id,
            },
            "body": body,
            "isBase64Encoded": encoded,
        }
        if cls.version is not None:
            event = {"version": cls.version, **event}
            event["requestContext"]["authorizer"] = {"claims": None, "scopes": None}
        return event

    @classmethod
    def response(cls, result: Any, api: ApiInfo, accept: str | None) -> HttpResponse:
        return from_v1(result, binary_media_types=api.binary_media_types, accept=accept)

    @classmethod
    def _event_path(cls, match: Match) -> str:
        return "/" + match.path.lstrip("/")

    @classmethod
    def _binary(cls, request: Request, binary_media_types: tuple[str, ...]) -> bool:
        if not binary_media_types:
            return False
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        # "*/*" makes every body binary, with or without a content type.
        return any(pattern == "*/*" or fnmatch.fnmatchcase(content_type, pattern.lower())
                   for pattern in binary_media_types)


class HttpApiV1Event(RestEvent):
    """HTTP API event, payload format 1.0: the REST shape plus ``version``; path has the stage."""

    api_kind = "http"
    name = "HTTP API payload 1.0 event"
    version = "1.0"

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        return (event.get("version") == "1.0" and "httpMethod" in event
                and "requestContext" in event and "type" not in event)

    @classmethod
    def response(cls, result: Any, api: ApiInfo, accept: str | None) -> HttpResponse:
        return from_v1(result, http_api=True)

    @classmethod
    def _event_path(cls, match: Match) -> str:
        return match.route.api.stage_prefix + "/" + match.path.lstrip("/")

    @classmethod
    def _binary(cls, request: Request, binary_media_types: tuple[str, ...]) -> bool:
        return _http_api_binary(request)


class HttpApiV2Event(EventKind):
    """HTTP API event, payload format 2.0."""

    payload_format_version = "2.0"
    api_kind = "http"
    name = "HTTP API payload 2.0 event"

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        context = event.get("requestContext")
        return (event.get("version") == "2.0" and isinstance(context, Mapping)
                and "http" in context and "type" not in event)

    @classmethod
    def build(cls, request: Request, match: Match) -> dict[str, Any]:
        api = match.route.api
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for key, value in _with_gateway_headers(request, api.domain):
            key = key.lower()
            if key == "cookie":
                cookies.extend(c.strip() for c in value.split(";") if c.strip())
            elif key in headers:
                headers[key] = f"{headers[key]},{value}"
            else:
                headers[key] = value
        query: dict[str, str] = {}
        for key, value in request.query:
            query[key] = f"{query[key]},{value}" if key in query else value
        raw_path = api.stage_prefix + "/" + match.path.lstrip("/")
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": match.route.route_key,
            "rawPath": raw_path,
            "rawQueryString": request.raw_query,
        }
        if cookies:
            event["cookies"] = cookies
        event["headers"] = headers
        if query:
            event["queryStringParameters"] = query
        event["requestContext"] = {
            "accountId": ACCOUNT_ID,
            "apiId": api.api_id,
            "domainName": api.domain,
            "domainPrefix": api.api_id,
            "http": {
                "method": request.method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": f"{random.getrandbits(64):016x}",
            "routeKey": match.route.route_key,
            "stage": api.stage,
            "time": _clf_time(request.time),
            "timeEpoch": int(request.time * 1000),
        }
        if match.path_parameters:
            event["pathParameters"] = dict(match.path_parameters)
        if request.body:
            event["body"], event["isBase64Encoded"] = _body(request, _http_api_binary(request))
        else:
            event["isBase64Encoded"] = False
        return event

    @classmethod
    def response(cls, result: Any, api: ApiInfo, accept: str | None) -> HttpResponse:
        return from_v2(result)

    @classmethod
    def method(cls, event: Mapping[str, Any]) -> str:
        http = event["requestContext"].get("http")
        return str(http.get("method") if isinstance(http, Mapping) else "GET")

    @classmethod
    def path(cls, event: Mapping[str, Any]) -> str:
        return _without_stage(event, str(event.get("rawPath") or "/"))

    @classmethod
    def template(cls, event: Mapping[str, Any]) -> str | None:
        key = event.get("routeKey")
        if not isinstance(key, str):
            return None
        return key if key == "$default" else key.partition(" ")[2] or None


#: Tried in this order, as Mangum tries its handlers.
EVENT_KINDS: tuple[type[EventKind], ...] = (HttpApiV2Event, HttpApiV1Event, RestEvent)
#: The builder for each (API kind, payload format version).
BUILDERS: Mapping[tuple[str, str], type[EventKind]] = {
    ("rest", "1.0"): RestEvent,
    ("http", "1.0"): HttpApiV1Event,
    ("http", "2.0"): HttpApiV2Event,
}


def classify(event: Any) -> type[EventKind] | None:
    """The payload kind of a recorded HTTP proxy event; ``None`` for anything else."""
    if not isinstance(event, Mapping):
        return None
    for kind in EVENT_KINDS:
        if kind.infer(event):
            return kind
    return None


def describe_non_proxy(event: Any) -> str:
    """Why ``event`` is not an API Gateway HTTP proxy event, in a few words."""
    if not isinstance(event, Mapping):
        return "not a JSON object"
    kind = event.get("type")
    context = event.get("requestContext")
    context = context if isinstance(context, Mapping) else {}
    if kind == "TOKEN":
        return "REST TOKEN authorizer event"
    if kind == "REQUEST":
        if "routeArn" in event or event.get("version") == "2.0":
            return "HTTP API Lambda authorizer event (payload 2.0)"
        if event.get("version") == "1.0":
            return "HTTP API Lambda authorizer event (payload 1.0)"
        return "REST REQUEST authorizer event"
    if "connectionId" in context or "eventType" in context:
        return "WebSocket event"
    if "elb" in context:
        return "Application Load Balancer event"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        source = records[0].get("eventSource") or records[0].get("EventSource") or ""
        names = {"aws:s3": "S3", "aws:sqs": "SQS", "aws:sns": "SNS", "aws:dynamodb": "DynamoDB",
                 "aws:kinesis": "Kinesis"}
        return f"{names.get(source, source or 'unknown')} event"
    if "detail-type" in event and "source" in event:
        return "EventBridge event"
    if "version" in event and "requestContext" in event:
        return f"API Gateway event with unknown payload version {event['version']!r}"
    return "not an API Gateway proxy event (no resource/httpMethod or version/routeKey)"


def _without_stage(event: Mapping[str, Any], path: str) -> str:
    context = event.get("requestContext")
    stage = context.get("stage") if isinstance(context, Mapping) else None
    if isinstance(stage, str) and stage and stage != "$default":
        prefix = f"/{stage}"
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix):] or "/"
    return path


def _with_gateway_headers(request: Request, domain: str) -> list[tuple[str, str]]:
    """The client's headers plus those API Gateway adds when the client sent none."""
    added = _gateway_headers(domain, request.source_ip)
    if not request.headers:
        return list(added)
    headers = list(request.headers)
    present = {k.lower() for k, _ in headers}
    headers.extend((k, v) for k, v in added if k.lower() not in present)
    return headers


@functools.lru_cache(maxsize=64)
def _gateway_headers(domain: str, source_ip: str) -> tuple[tuple[str, str], ...]:
    return (("Host", domain), ("X-Forwarded-For", source_ip), ("X-Forwarded-Port", "443"),
            ("X-Forwarded-Proto", "https"))


def _body(request: Request, binary: bool) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    if not binary:
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            # Undecodable text cannot travel in a JSON event; base64 keeps it intact.
            pass
    return base64.b64encode(request.body).decode("ascii"), True


def _http_api_binary(request: Request) -> bool:
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if not content_type:
        return False
    return not any(content_type.startswith(t) for t in _HTTP_TEXT_TYPES)


def _identity(source_ip: str, user_agent: str | None) -> dict[str, Any]:
    return {
        "accessKey": None, "accountId": None, "caller": None,
        "cognitoAuthenticationProvider": None, "cognitoAuthenticationType": None,
        "cognitoIdentityId": None, "cognitoIdentityPoolId": None, "principalOrgId": None,
        "sourceIp": source_ip, "user": None, "userAgent": user_agent, "userArn": None,
    }


@functools.lru_cache(maxsize=1024)
def _short_id(seed: str, length: int = 6) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, seed).hex[:length]


def request_id() -> str:
    """A random UUID in its text form; ``uuid.uuid4()`` costs more and needs no more here."""
    text = f"{random.getrandbits(128):032x}"
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{text[16:20]}-{text[20:]}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _clf_time(epoch: float) -> str:
    return _clf_second(int(epoch))


@functools.lru_cache(maxsize=8)
def _clf_second(epoch: int) -> str:
    """``09/Apr/2015:12:34:56 +0000``, independent of the locale."""
    t = time.gmtime(epoch)
    return (f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000")
