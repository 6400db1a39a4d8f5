"""The movie service: builds a new Mangum adapter on every invocation (SF304)."""

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(title="Movie service")


@app.get("/movies/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "movie"}


def handler(event, context):
    return Mangum(app, lifespan="off")(event, context)
