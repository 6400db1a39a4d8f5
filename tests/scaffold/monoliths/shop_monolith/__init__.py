"""A shop API in one FastAPI app: products with nested reviews, orders with nested items,
dependencies, a middleware, a lifespan, a custom exception handler, a websocket and a mounted
legacy app. A monolith for ``sam-fastapi split`` to cut into one Lambda function per router.
"""
