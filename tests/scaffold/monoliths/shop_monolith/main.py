"""The shop as one app: ``uvicorn shop_monolith.main:app``."""

import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.applications import Starlette
from starlette.routing import Route

from shop_monolith.api import api
from shop_monolith.errors import NotFound
from shop_monolith.settings import settings


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.currency = settings.currency
    yield


app = FastAPI(title="Shop", version="2.1.0", lifespan=lifespan)


@app.middleware("http")
async def shop_headers(request: Request, call_next):
    response = await call_next(request)
    response.headers["x-shop-api"] = "2.1"
    response.headers["x-request-id"] = str(uuid.uuid4())
    return response


@app.exception_handler(NotFound)
async def not_found(request: Request, exc: NotFound) -> JSONResponse:
    return JSONResponse({"error": str(exc), "kind": exc.what}, status_code=404)


app.include_router(api, prefix="/api/v1")


@app.get("/")
def index() -> dict:
    return {"shop": "open", "api": "/api/v1"}


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


# A plain Starlette route, without FastAPI's parameter handling.
app.add_route("/health", health, methods=["GET"])


@app.websocket("/ws/orders")
async def order_feed(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"orders": []})
    await websocket.close()


async def _legacy_home(request: Request) -> PlainTextResponse:
    return PlainTextResponse("the old shop")


app.mount("/legacy", Starlette(routes=[Route("/", _legacy_home)]))
