"""The invoker: isolated handler loading, environment, context, timeouts and Lambda errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from sam_fastapi.gateway.invoker import GatewayError, Invoker

FUNCTIONS = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: test
Globals:
  Function:
    Runtime: python3.12
    Handler: app.main.handler
    Environment:
      Variables:
        SHARED: from-globals
Resources:
  One:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: one/
      MemorySize: 256
      Timeout: 7
      Environment:
        Variables:
          STAGE: !Ref Stage
  Two:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: two/
      FunctionName: two-fn
"""

# Same module names in both functions, different content and module-level state.
APP = """
import os, sys
from app.api import models

calls = 0


def handler(event, context):
    global calls
    calls += 1
    import json  # a shared module
    return {{
        "who": models.WHO,
        "calls": calls,
        "app_file": sys.modules["app"].__file__,
        "json_id": id(json),
        "env": {{k: os.environ.get(k) for k in event.get("env", [])}},
        "cwd": os.getcwd(),
        "context": {{
            "function_name": context.function_name,
            "function_version": context.function_version,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "log_group_name": context.log_group_name,
            "remaining": context.get_remaining_time_in_millis(),
            "request_id": context.aws_request_id,
        }},
    }}
"""


def two_functions() -> dict[str, str]:
    files = {}
    for name in ("one", "two"):
        files[f"{name}/app/__init__.py"] = ""
        files[f"{name}/app/api/__init__.py"] = ""
        files[f"{name}/app/api/models.py"] = f"WHO = {name!r}\n"
        files[f"{name}/app/main.py"] = APP.format()
    return files


@pytest.fixture
def invoker(project):
    made = []

    def make(template: str = FUNCTIONS, files: dict[str, str] | None = None,
             **options) -> Invoker:
        inv = Invoker(project(template, two_functions() if files is None else files), **options)
        made.append(inv)
        return inv

    yield make
    for inv in made:
        inv.cold_start()


def single(handler_source: str, *, timeout: int = 3, handler: str = "app.handler",
           extra: dict[str, str] | None = None) -> tuple[str, dict[str, str]]:
    template = f"""
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: {handler}
      CodeUri: src/
      Timeout: {timeout}
"""
    return template, {"src/app.py": handler_source, **(extra or {})}


def test_two_functions_with_the_same_module_names_stay_apart(invoker) -> None:
    inv = invoker()

    one = inv.invoke("One", {}).result
    two = inv.invoke("Two", {}).result
    one_again = inv.invoke("One", {}).result

    assert (one["who"], two["who"], one_again["who"]) == ("one", "two", "one")
    assert (one["calls"], two["calls"], one_again["calls"]) == (1, 1, 2)
    assert one["app_file"].endswith(os.path.join("one", "app", "__init__.py"))
    assert two["app_file"].endswith(os.path.join("two", "app", "__init__.py"))


def test_function_modules_do_not_leak_and_shared_ones_are_imported_once(invoker) -> None:
    import json

    inv = invoker()
    before = set(sys.modules)

    one = inv.invoke("One", {}).result
    two = inv.invoke("Two", {}).result

    assert one["json_id"] == two["json_id"] == id(json)
    leaked = {m for m in set(sys.modules) - before if m == "app" or m.startswith("app.")}
    assert leaked == set()


def test_the_users_own_modules_are_untouched(invoker, tmp_path, monkeypatch) -> None:
    mine = tmp_path / "mine"
    (mine / "app").mkdir(parents=True)
    (mine / "app" / "__init__.py").write_text("MINE = True\n")
    (mine / "app" / "main.py").write_text("def handler(event, context):\n    return 'mine'\n")
    monkeypatch.syspath_prepend(str(mine))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    monkeypatch.delitem(sys.modules, "app.main", raising=False)
    import app.main  # the user's test code imports its own "app"

    users_app, users_main = sys.modules["app"], sys.modules["app.main"]
    inv = invoker()

    result = inv.invoke("One", {}).result

    assert result["who"] == "one"
    assert sys.modules["app"] is users_app and sys.modules["app.main"] is users_main
    assert "app.api" not in sys.modules
    assert app.main.handler(None, None) == "mine"
    monkeypatch.delitem(sys.modules, "app")
    monkeypatch.delitem(sys.modules, "app.main")


