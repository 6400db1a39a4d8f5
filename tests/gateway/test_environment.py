"""The environment swap, both ways it is done: what the function, its child processes, the
caller and the caller's child processes see. (test_invoker.py covers the variables Lambda sets.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from sam_fastapi.gateway import environment
from sam_fastapi.gateway.invoker import Invoker

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Timeout: 30
      Environment:
        Variables:
          OWN: the function's
"""

NAMES = ["CALLER", "OWN", "AWS_LAMBDA_FUNCTION_NAME", "ADDED_0", "ADDED_99"]

#: Prints what a child process sees of NAMES, as JSON.
CHILD = f"import json, os; print(json.dumps([os.environ.get(n) for n in {NAMES!r}]))"

HANDLER = textwrap.dedent(f"""\
    import json, os, subprocess, sys

    def handler(event, context):
        if "add" in event:
            os.environ["ADDED_%d" % event["add"]] = "added"
        if event.get("drop"):
            del os.environ["CALLER"]
        if event.get("quiet"):
            return None
        child = subprocess.run([sys.executable, "-c", {CHILD!r}], capture_output=True,
                               text=True, check=True)
        return [[os.environ.get(n) for n in {NAMES!r}], json.loads(child.stdout)]
    """)


@pytest.fixture(params=["pointer", "variable"])
def swap(request, monkeypatch) -> str:
    if request.param == "variable":
        monkeypatch.setattr(environment, "_SWAP", environment._VariableSwap())
    elif not isinstance(environment.swap(), environment._PointerSwap):
        pytest.skip("the pointer swap needs Linux with glibc")
    return request.param


@pytest.fixture
def invoke(swap, project):
    invoker = Invoker(project(TEMPLATE, {"src/app.py": HANDLER}))
    yield lambda event: invoker.invoke("Fn", event).result
    invoker.cold_start()


def outside() -> list[str | None]:
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                           check=True)
    seen = json.loads(child.stdout)
    assert seen == [os.environ.get(n) for n in NAMES]  # the C environment agrees with Python's
    return seen


def test_the_pointer_swap_is_used_on_linux_with_glibc() -> None:
    try:
        glibc = bool(os.confstr("CS_GNU_LIBC_VERSION"))
    except (ValueError, AttributeError):
        glibc = False
    expected = environment._PointerSwap if sys.platform == "linux" and glibc else (
        environment._VariableSwap)
    assert isinstance(environment.swap(), expected)


def test_variables_a_function_adds_and_removes_stay_its_own(invoke, monkeypatch) -> None:
    monkeypatch.setenv("CALLER", "the caller's")

    first = invoke({"add": 0, "drop": True})
    assert outside() == ["the caller's", None, None, None, None]
    for n in range(1, 100):  # libc makes a new array each time a variable is added
        invoke({"add": n, "quiet": True})
        assert os.environ["CALLER"] == "the caller's" and f"ADDED_{n}" not in os.environ
    assert outside() == ["the caller's", None, None, None, None]
    last = invoke({})

    mine = [None, "the function's", "Fn", "added", None]
    assert first == [mine, mine]  # the function and its child process agree
    assert last == [[*mine[:4], "added"]] * 2
    assert outside() == ["the caller's", None, None, None, None]


def test_what_the_caller_changes_between_calls_is_seen(invoke, monkeypatch) -> None:
    monkeypatch.setenv("CALLER", "before")
    first = invoke({})
    monkeypatch.setenv("CALLER", "changed between calls")
    monkeypatch.setenv("OWN", "the caller's own")
    second = invoke({})
    monkeypatch.delenv("CALLER")
    third = invoke({})

    assert first == [["before", "the function's", "Fn", None, None]] * 2
    assert second == [["changed between calls", "the function's", "Fn", None, None]] * 2
    assert third == [[None, "the function's", "Fn", None, None]] * 2
    assert outside() == [None, "the caller's own", None, None, None]


def test_a_caller_that_replaced_os_environ_still_gets_its_own_back(invoke, monkeypatch) -> None:
    monkeypatch.setenv("CALLER", "the caller's")
    real = os.environ
    stand_in = {"PATH": real["PATH"]}
    monkeypatch.setattr(os, "environ", stand_in)  # as mock.patch("os.environ", {...}) does

    assert invoke({"add": 0, "quiet": True}) is None

    assert stand_in["ADDED_0"] == "added"  # the function's code wrote where os.environ was
    monkeypatch.setattr(os, "environ", real)
    assert outside() == ["the caller's", None, None, None, None]
    assert invoke({}) == [["the caller's", "the function's", "Fn", None, None]] * 2


def test_a_variable_the_caller_set_for_c_only_survives_a_call(invoke, monkeypatch) -> None:
    monkeypatch.setenv("CALLER", "the caller's")
    os.putenv("CALLER", "C only")  # os.environ does not see it; child processes do
    try:
        invoke({"add": 0, "quiet": True})  # libc makes a new array for the function

        child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                               check=True)
        assert json.loads(child.stdout)[:3] == ["C only", None, None]
    finally:
        os.putenv("CALLER", "the caller's")
