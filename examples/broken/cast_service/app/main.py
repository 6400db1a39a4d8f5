"""The cast service: fine code, but its folder has no requirements.txt (SF101)."""

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(title="Cast service")


@app.get("/casts/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "cast"}


handler = Mangum(app, lifespan="off")
