"""Dependencies shared by every router."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request, Response

from shop_monolith.settings import Settings, settings

# Every request that passes the audit dependency is noted here, by whichever router served
# it: module state that both routers write to.
AUDIT: list[str] = []


def get_settings() -> Settings:
    return settings


def current_user(x_user: str = Header(default="guest")) -> str:
    return x_user


def audit(request: Request, response: Response, user: str = Depends(current_user)) -> None:
    AUDIT.append(f"{user} {request.method} {request.url.path}")
    response.headers["x-audited"] = "yes"


@dataclass
class Page:
    limit: int
    offset: int


def page(config: Annotated[Settings, Depends(get_settings)],
         limit: int = Query(default=10, ge=1, le=100),
         offset: int = Query(default=0, ge=0)) -> Page:
    return Page(limit=min(limit, config.page_size), offset=offset)
