"""The cast service: its folder has no requirements.txt (SF101), its docs miss the stage
(SF404), and ``/health`` is outside the only event, ``/casts/{proxy+}`` (SF401)."""

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(title="Cast service", docs_url="/casts/docs", openapi_url="/casts/openapi.json")


@app.get("/casts/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "cast"}


@app.get("/health")
def root_health() -> dict[str, str]:
    return {"status": "ok"}


handler = Mangum(app, lifespan="off")
