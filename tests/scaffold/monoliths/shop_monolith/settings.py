"""Configuration, read once at import."""

from pydantic import BaseModel


class Settings(BaseModel):
    currency: str = "EUR"
    page_size: int = 20


settings = Settings()
