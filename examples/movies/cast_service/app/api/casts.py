"""``/casts``: create, list, read, replace and delete cast members."""

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field


class CastIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    nationality: str | None = Field(default=None, max_length=100)


class Cast(CastIn):
    id: int


class CastStore:
    """Cast members in memory: one store per Lambda container (or test process)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._items: dict[int, Cast] = {}
        self._next_id = 1

    def values(self) -> list[Cast]:
        return list(self._items.values())

    def get(self, cast_id: int) -> Cast | None:
        return self._items.get(cast_id)

    def add(self, data: CastIn) -> Cast:
        cast = Cast(id=self._next_id, **dict(data))  # pydantic 1 and 2 alike
        self._items[cast.id] = cast
        self._next_id += 1
        return cast

    def replace(self, cast_id: int, data: CastIn) -> Cast | None:
        if cast_id not in self._items:
            return None
        cast = Cast(id=cast_id, **dict(data))  # pydantic 1 and 2 alike
        self._items[cast_id] = cast
        return cast

    def delete(self, cast_id: int) -> bool:
        return self._items.pop(cast_id, None) is not None


store = CastStore()


def find(ids: list) -> dict[str, list]:
    """Which of ``ids`` are cast members (the movie service's question)."""
    missing = [i for i in ids if not isinstance(i, int) or store.get(i) is None]
    return {"missing": missing}
router = APIRouter(prefix="/casts", tags=["casts"])


def _not_found(cast_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"cast member {cast_id} not found")


# Declared before /{cast_id} so that "health" is never read as an id.
@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "cast"}


# "" rather than "/": the API event is /casts, and /casts/ would answer with a redirect.
@router.get("")
def list_casts() -> list[Cast]:
    return store.values()


@router.post("", status_code=status.HTTP_201_CREATED)
def create_cast(data: CastIn) -> Cast:
    return store.add(data)


@router.get("/{cast_id}")
def get_cast(cast_id: int) -> Cast:
    cast = store.get(cast_id)
    if cast is None:
        raise _not_found(cast_id)
    return cast


@router.put("/{cast_id}")
def update_cast(cast_id: int, data: CastIn) -> Cast:
    cast = store.replace(cast_id, data)
    if cast is None:
        raise _not_found(cast_id)
    return cast


@router.delete("/{cast_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_cast(cast_id: int) -> Response:
    if not store.delete(cast_id):
        raise _not_found(cast_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
