"""``/movies``: create, list, read, replace and delete movies."""

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field

from app.casts import CastServiceError, missing_cast_ids


class MovieIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=1888, le=2100)
    genres: list[str] = Field(default_factory=list)
    # Ids of the cast service's members; each service owns its own data.
    cast_ids: list[int] = Field(default_factory=list)


class Movie(MovieIn):
    id: int


class MovieStore:
    """Movies in memory: one store per Lambda container (or test process)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._items: dict[int, Movie] = {}
        self._next_id = 1

    def values(self) -> list[Movie]:
        return list(self._items.values())

    def get(self, movie_id: int) -> Movie | None:
        return self._items.get(movie_id)

    def add(self, data: MovieIn) -> Movie:
        movie = Movie(id=self._next_id, **dict(data))  # pydantic 1 and 2 alike
        self._items[movie.id] = movie
        self._next_id += 1
        return movie

    def replace(self, movie_id: int, data: MovieIn) -> Movie | None:
        if movie_id not in self._items:
            return None
        movie = Movie(id=movie_id, **dict(data))  # pydantic 1 and 2 alike
        self._items[movie_id] = movie
        return movie

    def delete(self, movie_id: int) -> bool:
        return self._items.pop(movie_id, None) is not None


store = MovieStore()
router = APIRouter(prefix="/movies", tags=["movies"])


def _not_found(movie_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"movie {movie_id} not found")


def _check_cast(data: MovieIn) -> None:
    try:
        missing = missing_cast_ids(data.cast_ids)
    except CastServiceError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, f"cast service: {exc}") from None
    if missing:
        # 422 by number: Starlette renamed the constant (UNPROCESSABLE_CONTENT).
        raise HTTPException(422, f"unknown cast member(s): {', '.join(map(str, missing))}")


# Declared before /{movie_id} so that "health" is never read as an id.
@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "service": "movie"}


# "" rather than "/": the API event is /movies, and /movies/ would answer with a redirect.
@router.get("")
def list_movies() -> list[Movie]:
    return store.values()


@router.post("", status_code=status.HTTP_201_CREATED)
def create_movie(data: MovieIn) -> Movie:
    _check_cast(data)
    return store.add(data)


@router.get("/{movie_id}")
def get_movie(movie_id: int) -> Movie:
    movie = store.get(movie_id)
    if movie is None:
        raise _not_found(movie_id)
    return movie


@router.put("/{movie_id}")
def update_movie(movie_id: int, data: MovieIn) -> Movie:
    if store.get(movie_id) is None:
        raise _not_found(movie_id)
    _check_cast(data)
    movie = store.replace(movie_id, data)
    if movie is None:
        raise _not_found(movie_id)
    return movie


@router.delete("/{movie_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_movie(movie_id: int) -> Response:
    if not store.delete(movie_id):
        raise _not_found(movie_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
