"""The bundled examples: ``examples/movies`` works and lints clean, ``examples/broken`` shows
every rule.

Both services of the movies example are the package ``app`` (handler ``app.main.handler``), as on
Lambda where each function has its own ``sys.path``. The ``service`` fixture imports one of them
with its folder first on ``sys.path`` and puts ``sys.modules`` back afterwards, so the two never
see each other's ``app``.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sam_fastapi.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MOVIES = EXAMPLES / "movies"
BROKEN = EXAMPLES / "broken"

#: Every rule examples/broken shows, one defect each.
BROKEN_RULES = ("SF001", "SF002", "SF101", "SF102", "SF103", "SF201", "SF202", "SF203",
                "SF204", "SF301", "SF302", "SF303", "SF304", "SF305", "SF401", "SF402", "SF403",
                "SF404", "SF501", "SF502", "SF503")


@contextmanager
def imported_service(folder: Path) -> Iterator[ModuleType]:
    """``app.main`` of the service in ``folder``, imported as Lambda would (folder on sys.path)."""
    own = [name for name in sys.modules if name == "app" or name.startswith("app.")]
    saved = {name: sys.modules.pop(name) for name in own}
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("app.main")
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
            del sys.modules[name]
        sys.modules.update(saved)


@dataclass
class LambdaContext:
    """The few attributes of Lambda's context object that Mangum may read."""

    function_name: str
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    memory_limit_in_mb: int = 256

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def rest_event(method: str, path: str, body: Any = None, stage: str = "Prod") -> dict[str, Any]:
    """A REST API (v1) proxy event for ``path`` as the template's events route it.

    ``/casts`` matches the ``/casts`` event, anything deeper the ``/casts/{proxy+}`` event.
    """
    prefix, _, rest = path.lstrip("/").partition("/")
    resource = f"/{prefix}/{{proxy+}}" if rest else f"/{prefix}"
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": rest} if rest else None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "accountId": "123456789012",
            "apiId": "abc123",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e812345678",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "pytest"},
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


@dataclass
class Service:
    module: ModuleType
    name: str

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Invoke the service's Lambda handler; the status code and the decoded JSON body."""
        result = self.module.handler(rest_event(method, path, body), LambdaContext(self.name))
        payload = json.loads(result["body"]) if result["body"] else None
        return result["statusCode"], payload


@pytest.fixture
def casts() -> Iterator[Service]:
    with imported_service(MOVIES / "cast_service") as module:
        yield Service(module, "CastFunction")


@pytest.fixture
def movies() -> Iterator[Service]:
    with imported_service(MOVIES / "movie_service") as module:
        yield Service(module, "MovieFunction")


def test_cast_service_crud(casts: Service) -> None:
    assert casts.call("GET", "/casts") == (200, [])

    bergman = {"name": "Ingrid Bergman", "nationality": "Swedish"}
    status, created = casts.call("POST", "/casts", bergman)
    assert (status, created) == (201, {"id": 1, **bergman})
    assert casts.call("GET", "/casts/1") == (200, created)
    assert casts.call("GET", "/casts") == (200, [created])

    status, updated = casts.call("PUT", "/casts/1", {**bergman, "nationality": "Swede"})
    assert (status, updated["nationality"]) == (200, "Swede")
    assert casts.call("GET", "/casts/1") == (200, updated)

    assert casts.call("DELETE", "/casts/1") == (204, None)
    assert casts.call("GET", "/casts/1")[0] == 404
    assert casts.call("DELETE", "/casts/1")[0] == 404
    assert casts.call("PUT", "/casts/1", {"name": "Nobody"})[0] == 404
    assert casts.call("GET", "/casts") == (200, [])


