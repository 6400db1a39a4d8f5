from fastapi import FastAPI
from mangum import Mangum

from .routers import items

app = FastAPI()
app.include_router(items.router)


@app.get("/")
def root() -> dict:
    return {"ok": True}


handler = Mangum(app)
