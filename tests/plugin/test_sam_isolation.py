"""``pytest --sam-isolation=process``: the same sandboxes as ``serve``, under pytest."""

from __future__ import annotations

from collections.abc import Callable

import pytest

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
    CodeUri: src/
Resources:
  Crashy:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          OWN: the function's
"""

APP = """\
import os

def handler(event, context):
    if event.get("abort"):
        os.abort()
    os.environ["WRITTEN"] = "by the function"
    return {"pid": os.getpid(), "own": os.environ["OWN"], "token": os.environ.get("GITHUB_TOKEN")}
"""

TESTS = """\
import os

def test_a_crash_is_an_error_and_the_run_goes_on(sam_client):
    first = sam_client.invoke("Crashy", {}).result
    crashed = sam_client.invoke("Crashy", {"abort": True})
    second = sam_client.invoke("Crashy", {}).result
    assert crashed.error["errorType"] == "Runtime.ExitError"
    assert crashed.error["errorMessage"].endswith("signal: aborted (core dumped)")
    assert first["pid"] != os.getpid() and second["pid"] != first["pid"]
    assert first["own"] == "the function's" and first["token"] is None
    assert "WRITTEN" not in os.environ and "OWN" not in os.environ
"""


def test_process_isolation_runs_functions_in_sandboxes(
    pytester: pytest.Pytester, write: Callable[[dict[str, str]], None], monkeypatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_from_the_shell")
    write({"template.yaml": TEMPLATE, "src/app.py": APP, "test_crash.py": TESTS})

    result = pytester.runpytest_subprocess("--sam", "template.yaml", "--sam-isolation=process",
                                           "-p", "no:randomly")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["sam isolation: process"])


def test_an_unknown_isolation_in_the_ini_file_is_a_usage_error(
    pytester: pytest.Pytester, write: Callable[[dict[str, str]], None],
) -> None:
    write({"template.yaml": TEMPLATE, "src/app.py": APP,
           "pytest.ini": "[pytest]\nsam_template = template.yaml\nsam_isolation = docker\n"})

    result = pytester.runpytest_subprocess()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*sam isolation 'docker': choose from thread, process*"])
