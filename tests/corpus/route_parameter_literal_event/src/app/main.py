from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(docs_url=None, redoc_url=None)


@app.get("/items/special")
def special_item() -> dict:
    return {"special": True}


@app.get("/{name}")
def hello(name: str) -> dict:
    return {"hello": name}


handler = Mangum(app)
