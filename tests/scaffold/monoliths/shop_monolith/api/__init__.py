"""Routers: ``api`` gathers products and orders, each with a nested router of its own."""

from fastapi import APIRouter

from shop_monolith.api import orders, products

api = APIRouter()
api.include_router(products.router)
api.include_router(orders.router)