def test_environment_is_set_during_the_call_and_restored(invoker, monkeypatch) -> None:
    monkeypatch.setenv("SHARED", "the user's")
    monkeypatch.delenv("STAGE", raising=False)
    with_intrinsic = FUNCTIONS.replace("STAGE: !Ref Stage",
                                       "STAGE: !Ref Stage\n          TABLE: !GetAtt Table.Arn")
    inv = invoker(with_intrinsic, region="eu-west-3")
    names = ["SHARED", "STAGE", "TABLE", "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION",
             "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
             "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT", "_HANDLER", "TZ"]

    with pytest.warns(UserWarning, match="TABLE"):
        env = inv.invoke("One", {"env": names}).result["env"]

    assert env["SHARED"] == "from-globals"
    assert env["STAGE"] == "test"
    assert env["TABLE"] is None  # an unresolvable !GetAtt is left unset
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "One"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-3"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["LAMBDA_TASK_ROOT"] == str((inv.project.root / "one").resolve())
    assert env["_HANDLER"] == "app.main.handler"
    assert env["TZ"] == ":UTC"
    assert os.environ["SHARED"] == "the user's"
    assert "STAGE" not in os.environ and "_HANDLER" not in os.environ


def test_environment_the_caller_changes_between_calls_is_seen_and_put_back(
        invoker, monkeypatch) -> None:
    source = ("import os, subprocess, sys\n"
              "NAMES = ('AWS_REGION', 'BETWEEN', 'GONE')\n"
              "def handler(event, context):\n"
              "    child = subprocess.run([sys.executable, '-c', 'import os; print(repr(["
              "os.environ.get(n) for n in %r]))' % (NAMES,)], capture_output=True, text=True)\n"
              "    return [[os.environ.get(n) for n in NAMES], child.stdout.strip()]\n")
    template, files = single(source, timeout=30)
    monkeypatch.setenv("GONE", "before")
    inv = invoker(template, files, region="eu-west-3")

    first = inv.invoke("Fn", {}).result
    monkeypatch.setenv("AWS_REGION", "the caller's")
    monkeypatch.setenv("BETWEEN", "set between calls")
    monkeypatch.delenv("GONE")
    second = inv.invoke("Fn", {}).result

    assert first == [["eu-west-3", None, "before"], "['eu-west-3', None, 'before']"]
    # The function's own variables win; what the caller changed otherwise is seen, by child
    # processes too, and afterwards the caller's environment is back as the caller left it.
    assert second == [["eu-west-3", "set between calls", None],
                      "['eu-west-3', 'set between calls', None]"]
    assert os.environ["AWS_REGION"] == "the caller's"
    assert os.environ["BETWEEN"] == "set between calls" and "GONE" not in os.environ
    assert "AWS_LAMBDA_FUNCTION_NAME" not in os.environ


#: A child process's view of the trace id.
PRINT_TRACE_ID = "import os; print(os.environ.get('_X_AMZN_TRACE_ID'))"


def test_each_call_has_its_own_trace_id_for_python_code_only(invoker, monkeypatch) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    source = ("import os, subprocess, sys\n"
              "def handler(event, context):\n"
              f"    child = subprocess.run([sys.executable, '-c', {PRINT_TRACE_ID!r}],\n"
              "                           capture_output=True, text=True)\n"
              "    return [os.environ['_X_AMZN_TRACE_ID'], child.stdout.strip()]\n")
    template, files = single(source, timeout=30)
    inv = invoker(template, files)

    (first, child), (second, _) = (inv.invoke("Fn", {}).result for _ in range(2))

    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Sampled=0", first)
    assert first != second
    # Not set in the C environment: glibc would keep each call's value for good.
    assert child == "None"
    assert "_X_AMZN_TRACE_ID" not in os.environ


