"""The review service: the handler is called lambda_handler, the template says handler (SF302)."""

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(title="Review service")


@app.get("/reviews/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "review"}


lambda_handler = Mangum(app, lifespan="off")