def test_movie_service_crud(movies: Service) -> None:
    casablanca = {"title": "Casablanca", "year": 1942, "genres": ["drama"], "cast_ids": [1, 2]}
    status, created = movies.call("POST", "/movies", casablanca)
    assert (status, created) == (201, {"id": 1, **casablanca})

    status, second = movies.call("POST", "/movies", {"title": "Notorious", "year": 1946})
    assert (status, second["id"], second["genres"], second["cast_ids"]) == (201, 2, [], [])
    assert movies.call("GET", "/movies") == (200, [created, second])

    status, updated = movies.call("PUT", "/movies/2", {"title": "Notorious", "year": 1946,
                                                       "genres": ["thriller"]})
    assert (status, updated["genres"]) == (200, ["thriller"])
    assert movies.call("GET", "/movies/2") == (200, updated)

    assert movies.call("DELETE", "/movies/1") == (204, None)
    assert movies.call("GET", "/movies") == (200, [updated])
    assert movies.call("GET", "/movies/1")[0] == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({"year": 1942}, "title"), ({"title": "Casablanca", "year": 1700}, "year"),
     ({"title": "", "year": 1942}, "title")],
)
def test_movie_service_rejects_invalid_movies(movies: Service, body: dict, field: str) -> None:
    status, payload = movies.call("POST", "/movies", body)
    assert status == 422
    assert [error["loc"] for error in payload["detail"]] == [["body", field]]
    assert movies.call("GET", "/movies") == (200, [])


def test_ids_must_be_integers(casts: Service) -> None:
    status, payload = casts.call("GET", "/casts/bergman")
    assert status == 422
    assert payload["detail"][0]["loc"] == ["path", "cast_id"]


def test_health_routes_are_not_read_as_ids(casts: Service, movies: Service) -> None:
    assert casts.call("GET", "/casts/health") == (200, {"status": "ok", "service": "cast"})
    assert movies.call("GET", "/movies/health") == (200, {"status": "ok", "service": "movie"})


def test_services_do_not_share_modules(casts: Service, movies: Service) -> None:
    assert casts.module is not movies.module
    assert casts.module.app.title == "Cast service"
    assert movies.module.app.title == "Movie service"
    # Each function only serves its own prefix, as API Gateway only routes that prefix to it.
    assert casts.call("GET", "/movies")[0] == 404
    assert movies.call("GET", "/casts")[0] == 404


def test_store_is_per_process_and_resettable(casts: Service) -> None:
    casts.call("POST", "/casts", {"name": "Humphrey Bogart"})
    # A fresh import stands for a fresh Lambda container: it starts with an empty store.
    with imported_service(MOVIES / "cast_service") as fresh:
        assert fresh.casts.store.values() == []
    assert [c.name for c in casts.module.casts.store.values()] == ["Humphrey Bogart"]

    casts.module.casts.store.reset()
    assert casts.call("GET", "/casts") == (200, [])
    assert casts.call("POST", "/casts", {"name": "Claude Rains"})[1]["id"] == 1


def test_no_service_module_leaks_out(casts: Service) -> None:
    before = {n for n in sys.modules if n == "app" or n.startswith("app.")}
    with imported_service(MOVIES / "movie_service"):
        pass
    assert {n for n in sys.modules if n == "app" or n.startswith("app.")} == before
    assert sys.modules["app.main"] is casts.module


def lint_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(["lint", *args, "--format", "json", "--no-cache"])
    return code, json.loads(capsys.readouterr().out)


def test_movies_example_lints_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert lint_json(capsys, str(MOVIES / "template.yaml")) == (0, [])


def documented_defects() -> set[tuple[str, str, int]]:
    """(rule, file, line) of each row of the table in examples/broken/README.md."""
    readme = (BROKEN / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (SF\d{3}) \|.*\| `([^`]+):(\d+)` \|$", readme, re.MULTILINE)
    return {(rule, file, int(line)) for rule, file, line in rows}


def test_broken_readme_lists_one_defect_per_rule() -> None:
    assert sorted(rule for rule, _, _ in documented_defects()) == sorted(BROKEN_RULES)


def test_broken_example_reports_every_rule_where_the_readme_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, findings = lint_json(capsys, str(BROKEN))
    reported = {
        (f["rule"], Path(f["file"]).resolve().relative_to(BROKEN).as_posix(), f["line"])
        for f in findings
    }
    assert code == 1
    assert sorted(reported) == sorted(documented_defects())
