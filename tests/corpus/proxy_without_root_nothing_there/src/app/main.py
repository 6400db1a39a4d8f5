from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")


@app.get("/api/items")
def list_items() -> list[dict]:
    return []


@app.get("/api/items/{item_id}")
def read_item(item_id: int) -> dict:
    return {"id": item_id}


handler = Mangum(app)
