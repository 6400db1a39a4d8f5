"""The awards service: a colon is missing after the def line below (SF305)."""

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(title="Awards service")


@app.get("/awards/health")
def health() -> dict[str, str]
    return {"status": "ok", "service": "awards"}


handler = Mangum(app, lifespan="off")
