"""The cast service: no requirements.txt (SF101), its docs miss the stage (SF404), and
``GET /casts`` is outside the only event, ``/casts/{proxy+}`` (SF401, SF403)."""

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(title="Cast service", docs_url="/casts/docs", openapi_url="/casts/openapi.json")


@app.get("/casts/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "cast"}


@app.get("/casts")
def list_casts() -> list[str]:
    return ["Vivien Leigh"]


handler = Mangum(app, lifespan="off")
