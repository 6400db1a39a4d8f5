import os

from fastapi import FastAPI, Request
from mangum import Mangum

app = FastAPI()


@app.get("/orders")
def orders(request: Request) -> dict:
    context = request.scope["aws.event"]["requestContext"]
    return {"env": os.environ["ENV"], "currency": os.environ["CURRENCY"],
            "api": context["apiId"], "stage": context["stage"],
            "function": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}


@app.get("/orders/{order_id}")
def order(order_id: int) -> dict:
    return {"id": order_id, "total": 12.5}


handler = Mangum(app)
