"""Whose environment a thread's write to ``os.environ`` belongs to, in-process.

A thread a function left running (a *stray*) writes into whatever environment is swapped in
when it writes: another function's call, or the caller's between calls. The write is its own
function's, as in Lambda, where the thread is frozen with its sandbox. (test_environment.py
covers what a function's own calls change.)
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sam_fastapi.gateway import Gateway

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: src/
    Timeout: 20
Resources:
  Starter:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.starter
  Other:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.other
      Environment:
        Variables:
          OTHER_OWN: the other's
"""

#: Both functions' code. ``starter`` starts a thread that waits for the file ``go``, makes
#: ``writes`` (None: delete) and touches ``done``; ``other`` touches ``go`` and waits for
#: ``done``, so that the thread writes during its call; both answer what they see of ``read``.
#: With ``call``, ``starter`` invokes ``other`` through boto3 with that event while its thread
#: writes, and answers what it sees once ``other`` returned.
APP = """\
import json, os, pathlib, threading, time

import boto3


def wait_for(path):
    deadline = time.monotonic() + 10
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(path)
        time.sleep(0.002)


def write_later(go, done, writes):
    wait_for(go)
    for name, value in writes.items():
        if value is None:
            del os.environ[name]
        else:
            os.environ[name] = value
    pathlib.Path(done).touch()


def seen(event):
    return {name: os.environ.get(name) for name in event.get("read", [])}


def starter(event, context):
    if "writes" in event:
        threading.Thread(target=write_later, name="writer",
                         args=(event["go"], event["done"], event["writes"])).start()
    if "call" in event:
        boto3.client("lambda").invoke(FunctionName="Other", Payload=json.dumps(event["call"]))
    return seen(event)


def other(event, context):
    if "go" in event:
        pathlib.Path(event["go"]).touch()
        wait_for(event["done"])
    return seen(event)
"""

READ = ["WRITTEN", "OUTSIDE", "OTHER_OWN"]


@pytest.fixture
def gw(gateway: Callable[..., Gateway], monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    monkeypatch.delenv("WRITTEN", raising=False)
    monkeypatch.setenv("OUTSIDE", "the caller's")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ThreadLeftRunningWarning: test_environment.py's
        yield gateway(TEMPLATE, {"src/app.py": APP})


@pytest.fixture
def files(tmp_path: Path) -> Callable[[], dict[str, str]]:
    counter = iter(range(100))

    def signals() -> dict[str, str]:
        n = next(counter)
        return {"go": str(tmp_path / f"go{n}"), "done": str(tmp_path / f"done{n}")}

    return signals


def sees(gw: Gateway, logical_id: str, event: dict | None = None) -> dict[str, str | None]:
    invocation = gw.invoke(logical_id, {"read": READ, **(event or {})})
    assert invocation.error is None, invocation.error
    return invocation.result


def wait_for(path: str) -> None:
    deadline = time.monotonic() + 10
    while not os.path.exists(path):
        assert time.monotonic() < deadline, f"the thread never wrote ({path})"
        time.sleep(0.002)


def test_a_strays_write_during_another_functions_call_is_its_own(gw: Gateway, files) -> None:
    signals = files()
    sees(gw, "Starter", {"writes": {"WRITTEN": "by the thread"}, **signals})

    during = sees(gw, "Other", signals)  # the thread writes while this call runs

    assert during["WRITTEN"] == "by the thread"  # one process: the write is seen meanwhile
    assert sees(gw, "Other")["WRITTEN"] is None
    assert sees(gw, "Starter")["WRITTEN"] == "by the thread"
    assert "WRITTEN" not in os.environ


def test_a_strays_deletion_during_another_functions_call_is_its_own(gw: Gateway, files) -> None:
    signals = files()
    sees(gw, "Starter", {"writes": {"OUTSIDE": None, "OTHER_OWN": None}, **signals})

    sees(gw, "Other", signals)

    assert sees(gw, "Other") == {"WRITTEN": None, "OUTSIDE": "the caller's",
                                 "OTHER_OWN": "the other's"}
    assert sees(gw, "Starter") == {"WRITTEN": None, "OUTSIDE": None, "OTHER_OWN": None}
    assert os.environ["OUTSIDE"] == "the caller's" and "OTHER_OWN" not in os.environ


def test_a_strays_write_between_calls_stays_its_own(gw: Gateway, files) -> None:
    signals = files()
    sees(gw, "Starter", {"writes": {"WRITTEN": "between calls"}, **signals})
    Path(signals["go"]).touch()
    wait_for(signals["done"])

    # No call runs: the write lands in the caller's environment, as before.
    assert os.environ["WRITTEN"] == "between calls"
    assert sees(gw, "Other")["WRITTEN"] == "between calls"
    del os.environ["WRITTEN"]  # as pytest --sam does at the end of the test

    assert sees(gw, "Other")["WRITTEN"] is None
    assert sees(gw, "Starter")["WRITTEN"] == "between calls"
    assert "WRITTEN" not in os.environ


def test_a_threads_write_during_its_functions_nested_call_is_its_functions(
    gw: Gateway, files,
) -> None:
    signals = files()
    started = sees(gw, "Starter", {"writes": {"WRITTEN": "while calling"}, **signals,
                                   "call": signals})

    assert started["WRITTEN"] == "while calling"  # seen as soon as the nested call returned
    assert sees(gw, "Other")["WRITTEN"] is None
    assert sees(gw, "Starter")["WRITTEN"] == "while calling"
    assert "WRITTEN" not in os.environ


def test_the_callers_threads_write_during_a_call_stays_the_callers(gw: Gateway, files) -> None:
    signals = files()

    def write_later() -> None:
        wait_for(signals["go"])
        os.environ["WRITTEN"] = "by the test"
        Path(signals["done"]).touch()

    writer = threading.Thread(target=write_later)
    writer.start()
    sees(gw, "Other", signals)
    writer.join()

    assert os.environ["WRITTEN"] == "by the test"
    del os.environ["WRITTEN"]
    assert sees(gw, "Other")["WRITTEN"] is None
