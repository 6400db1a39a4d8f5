"""A FastAPI app that answers with its event's authorizer fields (copied into test projects)."""

from fastapi import FastAPI, Request
from mangum import Mangum

app = FastAPI()


@app.api_route("/{path:path}", methods=["GET", "POST"])
def whoami(path: str, request: Request):
    return {"authorizer": request.scope["aws.event"]["requestContext"].get("authorizer")}


handler = Mangum(app, lifespan="off")
