"""``pytest --sam`` and threads a function leaves running after its call returned."""

from __future__ import annotations

from collections.abc import Callable

import pytest

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Leaky:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: leaky.handler
      CodeUri: src/
      Environment:
        Variables:
          SECRET: the function's
"""

LEAKY = """\
import os, threading, time

def later():
    time.sleep(0.3)
    os.environ["WRITTEN_LATER"] = os.environ.get("SECRET", "not the function's")

def handler(event, context):
    if event.get("start"):
        threading.Thread(target=later, name="writer").start()
    return "started"
"""

TESTS = """\
import os, time

def test_starts_a_thread(sam_client):
    assert sam_client.invoke("Leaky", {"start": True}).result == "started"
    assert sam_client.invoke("Leaky", {}).result == "started"
    time.sleep(0.6)  # the threads write while this test runs
    assert os.environ["WRITTEN_LATER"] == "not the function's"

def test_the_next_test_sees_nothing_of_it():
    assert "WRITTEN_LATER" not in os.environ
"""


def test_threads_left_running_are_reported_once_and_their_writes_undone(
    pytester: pytest.Pytester, write: Callable[[dict[str, str]], None],
) -> None:
    write({"template.yaml": TEMPLATE, "src/leaky.py": LEAKY, "test_leak.py": TESTS})

    result = pytester.runpytest_subprocess("--sam", "template.yaml", "-p", "no:randomly",
                                           "-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)
    output = result.stdout.str()
    assert output.count("ThreadLeftRunningWarning: Leaky started thread 'writer'") == 1
    result.stdout.fnmatch_lines(["*test_leak.py::test_starts_a_thread*"])
