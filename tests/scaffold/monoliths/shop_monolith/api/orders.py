"""``/orders`` and their items (``/orders/{order_id}/items``, a nested router)."""

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from shop_monolith.catalog import PRODUCTS
from shop_monolith.deps import audit, current_user
from shop_monolith.errors import NotFound

ORDERS: dict[int, dict] = {}


class Line(BaseModel):
    product_id: int
    quantity: int = Field(ge=1, le=10)


class OrderIn(BaseModel):
    lines: list[Line] = Field(min_length=1)
    note: str | None = None


router = APIRouter(prefix="/orders", tags=["orders"], dependencies=[Depends(audit)])
items = APIRouter(prefix="/{order_id}/items")


@router.get("")
def list_orders(user: str = Depends(current_user)) -> list[dict]:
    return [order for order in ORDERS.values() if order["user"] == user]


# Declared before the create route: the sample request for it runs first and meets an order
# that does not exist yet, which the app's exception handler answers.
@router.get("/{order_id}")
def get_order(order_id: int) -> dict:
    return _order(order_id)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_order(order: OrderIn, request: Request, user: str = Depends(current_user)) -> dict:
    total = 0.0
    for line in order.lines:
        if line.product_id not in PRODUCTS:
            raise NotFound("product", line.product_id)
        total += PRODUCTS[line.product_id]["price"] * line.quantity
    created = {
        "id": len(ORDERS) + 1,
        "user": user,
        "lines": [line.model_dump() for line in order.lines],
        "total": round(total, 2),
        "currency": request.app.state.currency,
    }
    ORDERS[created["id"]] = created
    return created


@items.get("")
def list_items(order_id: int) -> list[dict]:
    return _order(order_id)["lines"]


router.include_router(items)


def _order(order_id: int) -> dict:
    if order_id not in ORDERS:
        raise NotFound("order", order_id)
    return ORDERS[order_id]
