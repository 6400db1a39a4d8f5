"""The cast service's FastAPI app and the Lambda handler that serves it (``app.main.handler``)."""

from fastapi import FastAPI
from mangum import Mangum

from app.api import casts

app = FastAPI(title="Cast service", version="1.0.0")
app.include_router(casts.router)

# Built once per container, not per invocation. The app has no startup or shutdown work, and
# with lifespan on Mangum would run the whole lifespan cycle around every single invocation.
http_handler = Mangum(app, lifespan="off")


def handler(event, context):
    """API Gateway events go to the app; the movie service's direct ``lambda.invoke``
    (``{"action": "find_casts", "ids": [...]}``) is answered here, not through the API."""
    if isinstance(event, dict) and event.get("action") == "find_casts":
        return casts.find(event.get("ids", []))
    return http_handler(event, context)