def test_a_trace_id_the_function_sets_or_clears_is_not_left_behind(invoker, monkeypatch) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    source = ("import os\n"
              "def handler(event, context):\n"
              "    if event == 'set':\n"
              "        os.environ['_X_AMZN_TRACE_ID'] = 'the function\\'s'\n"
              "    else:\n"
              "        os.environ.clear()\n")
    template, files = single(source)
    inv = invoker(template, files)

    for event in ("set", "clear"):
        assert inv.invoke("Fn", event).error is None
        child = subprocess.run([sys.executable, "-c", PRINT_TRACE_ID], capture_output=True,
                               text=True, check=True)

        assert child.stdout.strip() == "None", event  # nor in the C environment
        assert "_X_AMZN_TRACE_ID" not in os.environ


def test_working_directory_is_the_code_folder_during_the_call(invoker) -> None:
    inv = invoker()
    here = os.getcwd()

    result = inv.invoke("Two", {}).result

    assert result["cwd"] == str((inv.project.root / "two").resolve())
    assert os.getcwd() == here


def test_context_describes_the_function(invoker) -> None:
    inv = invoker(clock=lambda: 1000.0, region="us-east-1")

    one = inv.invoke("One", {}).result["context"]
    two = inv.invoke("Two", {}).result["context"]

    assert one["function_name"] == "One" and two["function_name"] == "two-fn"
    assert one["function_version"] == "$LATEST"
    assert one["memory_limit_in_mb"] == "256"
    assert two["memory_limit_in_mb"] == "128"
    assert one["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:One"
    assert one["log_group_name"] == "/aws/lambda/One"
    assert one["remaining"] == 7000  # the clock stands still: the whole Timeout is left
    assert re.fullmatch(r"[0-9a-f-]{36}", one["request_id"])


def test_cold_then_warm_and_cold_start_reloads_modules(invoker) -> None:
    inv = invoker()

    first = inv.invoke("One", {})
    second = inv.invoke("One", {})
    inv.cold_start("One")
    third = inv.invoke("One", {})

    assert (first.cold, second.cold, third.cold) == (True, False, True)
    assert [i.result["calls"] for i in (first, second, third)] == [1, 2, 1]


def test_timeout_fails_like_lambda_and_next_call_is_cold(invoker) -> None:
    template, files = single(
        "import time\ncalls = 0\n"
        "def handler(event, context):\n"
        "    global calls\n"
        "    calls += 1\n"
        "    if event.get('sleep'):\n"
        "        time.sleep(event['sleep'])\n"
        "    return calls\n", timeout=1)
    inv = invoker(template, files)
    assert inv.invoke("Fn", {}).result == 1

    start = time.perf_counter()
    timed_out = inv.invoke("Fn", {"sleep": 2})
    waited = time.perf_counter() - start

    assert waited < 1.8
    assert timed_out.result is None
    assert re.search(r"Task timed out after 1\.\d\d seconds$", timed_out.error["errorMessage"])
    assert 1000 <= timed_out.duration_ms < 1800
    after = inv.invoke("Fn", {})
    assert after.cold and after.result == 1  # a fresh set of modules


def test_handler_exception_has_lambdas_error_shape(invoker) -> None:
    template, files = single("def handler(event, context):\n    raise ValueError('boom')\n")
    inv = invoker(template, files)

    invocation = inv.invoke("Fn", {})

    assert invocation.result is None
    error = invocation.error
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "boom")
    assert re.fullmatch(r"[0-9a-f-]{36}", error["requestId"])
    assert len(error["stackTrace"]) == 1
    assert 'app.py", line 2, in handler' in error["stackTrace"][0]


@pytest.mark.parametrize("source,handler,error_type,message", [
    ("def handler(event, context)\n    return 1\n", "app.handler",
     "Runtime.UserCodeSyntaxError", "Syntax error in module 'app': expected ':' (app.py, line 1)"),
    ("import not_installed_anywhere\n", "app.handler",
     "Runtime.ImportModuleError",
     "Unable to import module 'app': No module named 'not_installed_anywhere'"),
    ("x = 1\n", "app.handler", "Runtime.HandlerNotFound",
     "Handler 'handler' missing on module 'app'"),
    ("x = 1\n", "handler", "Runtime.MalformedHandlerName",
     "Bad handler 'handler': not enough values to unpack (expected 2, got 1)"),
    ("raise RuntimeError('no config')\n", "app.handler", "RuntimeError", "no config"),
    ("x = 1\n", "missing.handler", "Runtime.ImportModuleError",
     "Unable to import module 'missing': No module named 'missing'"),
])
def test_init_errors_have_lambdas_shape_and_do_not_crash(invoker, source, handler, error_type,
                                                         message) -> None:
    template, files = single(source, handler=handler)
    inv = invoker(template, files)

    first = inv.invoke("Fn", {})
    second = inv.invoke("Fn", {})

    assert (first.error["errorType"], first.error["errorMessage"]) == (error_type, message)
    assert first.cold and second.cold  # a failed init is retried on the next call


