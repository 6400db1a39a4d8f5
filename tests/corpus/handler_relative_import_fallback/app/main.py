from fastapi import FastAPI
from mangum import Mangum

from routers import items

try:
    from .settings import TITLE
except ImportError:
    from settings import TITLE

app = FastAPI(title=TITLE)
app.include_router(items.router)


@app.get("/")
def root() -> dict:
    return {"ok": True}


handler = Mangum(app)
