"""``sam_client``: requests in, responses out, through the template's API events.

Modelled on Chalice's test client and httpx's names (``status_code``, ``headers``, ``text``,
``content``, ``json()``). The client only encodes what the caller gives it; routing, event
building and invocation are the gateway's.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from sam_fastapi.gateway import Exchange, Gateway, Invocation

Pairs = Mapping[str, Any] | Sequence[tuple[str, Any]]


class Headers(Mapping[str, str]):
    """Response headers: names are case-insensitive and repeated values are kept in order.

    ``headers["set-cookie"]`` joins repeated values with ``", "`` as httpx does; use
    ``get_list`` (or its alias ``getall``) to see them one by one.
    """

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = tuple(items)

    def get_list(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self._items if key.lower() == name]

    getall = get_list

    def multi_items(self) -> list[tuple[str, str]]:
        """Every (name, value) pair as the response sent it."""
        return list(self._items)

    def __getitem__(self, name: str) -> str:
        values = self.get_list(name)
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key.lower() for key, _ in self._items))

    def __len__(self) -> int:
        return len({key.lower() for key, _ in self._items})

    def __repr__(self) -> str:
        return f"Headers({list(self._items)!r})"


class Response:
    """What the client got back, and which function served it with which event."""

    def __init__(self, exchange: Exchange) -> None:
        self.status_code: int = exchange.status
        self.headers = Headers(exchange.headers)
        self.content: bytes = exchange.body
        self.function: str | None = exchange.function
        self.event: dict | None = exchange.event
        self.invocation: Invocation | None = exchange.invocation
        self.error: str | None = exchange.error

    @property
    def reason_phrase(self) -> str:
        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return ""

    @property
    def encoding(self) -> str:
        content_type = self.headers.get("content-type", "")
        for part in content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip('"')
        return "utf-8"

    @property
    def text(self) -> str:
        try:
            return self.content.decode(self.encoding, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    def __repr__(self) -> str:
        served = f" from {self.function}" if self.function else " from the gateway"
        # Why the gateway answered by itself, so that a failed assertion on the status says it.
        why = f" ({self.error})" if self.error and self.status_code >= 500 else ""
        return f"<Response [{self.status_code} {self.reason_phrase}]{served}{why}>"


class SamClient:
    """Send requests as a client of the deployed API would; paths are those after the stage
    (``/casts/1``), and ``/Prod/casts/1`` is accepted too, as is a query (``/casts?page=2``)
    before ``params``."""

    def __init__(self, gateway: Gateway, *, authorize: bool = True,
                 headers: Pairs | None = None) -> None:
        self.gateway = gateway
        self.authorize = authorize
        self.headers = _pairs(headers)

    def __repr__(self) -> str:
        return f"<SamClient {self.gateway.project.template_path.name}>"

    def without_auth(self) -> SamClient:
        """A client whose requests skip every authorizer, for tests that do not care."""
        return SamClient(self.gateway, authorize=False, headers=self.headers)

    def with_headers(self, headers: Pairs) -> SamClient:
        """A client that sends ``headers`` with every request (``Authorization``...); a
        request's own headers of the same name replace them."""
        return SamClient(self.gateway, authorize=self.authorize,
                         headers=[*self.headers, *_pairs(headers)])

    def token(self, claims: Mapping[str, Any]) -> str:
        """A JWT carrying ``claims``, signed with the gateway's local key: JWT and Cognito
        authorizers accept it as a real one (send it as ``Authorization: Bearer <token>``)."""
        return self.gateway.authorizers.token(claims)

    def clear_auth_cache(self) -> None:
        """Forget cached authorizer answers (the ``sam_client`` fixture starts with none)."""
        self.gateway.authorizers.cache.clear()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Pairs | None = None,
        headers: Pairs | None = None,
        cookies: Mapping[str, str] | None = None,
        json: Any = None,
        data: Pairs | str | bytes | None = None,
        content: str | bytes | None = None,
        api_id: str | None = None,
        claims: Mapping[str, Any] | None = None,
        auth: bool | None = None,
    ) -> Response:
        """Send one request; ``api_id`` picks the API when several serve the same path.

        ``claims`` are taken as a verified JWT/Cognito token's claims; ``auth=False`` skips
        the route's authorizer (default: the client's, see ``without_auth``). A template
        without an API raises ``GatewayError`` saying so: use ``invoke`` there.
        """
        __tracebackhide__ = True
        reason = self.gateway.nothing_to_route
        if reason is not None:
            from sam_fastapi.gateway import GatewayError

            raise GatewayError(f"sam_client.{method.lower()}({path!r}): {reason}; call them "
                               "with sam_client.invoke(logical_id, event)")
        header_pairs = _pairs(headers)
        given = {k.lower() for k, _ in header_pairs}
        header_pairs[0:0] = [(k, v) for k, v in self.headers if k.lower() not in given]
        body, content_type = _body(json=json, data=data, content=content)
        if content_type and not any(k.lower() == "content-type" for k, _ in header_pairs):
            header_pairs.append(("content-type", content_type))
        if cookies:
            header_pairs.append(("cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
        from sam_fastapi.gateway import GatewayError

        try:
            exchange = self.gateway.request(
                method.upper(), path if path.startswith("/") else f"/{path}",
                query=_pairs(params), headers=header_pairs, body=body, api_id=api_id,
                claims=claims, authorize=self.authorize if auth is None else auth,
            )
        except GatewayError as exc:
            # Raised again here, where the traceback is hidden: the test's line shows, with
            # the cause, and no frame of the gateway's own.
            raise GatewayError(str(exc)) from None
        return Response(exchange)

    def get(self, path: str, **kwargs: Any) -> Response:
        __tracebackhide__ = True
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> Response:
        __tracebackhide__ = True
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Response:
        __tracebackhide__ = True
        return self.request("OPTIONS", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        __tracebackhide__ = True
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Response:
        __tracebackhide__ = True
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        __tracebackhide__ = True
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        __tracebackhide__ = True
        return self.request("DELETE", path, **kwargs)

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        """Invoke a function directly with any event, as ``aws lambda invoke`` would."""
        __tracebackhide__ = True
        from sam_fastapi.gateway import GatewayError

        try:
            return self.gateway.invoke(logical_id, event)
        except GatewayError as exc:
            raise GatewayError(str(exc)) from None


def _pairs(values: Pairs | None) -> list[tuple[str, str]]:
    """Pairs from a mapping or a list of pairs; a list value stands for a repeated key."""
    if not values:
        return []
    items = values.items() if isinstance(values, Mapping) else values
    pairs = []
    for key, value in items:
        if isinstance(value, list | tuple):
            pairs.extend((str(key), _text(v)) for v in value)
        else:
            pairs.append((str(key), _text(value)))
    return pairs


def _text(value: Any) -> str:
    """As httpx writes primitive values: ``true``/``false``, and ``None`` as empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _body(*, json: Any, data: Pairs | str | bytes | None,
          content: str | bytes | None) -> tuple[bytes, str | None]:
    """The request body and the content type it implies (``None``: leave it to the caller)."""
    given = [name for name, v in (("json", json), ("data", data), ("content", content))
             if v is not None]
    if len(given) > 1:
        raise TypeError(f"pass only one of json=, data= and content= (got {', '.join(given)})")
    if json is not None:
        return jsonlib.dumps(json).encode(), "application/json"
    if isinstance(data, str | bytes):
        content = data
    elif data is not None:
        return urlencode(_pairs(data)).encode(), "application/x-www-form-urlencoded"
    if content is None:
        return b"", None
    return (content.encode() if isinstance(content, str) else content), None