def test_oversized_response_fails_like_lambda(invoker) -> None:
    template, files = single("def handler(event, context):\n    return 'x' * event['n']\n")
    inv = invoker(template, files)

    assert inv.invoke("Fn", {"n": 6_000_000}).error is None
    too_big = inv.invoke("Fn", {"n": 6_300_000})

    assert too_big.error == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
                        "(6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
        "stackTrace": [],
    }


def test_result_that_json_cannot_carry_is_a_marshal_error(invoker) -> None:
    template, files = single("def handler(event, context):\n    return {1, 2}\n")
    inv = invoker(template, files)

    error = inv.invoke("Fn", {}).error

    assert error["errorType"] == "Runtime.MarshalError"
    assert error["errorMessage"].startswith("Unable to marshal response: Object of type set")


def test_result_comes_back_as_json_carries_it(invoker) -> None:
    template, files = single("def handler(event, context):\n    return {'t': (1, 2), 3: 'x'}\n")
    inv = invoker(template, files)

    assert inv.invoke("Fn", {}).result == {"t": [1, 2], "3": "x"}


def test_handler_gets_its_own_copy_of_the_event(invoker) -> None:
    template, files = single("def handler(event, context):\n    event['x'] = 2\n    return 1\n")
    inv = invoker(template, files)
    event = {"x": 1}

    inv.invoke("Fn", event)

    assert event == {"x": 1}


def test_local_layers_are_on_the_path(invoker) -> None:
    template = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer/
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Layers: [!Ref Shared]
"""
    files = {
        "src/app.py": "import helpers\ndef handler(event, context):\n    return helpers.NAME\n",
        "layer/python/helpers.py": "NAME = 'from the layer'\n",
    }
    inv = invoker(template, files)

    assert inv.invoke("Fn", {}).result == "from the layer"
    assert "helpers" not in sys.modules


def test_functions_that_cannot_run_here_are_a_clear_error(invoker) -> None:
    template = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Remote:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/code.zip
  Node:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: src/
"""
    inv = invoker(template, {"src/index.js": ""})

    remote = re.escape("Remote: CodeUri s3://bucket/code.zip is not a local folder")
    with pytest.raises(GatewayError, match=remote):
        inv.invoke("Remote", {})
    with pytest.raises(GatewayError, match="not a Python runtime"):
        inv.invoke("Node", {})
    with pytest.raises(GatewayError, match="no function 'Nope'"):
        inv.invoke("Nope", {})


def test_third_party_code_inside_the_code_folder_stays_shared(invoker, monkeypatch) -> None:
    # CodeUri: . puts the project's virtualenv (here: a folder on sys.path) under the code.
    template = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    CodeUri: .
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.handler
  B:
    Type: AWS::Serverless::Function
    Properties:
      Handler: b.handler
