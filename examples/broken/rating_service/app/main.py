"""The rating service: fine code, but the template's Handler names app.handlers (SF301)."""

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(title="Rating service")


@app.get("/ratings/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "rating"}


handler = Mangum(app, lifespan="off")
