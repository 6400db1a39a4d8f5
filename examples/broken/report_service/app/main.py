"""The report service: imports httpx, which nothing provides (SF501), and ships orjson that
was installed on a Mac (SF502); its layer is for python3.11 (SF503) and built into the wrong
folder (SF204)."""

import httpx
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(title="Report service")


@app.get("/reports/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "report", "httpx": httpx.__version__}


handler = Mangum(app, lifespan="off")
