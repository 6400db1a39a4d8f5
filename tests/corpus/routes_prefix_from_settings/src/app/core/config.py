from functools import lru_cache

from pydantic_settings import BaseSettings

ITEMS_PREFIX = "/items"


class Base(BaseSettings):
    API_V1_STR: str = "/api/v1"


class Settings(Base):
    PROJECT_NAME: str = "Items"


@lru_cache
def get_settings() -> Settings:
    return Settings()


settings = Settings()
