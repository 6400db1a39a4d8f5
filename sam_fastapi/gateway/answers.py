"""What API Gateway answers by itself, per API kind (APIGW-BEHAVIOR §4.3, §5).

Every response the gateway makes without a function's result comes from here: no route,
a failed or timed-out integration, and the authorizers' refusals. REST APIs name the error
in ``x-amzn-ErrorType``; HTTP APIs send a bare lower-case ``content-type``.
"""

from __future__ import annotations

from sam_fastapi.gateway.response import HttpResponse

#: API Gateway's request payload quota (REST and HTTP APIs).
MAX_BODY_BYTES = 10 * 1024 * 1024


def no_route(http: bool) -> HttpResponse:
    """No route matches: REST says 403 Missing Authentication Token, HTTP APIs 404."""
    if http:
        return _http(404, b'{"message":"Not Found"}')
    return _rest(403, "MissingAuthenticationTokenException",
                 b'{"message":"Missing Authentication Token"}')


def integration_failed(http: bool) -> HttpResponse:
    """The function failed or answered something invalid: REST 502, HTTP APIs 500
    (APIGW-BEHAVIOR marks the HTTP API status unconfirmed)."""
    if http:
        return _http(500, b'{"message":"Internal Server Error"}')
    return _rest(502, "InternalServerErrorException", b'{"message": "Internal server error"}')


def body_too_large() -> HttpResponse:
    """A request body over API Gateway's 10 MB quota, before any routing (LWA-BEHAVIOR: REST
    observed; HTTP APIs unconfirmed, answered the same)."""
    return HttpResponse(413, (("Content-Type", "text; charset=utf-8"),),
                        f"HTTP content length exceeded {MAX_BODY_BYTES} bytes.".encode())


def event_too_large(http: bool) -> HttpResponse:
    """An event over Lambda's 6 MB invocation limit (LWA-BEHAVIOR: REST observed; HTTP APIs
    unconfirmed, answered 413 too, in their own message style)."""
    if http:
        return _http(413, b'{"message":"Request Too Long"}')
    return _rest(413, "BadRequestException", b'{"message": "Request Too Long"}')


def integration_timed_out(http: bool) -> HttpResponse:
    """The integration timeout passed first: REST 504, HTTP APIs 503."""
    if http:
        return _http(503, b'{"message":"Service Unavailable"}')
    return _rest(504, "InternalServerErrorException",
                 b'{"message": "Endpoint request timed out"}')


def unauthorized(http: bool) -> HttpResponse:
    """No identity, or one the authorizer refuses: 401."""
    if http:
        return _http(401, b'{"message":"Unauthorized"}')
    return _rest(401, "UnauthorizedException", b'{"message":"Unauthorized"}')


def forbidden(http: bool, *, explicit: bool = False) -> HttpResponse:
    """The policy does not allow the call (``explicit``: it denies it): 403."""
    if http:
        return _http(403, b'{"message":"Forbidden"}')
    message = "User is not authorized to access this resource"
    if explicit:
        message += " with an explicit deny"
    return _rest(403, "AccessDeniedException", b'{"Message":"' + message.encode() + b'"}')


def authorizer_failed(http: bool) -> HttpResponse:
    """The Lambda authorizer failed, timed out or answered something malformed: 500."""
    if http:
        return _http(500, b'{"message":"Internal Server Error"}')
    return _rest(500, "AuthorizerConfigurationException", b'{"message": null}')


def _http(status: int, body: bytes) -> HttpResponse:
    return HttpResponse(status, (("content-type", "application/json"),), body)


def _rest(status: int, error_type: str, body: bytes) -> HttpResponse:
    return HttpResponse(status, (("Content-Type", "application/json"),
                                 ("x-amzn-ErrorType", error_type)), body)
