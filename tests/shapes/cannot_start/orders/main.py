from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/orders")
def orders() -> list[dict]:
    return [{"id": 1}]


handler = Mangum(app)
