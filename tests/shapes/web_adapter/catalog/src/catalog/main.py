import json
from typing import Annotated

from fastapi import FastAPI, Query, Request

app = FastAPI()
ITEMS = {"1": "tea", "2": "cups"}


@app.get("/catalog")
def catalog(request: Request) -> dict:
    context = json.loads(request.headers["x-amzn-request-context"])
    lambda_context = json.loads(request.headers["x-amzn-lambda-context"])
    return {"items": sorted(ITEMS.values()), "stage": context["stage"],
            "function": lambda_context["env_config"]["function_name"],
            "docs": str(request.url_for("swagger_ui_html"))}


@app.get("/catalog/items/{item_id}")
def item(item_id: str, tags: Annotated[list[str], Query()] = []) -> dict:  # noqa: B006
    return {"id": item_id, "name": ITEMS.get(item_id), "tags": tags}


@app.post("/catalog/items", status_code=201)
def add(item: dict) -> dict:
    return {"created": item}
