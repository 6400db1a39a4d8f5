"""``--sam`` and its companions: command line, ini files, report header and usage errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

NO_FIXTURE_TEST = """\
def test_nothing():
    pass
"""


def test_without_sam_the_plugin_does_nothing(
    pytester: pytest.Pytester,
    rest_project: Path,
    write: Callable,
) -> None:
    write({"events/get.json": "{}", "test_plain.py": NO_FIXTURE_TEST})

    result = pytester.runpytest("-v")

    result.assert_outcomes(passed=1)
    assert "sam template" not in result.stdout.str()
    assert "get.json" not in result.stdout.str()


def test_fixture_without_template_fails_saying_how_to_set_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_it(sam_client):\n    pass\n")

    result = pytester.runpytest()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*sam fixtures need a template: pytest --sam template.yaml*"])


def test_header_names_the_template_from_the_option(
    pytester: pytest.Pytester,
    rest_project: Path,
) -> None:
    pytester.makepyfile(NO_FIXTURE_TEST)

    result = pytester.runpytest("--sam", "template.yaml", "--sam-stage", "Dev")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "sam template: template.yaml (from --sam option)",
        "sam stage: Dev",
    ])


@pytest.mark.parametrize(("ini_name", "ini_text"), [
    ("pytest.ini", "[pytest]\nsam_template = project/template.yaml\n"),
    ("pyproject.toml", '[tool.pytest.ini_options]\nsam_template = "project/template.yaml"\n'),
])
def test_ini_template_is_relative_to_the_ini_file(
    pytester: pytest.Pytester,
    rest_project: Path,
    monkeypatch: pytest.MonkeyPatch,
    ini_name: str,
    ini_text: str,
    write: Callable,
) -> None:
    project = pytester.mkdir("project")
    rest_project.rename(project / "template.yaml")
    write({ini_name: ini_text, "tests/test_plain.py": NO_FIXTURE_TEST})
    monkeypatch.chdir(pytester.path / "tests")

    result = pytester.runpytest()

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"sam template: project/template.yaml (from sam_template in {ini_name})"]
    )


def test_option_wins_over_ini(
    pytester: pytest.Pytester,
    rest_project: Path,
    write: Callable,
) -> None:
    write({"pytest.ini": "[pytest]\nsam_template = missing.yaml\n"})
    pytester.makepyfile(NO_FIXTURE_TEST)

    result = pytester.runpytest("--sam", "template.yaml")

    result.stdout.fnmatch_lines(["sam template: template.yaml (from --sam option)"])


@pytest.mark.parametrize(("args", "message"), [
    (["--sam", "nowhere.yaml"], "ERROR: sam template */nowhere.yaml (--sam option) does not exist"),
    (["--sam", "."], "ERROR: sam template * (--sam option) is not a file"),
    (["--sam", "template.yaml", "--sam-parameter", "Greeting"],
     "ERROR: --sam-parameter 'Greeting': expected KEY=VALUE, e.g. --sam-parameter Stage=dev"),
    (["--sam", "template.yaml", "--sam-parameter", "=x"],
     "ERROR: --sam-parameter '=x': expected KEY=VALUE*"),
    (["--sam", "template.yaml", "--sam-parameter", "Greting=hi"],
     "ERROR: --sam-parameter Greting: the template has no such parameter "
     "(its parameters: Greeting)"),
    (["--sam", "template.yaml", "--sam-stage", "Prod/v1"],
     "ERROR: --sam-stage 'Prod/v1': a stage name is up to 128 letters, digits, '-' and '_', "
     "or $default"),
    (["--sam", "template.yaml", "--sam-events", "template.yaml"],
     "ERROR: sam events folder */template.yaml (--sam-events) is a file"),
    (["--sam", "template.yaml", "--sam-events", "recorded"],
     "ERROR: sam events folder */recorded (--sam-events) does not exist"),
])
def test_bad_values_are_usage_errors(
    pytester: pytest.Pytester,
    rest_project: Path,
    args: list[str],
    message: str,
) -> None:
    pytester.makepyfile(NO_FIXTURE_TEST)

    result = pytester.runpytest(*args)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_default_events_folder_that_is_a_file_is_a_usage_error(
    pytester: pytest.Pytester,
    rest_project: Path,
    write: Callable,
) -> None:
    write({"events": "not a folder"})

    result = pytester.runpytest("--sam", "template.yaml")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: sam events folder */events (default) is a file"])


def test_ini_events_folder_must_exist(
    pytester: pytest.Pytester,
    rest_project: Path,
    write: Callable,
) -> None:
    write({"pytest.ini": "[pytest]\nsam_template = template.yaml\nsam_events = rec\n"})

    result = pytester.runpytest()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: sam events folder */rec (sam_events in pytest.ini) does not exist"]
    )


def test_template_that_fails_to_load_is_a_usage_error_with_its_line(
    pytester: pytest.Pytester,
    write: Callable,
) -> None:
    write({"template.yaml": "Resources:\n  Fn:\n    Type: [unclosed\n"})

    result = pytester.runpytest("--sam", "template.yaml")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: sam template cannot be loaded: *template.yaml:4:*"])
    assert "Traceback" not in result.stderr.str()