"""
    source = "import thirdparty\ndef handler(event, context):\n    return id(thirdparty)\n"
    files = {"a.py": source, "b.py": source,
             "venv/site-packages/thirdparty/__init__.py": "STATE = []\n"}
    inv = invoker(template, files)
    monkeypatch.syspath_prepend(str(inv.project.root / "venv" / "site-packages"))
    monkeypatch.delitem(sys.modules, "thirdparty", raising=False)

    a, b = inv.invoke("A", {}).result, inv.invoke("B", {}).result

    assert a == b == id(sys.modules["thirdparty"])
    assert "a" not in sys.modules and "b" not in sys.modules
    monkeypatch.delitem(sys.modules, "thirdparty")


def test_local_time_is_utc_during_the_call_only(invoker, monkeypatch) -> None:
    template, files = single("import time\ndef handler(event, context):\n"
                             "    return time.strftime('%z', time.localtime(0))\n")
    inv = invoker(template, files)
    monkeypatch.setenv("TZ", "EST+05EDT,M3.2.0,M11.1.0")
    time.tzset()
    try:
        during = inv.invoke("Fn", {}).result
        after = time.strftime("%z", time.localtime(0))
    finally:
        monkeypatch.undo()
        time.tzset()

    assert during == "+0000"
    assert after == "-0500"


def test_decimals_are_marshalled_as_numbers(invoker) -> None:
    template, files = single("from decimal import Decimal\ndef handler(event, context):\n"
                             "    return {'n': Decimal('3'), 'x': Decimal('1.5')}\n")
    inv = invoker(template, files)

    assert inv.invoke("Fn", {}).result == {"n": 3, "x": 1.5}


def test_what_a_function_puts_on_sys_path_is_its_own(invoker) -> None:
    source = (
        "import os, sys\n"
        "sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'vendor'))\n"
        "import importlib\n"
        "def handler(event, context):\n"
        "    return importlib.import_module(event['module']).NAME  # lazily, on a warm call\n"
    )
    template, files = single(source, extra={"src/vendor/first.py": "NAME = 'first'\n",
                                            "src/vendor/second.py": "NAME = 'second'\n"})
    inv = invoker(template, files)
    before = list(sys.path)

    first = inv.invoke("Fn", {"module": "first"})
    second = inv.invoke("Fn", {"module": "second"})

    assert (first.result, second.result) == ("first", "second")
    assert not second.cold
    assert sys.path == before
    assert "first" not in sys.modules and "second" not in sys.modules


def test_sys_exit_in_a_handler_ends_the_instance(invoker) -> None:
    template, files = single("import sys\ndef handler(event, context):\n"
                             "    if event.get('exit'):\n        sys.exit(3)\n    return 'ok'\n")
    inv = invoker(template, files)

    exited = inv.invoke("Fn", {"exit": True})

    assert exited.error["errorType"] == "Runtime.ExitError"
    assert exited.error["errorMessage"].endswith("Runtime exited with error: exit status 3")
    after = inv.invoke("Fn", {})
    assert (after.result, after.cold) == ("ok", True)


def test_calls_from_several_threads_and_invokers_do_not_interleave(invoker) -> None:
    import threading

    source = ("import os, time\ndef handler(event, context):\n"
              "    mine = os.environ['AWS_LAMBDA_FUNCTION_NAME']\n"
              "    time.sleep(0.02)\n"
              "    now = os.environ['AWS_LAMBDA_FUNCTION_NAME']\n"
              "    return mine == now == context.function_name\n")
    template = FUNCTIONS.replace("Handler: app.main.handler", "Handler: app.handler")
    files = {"one/app.py": source, "two/app.py": source}
    first, second = invoker(template, files), invoker(template, files)
    results: list[bool] = []

    def hammer(inv: Invoker, name: str) -> None:
        results.extend(inv.invoke(name, {}).result for _ in range(5))

    threads = [threading.Thread(target=hammer, args=(first, "One")),
               threading.Thread(target=hammer, args=(second, "Two"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [True] * 10


def test_environment_changes_a_function_makes_stay_its_own(invoker, monkeypatch) -> None:
    monkeypatch.setenv("HOST_ONLY", "host")
    source = ("import os\nos.environ['FROM_IMPORT'] = 'set at import'\n"
              "def handler(event, context):\n"
              "    if event.get('drop'):\n        del os.environ['HOST_ONLY']\n"
              "    return [os.environ.get('FROM_IMPORT'), os.environ.get('HOST_ONLY')]\n")
    template, files = single(source)
    inv = invoker(template, files)

    first = inv.invoke("Fn", {"drop": True}).result
    second = inv.invoke("Fn", {}).result

    assert first == ["set at import", None]
    assert second == ["set at import", None]  # warm: what it did to its environment stays
    assert "FROM_IMPORT" not in os.environ
    assert os.environ["HOST_ONLY"] == "host"
