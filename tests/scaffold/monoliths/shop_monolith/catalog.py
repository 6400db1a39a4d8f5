"""The product catalog: fixed data, read by products and by orders."""

PRODUCTS: dict[int, dict] = {
    1: {"id": 1, "name": "Teapot", "price": 25.0},
    2: {"id": 2, "name": "Mug", "price": 8.5},
}
