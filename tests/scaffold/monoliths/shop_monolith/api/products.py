"""``/products`` and their reviews (``/products/{product_id}/reviews``, a nested router)."""

from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from shop_monolith.catalog import PRODUCTS
from shop_monolith.deps import Page, audit, current_user, page
from shop_monolith.errors import NotFound

REVIEWS: dict[int, list[dict]] = {}


class ReviewIn(BaseModel):
    stars: int = Field(ge=1, le=5)
    text: str = Field(min_length=3, max_length=500)


reviews = APIRouter(prefix="/{product_id}/reviews", tags=["reviews"])


@reviews.get("")
def list_reviews(product_id: int) -> list[dict]:
    _product(product_id)
    return REVIEWS.get(product_id, [])


@reviews.post("", status_code=status.HTTP_201_CREATED)
def add_review(product_id: int, review: ReviewIn, user: str = Depends(current_user)) -> dict:
    _product(product_id)
    entry = {"user": user, **review.model_dump()}
    REVIEWS.setdefault(product_id, []).append(entry)
    return entry


router = APIRouter(prefix="/products", tags=["products"], dependencies=[Depends(audit)])


@router.get("")
def list_products(paging: Annotated[Page, Depends(page)]) -> list[dict]:
    items = list(PRODUCTS.values())
    return items[paging.offset:paging.offset + paging.limit]


@router.get("/{product_id}")
def get_product(product_id: int) -> dict:
    return _product(product_id)


router.include_router(reviews)


def _product(product_id: int) -> dict:
    if product_id not in PRODUCTS:
        raise NotFound("product", product_id)
    return PRODUCTS[product_id]
