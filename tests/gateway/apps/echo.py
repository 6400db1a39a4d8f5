"""A FastAPI app that answers with everything it was sent (copied into test projects)."""

from fastapi import FastAPI, Request
from mangum import Mangum

app = FastAPI()


@app.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def echo(path: str, request: Request):
    body = await request.body()
    return {
        "method": request.method,
        "path": request.url.path,
        "path_params": dict(request.path_params),
        "query": list(request.query_params.multi_items()),
        "headers": [[k, v] for k, v in request.headers.items()],
        "cookies": dict(request.cookies),
        "body": body.decode("latin-1"),
    }


handler = Mangum(app, lifespan="off")
