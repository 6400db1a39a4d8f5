from fastapi import FastAPI
from mangum import Mangum

from app.core import GPSDAO, LegacyDao, dao

app = FastAPI()


@app.get("/")
def positions() -> list[dict]:
    return GPSDAO().positions() + LegacyDao().positions() + dao.GpsDao().positions()


@app.get("/positions/{device}")
def device_positions(device: str) -> list[dict]:
    return [p for p in dao.GpsDao().positions() if p.get("device") == device]


handler = Mangum(app)
