from fastapi import FastAPI
from mangum import Mangum

from app.api import items
from app.core.config import get_settings, settings

app = FastAPI(title=settings.PROJECT_NAME, docs_url=None, redoc_url=None)
app.include_router(items.router, prefix=settings.API_V1_STR)
app.include_router(items.users, prefix=get_settings().API_V1_STR)

handler = Mangum(app)
