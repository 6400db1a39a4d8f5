"""The search service: hands Lambda the ASGI app itself instead of a Mangum adapter (SF303)."""

from fastapi import FastAPI

app = FastAPI(title="Search service")


@app.get("/search/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "search"}


handler = app
