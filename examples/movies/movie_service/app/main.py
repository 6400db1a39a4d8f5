"""The movie service's FastAPI app and the Lambda handler that serves it (``app.main.handler``)."""

from fastapi import FastAPI
from mangum import Mangum

from app.api import movies

app = FastAPI(title="Movie service", version="1.0.0")
app.include_router(movies.router)

# Built once per container, not per invocation. The app has no startup or shutdown work, and
# with lifespan on Mangum would run the whole lifespan cycle around every single invocation.
handler = Mangum(app, lifespan="off")
