"""The bundled movies example passes its own tests and recorded events, through its template.

``examples/movies/pytest.ini`` names the template, so running pytest on the example's folder is
all it takes, as it would be in a user's project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

MOVIES = Path(__file__).resolve().parents[2] / "examples" / "movies"


def test_movies_example_tests_and_events_pass(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(str(MOVIES / "tests"), "-p", "no:cacheprovider", "-v")

    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines_random([
        "sam template: template.yaml (from sam_template in pytest.ini)",
        "*tests/test_casts.py::test_create_read_update_delete PASSED*",
        "*tests/test_movies.py::test_create_read_update_delete PASSED*",
        "*tests/test_gateway.py::test_unknown_paths_are_403_from_the_gateway?/actors? PASSED*",
        "*events/casts/create_cast.json::replay PASSED*",
        "*events/casts/health.json::replay PASSED*",
        "*events/movies/missing_movie.json::replay PASSED*",
    ])
