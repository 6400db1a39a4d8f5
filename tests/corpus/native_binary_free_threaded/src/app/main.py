from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/")
def root() -> dict:
    return {"ok": True}


@app.get("/items/{item_id}")
def read_item(item_id: int) -> dict:
    return {"id": item_id}


handler = Mangum(app)
