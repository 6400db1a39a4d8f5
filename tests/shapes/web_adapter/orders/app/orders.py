from fastapi import FastAPI, Response

app = FastAPI()
PNG = b"\x89PNG\r\n\x1a\n\x00\xff"


@app.get("/orders/{order_id}")
def order(order_id: int, response: Response) -> dict:
    response.set_cookie("last_order", str(order_id))
    response.set_cookie("seen", "yes")
    return {"id": order_id}


@app.get("/orders/{order_id}/label.png")
def label(order_id: int) -> Response:
    return Response(PNG, media_type="image/png")


@app.delete("/orders/{order_id}")
def cancel(order_id: int) -> Response:
    if order_id == 13:
        raise RuntimeError("order 13 is cursed")
    return Response(status_code=204)
