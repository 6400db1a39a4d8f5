"""``pytest --sam`` and hostile recorded-event folders: a symlink out of the project is never
read (SF103), a named pipe named like an event does not block collection."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest


def test_events_out_of_the_project_and_pipes_are_not_collected(
    pytester: pytest.Pytester, rest_project: Path, write: Callable[[dict[str, str]], None],
    rest_event: Callable[..., str],
) -> None:
    write({"events/casts/get_cast.json": rest_event("GET", "/casts/7", "/casts/{proxy+}")})
    outside = pytester.path.parent / f"{pytester.path.name}-outside"
    outside.mkdir()
    (outside / "stolen.json").write_text(rest_event("GET", "/casts/8", "/casts/{proxy+}"))
    os.symlink(outside / "stolen.json", pytester.path / "events" / "stolen.json")
    os.symlink(outside, pytester.path / "events" / "elsewhere")
    os.mkfifo(pytester.path / "events" / "pipe.json")

    result = pytester.runpytest_subprocess("--sam", "template.yaml", "-v", "-p", "no:randomly",
                                           timeout=120)

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*events/casts/get_cast.json::replay PASSED*"])
    assert "stolen.json" not in result.stdout.str()
