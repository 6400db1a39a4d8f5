"""``pytest --sam`` in fresh processes: what start-up imports, pytest-xdist, importlib mode."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

CLIENT_TEST = """\
def test_cast(sam_client):
    assert sam_client.get("/casts/7").json() == {"id": 7, "name": "Ada"}


def test_movie(sam_client):
    assert sam_client.get("/movies/3").json()["title"] == "Metropolis"
"""


def test_start_up_imports_neither_fastapi_mangum_nor_user_code(
    pytester: pytest.Pytester, rest_project: Path, write: Callable[[dict[str, str]], None],
    rest_event: Callable[..., str],
) -> None:
    write({
        "events/get_cast.json": rest_event("GET", "/casts/7", "/casts/{proxy+}"),
        "tests/test_first.py": """\
            import sys


            def test_nothing_heavy_is_imported():
                heavy = {"fastapi", "mangum", "starlette", "pydantic", "app", "app.main"}
                assert sorted(heavy & set(sys.modules)) == []
            """,
    })

    # tests/ first, so the check runs before the recorded event loads the function.
    result = pytester.runpytest_subprocess("--sam", "template.yaml", "tests", "-p", "no:randomly")

    result.assert_outcomes(passed=2)


def test_xdist_runs_client_tests_and_events_and_reports_written_snapshots(
    pytester: pytest.Pytester, rest_project: Path, write: Callable[[dict[str, str]], None],
    rest_event: Callable[..., str],
) -> None:
    write({
        "events/get_cast.json": rest_event("GET", "/casts/7", "/casts/{proxy+}"),
        "events/get_movie.json": rest_event("GET", "/movies/3", "/movies/{proxy+}"),
        "test_client.py": CLIENT_TEST,
    })

    result = pytester.runpytest_subprocess("--sam", "template.yaml", "-n", "2",
                                           "--sam-snapshot-update")

    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines_random(["wrote events/get_cast.response.json",
                                        "wrote events/get_movie.response.json"])
    snapshot = json.loads((pytester.path / "events/get_movie.response.json").read_text())
    assert snapshot["body"] == {"id": 3, "title": "Metropolis", "module": "app.main"}


def test_importlib_mode_with_test_files_of_the_same_name(
    pytester: pytest.Pytester, rest_project: Path, write: Callable[[dict[str, str]], None],
) -> None:
    write({"tests/casts/test_api.py": CLIENT_TEST, "tests/movies/test_api.py": CLIENT_TEST})

    result = pytester.runpytest_subprocess("--sam", "template.yaml", "--import-mode=importlib")

    result.assert_outcomes(passed=4)
