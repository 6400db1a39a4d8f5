from fastapi import FastAPI, Request
from mangum import Mangum

app = FastAPI()


@app.get("/me")
def me(request: Request) -> dict:
    jwt = request.scope["aws.event"]["requestContext"]["authorizer"]["jwt"]
    return {"user": jwt["claims"]["sub"], "scopes": jwt["scopes"]}


@app.get("/health")
def health() -> dict:
    return {"ok": True}


handler = Mangum(app)
