from fastapi import APIRouter

from app.core import config
from app.core.config import ITEMS_PREFIX

router = APIRouter(prefix=ITEMS_PREFIX)
users = APIRouter(prefix=f"{config.ITEMS_PREFIX}-owners")


@router.get("/{item_id}")
def read_item(item_id: int) -> dict:
    return {"id": item_id}


@users.get("/{owner}")
def read_owner(owner: str) -> dict:
    return {"owner": owner}
