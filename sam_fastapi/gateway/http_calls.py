"""Opt-in: a function's HTTP calls to the template's own APIs, answered in-process.

The FastAPI microservice pattern has one service call another through the API's URL. In tests
those calls can go through the gateway (authorizers, routing, the other function's isolated
instance) instead of the network, with the HTTP libraries' own extension points: an ``httpx``
transport (``transport()`` / ``async_transport()``) and a ``requests`` adapter
(``adapter()``), both sending requests for an API's host
(``{api id}.execute-api.{region}.amazonaws.com``, see ``api_url``) to the gateway whose
handler is running, and anything else to the network as usual.

The function opts in itself, since only it makes its client; it imports sam-fastapi only when
``SAM_FASTAPI_HTTP_CALLS`` is set (by the test run), so nothing changes in Lambda::

    transport = None
    if os.environ.get("SAM_FASTAPI_HTTP_CALLS"):
        from sam_fastapi.gateway.http_calls import transport as local_transport
        transport = local_transport()
    cast_api = httpx.Client(base_url=os.environ["CAST_API_URL"], transport=transport)

The call runs inside the calling handler's invocation, as a nested call (see ``invoker``), so
it cannot deadlock on the process-wide lock. A function in a sandbox process (``serve``,
``--sam-isolation=process``) gets ``SAM_FASTAPI_HTTP_CALLS`` from the shell and the APIs'
hosts from its parent; its requests for them are sent to the parent, whose gateway answers
them within the caller's invocation.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from sam_fastapi.gateway.errors import GatewayError
from sam_fastapi.gateway.running import waiting_caller

if TYPE_CHECKING:
    from sam_fastapi.gateway import Gateway

#: The environment variable with which a test run tells functions to opt in.
OPT_IN = "SAM_FASTAPI_HTTP_CALLS"


class Answer(Protocol):
    """What the gateway answers (an ``Exchange``; from a sandbox, ``runtime.worker.Answer``)."""

    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes


def api_url(gateway: Gateway, api_id: str | None = None) -> str:
    """The base URL of an API as deployed (``https://{id}.execute-api.{region}...{/stage}``):
    what a function's code would be given, and what the transports route in-process."""
    tables = gateway.router.apis
    if api_id is None:
        if not tables:
            raise GatewayError(gateway.nothing_to_route or "the template has no API")
        api_id = next(iter(tables))
    if api_id not in tables:
        raise GatewayError(f"no API {api_id!r} with routes (APIs: {', '.join(tables)})")
    api = tables[api_id].api
    return f"https://{api.domain}{api.stage_prefix}"


def route(method: str, url: str, headers: list[tuple[str, str]],
          body: bytes) -> Answer | None:
    """Send the request through the running handler's gateway if ``url`` is one of its APIs
    (from a sandbox process: through the gateway of its parent process)."""
    running = waiting_caller()
    gateway = running.gateway if running is not None else None
    if gateway is None:
        return None
    parts = urlsplit(url)
    api_id = gateway.api_hosts.get((parts.hostname or "").lower())
    if api_id is None:
        return None
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return gateway.request(method, path, headers=headers, body=body, api_id=api_id)


def transport() -> Any:
    """An ``httpx.BaseTransport``: the APIs' hosts in-process, other hosts over the network."""
    import httpx

    class GatewayTransport(httpx.BaseTransport):
        def __init__(self) -> None:
            self.network = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            exchange = route(request.method, str(request.url),
                             list(request.headers.multi_items()), request.read())
            if exchange is None:
                return self.network.handle_request(request)
            return httpx.Response(exchange.status, headers=list(exchange.headers),
                                  content=exchange.body)

        def close(self) -> None:
            self.network.close()

    return GatewayTransport()


def async_transport() -> Any:
    """An ``httpx.AsyncBaseTransport`` for ``httpx.AsyncClient``; the gateway answers
    synchronously (the other function runs on its own thread meanwhile)."""
    import httpx

    class AsyncGatewayTransport(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.network = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            exchange = route(request.method, str(request.url),
                             list(request.headers.multi_items()), await request.aread())
            if exchange is None:
                return await self.network.handle_async_request(request)
            return httpx.Response(exchange.status, headers=list(exchange.headers),
                                  content=exchange.body)

        async def aclose(self) -> None:
            await self.network.aclose()

    return AsyncGatewayTransport()


def adapter() -> Any:
    """A ``requests`` transport adapter to mount on a session (``session.mount("https://",
    adapter())``): the APIs' hosts in-process, other hosts through ``HTTPAdapter``."""
    import requests
    from requests.adapters import HTTPAdapter
    from requests.structures import CaseInsensitiveDict

    class GatewayAdapter(HTTPAdapter):
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            body = request.body or b""
            if isinstance(body, str):
                body = body.encode("utf-8")
            elif not isinstance(body, bytes):
                body = b"".join(body)
            exchange = route(str(request.method), str(request.url),
                             list(request.headers.items()), body)
            if exchange is None:
                return super().send(request, **kwargs)
            response = requests.Response()
            response.status_code = exchange.status
            response.headers = CaseInsensitiveDict()
            for name, value in exchange.headers:
                # requests keeps one value per name; repeated ones are joined as HTTP allows.
                previous = response.headers.get(name)
                response.headers[name] = f"{previous}, {value}" if previous else value
            response.raw = io.BytesIO(exchange.body)
            response.url = str(request.url)
            response.request = request
            response.encoding = requests.utils.get_encoding_from_headers(response.headers)
            response.reason = ""
            return response

    return GatewayAdapter()
