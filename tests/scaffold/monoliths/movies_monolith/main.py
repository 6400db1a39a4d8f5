"""One app for everything, as it runs under uvicorn today: ``uvicorn movies_monolith.main:app``."""

from fastapi import FastAPI

from movies_monolith.api import casts, movies

app = FastAPI(title="Movies", version="1.0.0")
app.include_router(casts.router)
app.include_router(movies.router)
