"""The handler rules SF301-SF305 and the static analysis behind them.

Fixture projects are real code on disk: FastAPI apps wrapped in a real Mangum, linted through
the real pipeline (cfn-lint and the SAM translator included). The analysis unit tests build the
model from a template mapping, which is quick, and read the same kind of files.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sam_fastapi import pysource
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.functions import python_functions, uses_web_adapter
from sam_fastapi.checks.handler.analysis import analyse
from sam_fastapi.config import LintConfig
from sam_fastapi.findings import Finding, Severity
from sam_fastapi.lint import Linter
from sam_fastapi.plugins import get_plugin_manager
from sam_fastapi.pysource import ModuleFinder, lambda_sys_path, parse_module
from sam_fastapi.template.model import Project, build_project

APP = """\
from fastapi import FastAPI

app = FastAPI(title="Casts")


@app.get("/casts")
def list_casts() -> list[str]:
    return ["Vivien Leigh"]
"""

MAIN = """\
from mangum import Mangum

from app.api import app

handler = Mangum(app, lifespan="off")
"""


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")


def template(functions: str, extra: str = "") -> str:
    return (
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Transform: AWS::Serverless-2016-10-31\n"
        f"{extra}"
        "Resources:\n"
        f"{textwrap.indent(textwrap.dedent(functions), '  ')}"
    )


def function(name: str, code_uri: str, handler: str, more: str = "") -> str:
    """A Python 3.12 function; ``more`` adds properties (already indented by 4)."""
    return (
        f"{name}:\n"
        "  Type: AWS::Serverless::Function\n"
        "  Properties:\n"
        "    Runtime: python3.12\n"
        f"    CodeUri: {code_uri}\n"
        f"    Handler: {handler}\n"
        f"{more}"
    )


def api_event(path: str = "/casts") -> str:
    """An HttpApi event, for the properties of ``function``: SF303 checks HTTP functions only."""
    return (
        "    Events:\n"
        "      Get:\n"
        "        Type: HttpApi\n"
        f"        Properties: {{Path: {path}, Method: GET}}\n"
    )


def lint(path: Path) -> list[Finding]:
    linter = Linter(get_plugin_manager(entry_points=False),
                    LintConfig(use_cache=False, select=("SF3",)))
    return linter.lint([path]).findings


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line of ``path`` that contains ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def summary(findings: list[Finding], root: Path) -> list[tuple[str, str, int]]:
    return sorted(
        (f.rule, Path(f.location.file).resolve().relative_to(root.resolve()).as_posix(),
         f.location.line)
        for f in findings
    )


# -- through the lint pipeline -----------------------------------------------------------------


def test_good_handlers_are_not_reported(tmp_path: Path) -> None:
    write(tmp_path, {
        # the usual layout: a package, the app in one module, Mangum in another
        "plain/app/__init__.py": "",
        "plain/app/api.py": APP,
        "plain/app/main.py": MAIN,
        "plain/requirements.txt": "",
        # any import alias, and the modules themselves
        "aliased/main.py": """\
            import mangum
            from fastapi import FastAPI as F
            from mangum import Mangum as M

            app = F()
            handler = M(app)
            other = mangum.Mangum(app, lifespan="off")
        """,
        # a function that delegates to a module-level Mangum object
        "delegating/main.py": """\
            from fastapi import FastAPI
            from mangum import Mangum

            app = FastAPI()
            _mangum = Mangum(app)


            def handler(event, context):
                if event.get("source") == "aws.events":
                    return {"warm": True}
                return _mangum(event, context)
        """,
        # the handler imported from another module; that module's app is relative-imported
        "imported/lambda_function.py": "from service.entry import handler  # noqa: F401\n",
        "imported/service/__init__.py": "",
        "imported/service/entry.py": "from mangum import Mangum\n\nfrom .api import app\n\n"
                                     "handler = Mangum(app)\n",
        "imported/service/api.py": APP,
        # the handler in a package's __init__.py, its app from a factory
        "package/service/__init__.py": """\
            from fastapi import FastAPI
            from mangum import Mangum


            def create_app():
                application = FastAPI()
                application.add_api_route("/ping", lambda: "pong")
                return application


            handler = Mangum(create_app())
        """,
        # Starlette, middleware around the app, a conditional definition
        "starlette/main.py": """\
            from mangum import Mangum
            from starlette.applications import Starlette
            from starlette.middleware.cors import CORSMiddleware

            app = Starlette()
            try:
                handler = Mangum(CORSMiddleware(app, allow_origins=["*"]))
            except ImportError:
                handler = None
        """,
        # built lazily on the first call and kept in a global: not per invocation
        "lazy/main.py": """\
            from fastapi import FastAPI
            from mangum import Mangum

            app = FastAPI()
            _handler = None


            def handler(event, context):
                global _handler
                if _handler is None:
                    _handler = Mangum(app)
                return _handler(event, context)
        """,
        # the handler module in a local layer (Lambda puts /opt/python on sys.path)
        "thin/requirements.txt": "",
        "layer/python/shared_api/__init__.py": "",
        "layer/python/shared_api/lambda_.py": "from fastapi import FastAPI\n"
                                               "from mangum import Mangum\n\n"
                                               "handler = Mangum(FastAPI())\n",
        # the AWS Lambda Web Adapter runs run.sh, which starts uvicorn
        "adapter/run.sh": "#!/bin/sh\nexec python -m uvicorn --port=${PORT:-8080} app.api:app\n",
        "adapter/app/__init__.py": "",
        "adapter/app/api.py": APP,
        "wrapper/run.sh": "#!/bin/sh\nexec python -m uvicorn --port 8080 app:app\n",
        # no Api/HttpApi event: a queue consumer is a plain handler by design
        "consumer/worker.py": "def handler(event, context):\n    return len(event['Records'])\n",
    })
    adapter = (
        "    Layers:\n"
        "      - !Sub arn:aws:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerX86:25\n"
    )
    wrapper = (
        "    Environment:\n"
        "      Variables:\n"
        "        AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap\n"
    )
    path = tmp_path / "template.yaml"
    path.write_text(template(
        function("Plain", "plain/", "app.main.handler", api_event("/plain"))
        + function("Aliased", "aliased/", "main.handler", api_event("/aliased"))
        + function("AliasedModule", "aliased/", "main.other", api_event("/module"))
        + function("Delegating", "delegating/", "main.handler", api_event("/delegating"))
        + function("Imported", "imported/", "lambda_function.handler",
                   api_event("/imported"))
        + function("Package", "package/", "service.handler", api_event("/package"))
        + function("Starlette", "starlette/", "main.handler", api_event("/starlette"))
        + function("Lazy", "lazy/", "main.handler", api_event("/lazy"))
        + function("InLayer", "thin/", "shared_api.lambda_.handler",
                   "    Layers:\n      - !Ref SharedLayer\n" + api_event("/layer"))
        + "SharedLayer:\n"
          "  Type: AWS::Serverless::LayerVersion\n"
          "  Properties:\n"
          "    ContentUri: layer/\n"
        + function("Adapter", "adapter/", "run.sh", adapter + api_event("/adapter"))
        + function("Wrapper", "wrapper/", "run.sh", wrapper + api_event("/wrapper"))
        + function("Consumer", "consumer/", "worker.handler")
        + "Node:\n"
          "  Type: AWS::Serverless::Function\n"
          "  Properties:\n"
          "    Runtime: nodejs20.x\n"
          "    CodeUri: plain/\n"
          "    Handler: index.handler\n"
        + function("InS3", "s3://bucket/code.zip", "nowhere.handler")
        + function("NoFolder", "missing/", "app.main.handler")
    ), encoding="utf-8")

    assert lint(path) == []


def test_missing_modules_and_attributes(tmp_path: Path) -> None:
    write(tmp_path, {
        "svc/app/__init__.py": "",
        "svc/app/api.py": APP,
        "svc/app/main.py": MAIN.replace("handler =", "lambda_handler ="),
        "svc/Service/routes.py": MAIN,
        "svc/namespace/routes.py": MAIN,
    })
    path = tmp_path / "template.yaml"
    path.write_text(template(
        function("NoModule", "svc/", "app.missing.handler")
        + function("WrongCase", "svc/", "service.routes.handler")
        + function("NotDotted", "svc/", "handler")
        + function("Renamed", "svc/", "app.main.handler")
        + function("Namespace", "svc/", "namespace.handler")
        + function("NoScript", "svc/", "run.sh",
                   "    Environment:\n      Variables:\n"
                   "        AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap\n")
        + "FromGlobals:\n"
          "  Type: AWS::Serverless::Function\n"
          "  Properties:\n"
          "    CodeUri: svc/\n",
        extra="Globals:\n  Function:\n    Runtime: python3.12\n    Handler: app.main.run\n",
    ), encoding="utf-8")

    findings = lint(path)

    handler_line = line_of(path, "Handler: app.missing.handler")
    assert summary(findings, tmp_path) == sorted([
        ("SF301", "template.yaml", handler_line),
        ("SF301", "template.yaml", line_of(path, "Handler: service.routes.handler")),
        ("SF301", "template.yaml", line_of(path, "Handler: handler")),
        ("SF302", "template.yaml", line_of(path, "Handler: app.main.handler")),
        ("SF302", "template.yaml", line_of(path, "Handler: namespace.handler")),
        ("SF301", "template.yaml", line_of(path, "Handler: run.sh")),
        # Handler comes from Globals: reported at the resource's Properties
        ("SF302", "template.yaml", line_of(path, "FromGlobals:") + 2),
    ])
    by_resource = {f.resource: f.message for f in findings}
    assert "svc/app/missing.py or svc/app/missing/__init__.py" in by_resource["NoModule"]
    assert "there is svc/Service/routes.py, but names are case-sensitive" in (
        by_resource["WrongCase"]
    )
    assert "'module.attribute'" in by_resource["NotDotted"]
    assert "svc/app/main.py defines no top-level 'handler'" in by_resource["Renamed"]
    assert "folder without __init__.py" in by_resource["Namespace"]
    assert "Lambda Web Adapter" in by_resource["NoScript"]
    assert "no top-level 'run'" in by_resource["FromGlobals"]


def test_handlers_that_are_not_mangum(tmp_path: Path) -> None:
    write(tmp_path, {
        "svc/app_itself.py": APP + "\nhandler = app\n",
        # no API event (a function URL, say), but a FastAPI module: checked all the same
        "svc/url_app.py": APP + "\nhandler = app\n",
        "svc/plain.py": """\
            def handler(event, context):
                return {"statusCode": 200, "body": "ok"}
        """,
        "svc/flask_app.py": """\
            from flask import Flask
            from mangum import Mangum

            app = Flask(__name__)
            handler = Mangum(app)
        """,
        "svc/asynchronous.py": """\
            from fastapi import FastAPI
            from mangum import Mangum

            _mangum = Mangum(FastAPI())


            async def handler(event, context):
                return _mangum(event, context)
        """,
        "svc/reexport.py": "import os\n\nfrom helpers import handler  # noqa: F401\n",
        "svc/helpers.py": "handler = None\n",
        "svc/undefined.py": "from mangum import Mangum\n\nhandler = Mangum(application)\n",
    })
    path = tmp_path / "template.yaml"
    path.write_text(template(
        function("AppItself", "svc/", "app_itself.handler", api_event())
        + function("FunctionUrl", "svc/", "url_app.handler")
        + function("Plain", "svc/", "plain.handler", api_event())
        + function("Flask", "svc/", "flask_app.handler", api_event())
        + function("Async", "svc/", "asynchronous.handler", api_event())
        + function("Reexport", "svc/", "reexport.handler", api_event())
        + function("Undefined", "svc/", "undefined.handler", api_event())
    ), encoding="utf-8")

    findings = lint(path)

    svc = tmp_path / "svc"
    assert summary(findings, tmp_path) == sorted([
        ("SF303", "svc/app_itself.py", line_of(svc / "app_itself.py", "handler = app")),
        ("SF303", "svc/url_app.py", line_of(svc / "url_app.py", "handler = app")),
        ("SF303", "svc/plain.py", line_of(svc / "plain.py", "def handler")),
        ("SF303", "svc/flask_app.py", line_of(svc / "flask_app.py", "handler = Mangum")),
        ("SF303", "svc/asynchronous.py", line_of(svc / "asynchronous.py", "async def handler")),
        # where the handler module binds the name: its import
        ("SF303", "svc/reexport.py", line_of(svc / "reexport.py", "from helpers import")),
        ("SF303", "svc/undefined.py", line_of(svc / "undefined.py", "handler = Mangum")),
    ])
    messages = {f.resource: f.message for f in findings}
    assert "is the app FastAPI(...) itself, not wrapped in Mangum" in messages["AppItself"]
    assert "never passes (event, context) to a Mangum object" in messages["Plain"]
    assert "Flask app (WSGI" in messages["Flask"]
    assert "async" in messages["Async"]
    assert "is None" in messages["Reexport"]
    assert "'application', which is not defined" in messages["Undefined"]
    assert all(f.severity is Severity.ERROR for f in findings)


def test_mangum_built_per_invocation(tmp_path: Path) -> None:
    write(tmp_path, {
        "svc/app/__init__.py": "",
        "svc/app/api.py": APP,
        "svc/app/main.py": """\
            from mangum import Mangum

            from app.api import app


            def handler(event, context):
                return Mangum(app)(event, context)


            def _serve(event, context):
                asgi = Mangum(app, lifespan="off")
                return asgi(event, context)


            def indirect(event, context):
                return _serve(event, context)
        """,
    })
    path = tmp_path / "template.yaml"
    path.write_text(template(
        function("Direct", "svc/", "app.main.handler")
        + function("Indirect", "svc/", "app.main.indirect")
    ), encoding="utf-8")

    findings = lint(path)

    main = tmp_path / "svc/app/main.py"
    assert summary(findings, tmp_path) == [
        ("SF304", "svc/app/main.py", line_of(main, "return Mangum(app)(event, context)")),
        ("SF304", "svc/app/main.py", line_of(main, "asgi = Mangum(app")),
    ]
    assert {f.severity for f in findings} == {Severity.WARNING}
    assert findings[0].location.column == len("    return ") + 1


def test_syntax_errors_in_the_handler_and_what_it_imports(tmp_path: Path) -> None:
    write(tmp_path, {
        "direct/main.py": """\
            from fastapi import FastAPI
            from mangum import Mangum

            app = FastAPI()


            @app.get("/casts")
            def list_casts()
                return []


            handler = Mangum(app)
        """,
        "followed/app/__init__.py": "",
        "followed/app/main.py": MAIN,
        "followed/app/api.py": APP.replace("-> list[str]:", "-> list[str]"),
        "parent/app/__init__.py": "VERSION = '1.0\n",
        "parent/app/main.py": "from fastapi import FastAPI\nfrom mangum import Mangum\n\n"
                              "handler = Mangum(FastAPI())\n",
        # latin-1 with its coding cookie is fine; the same bytes without one are not
        "latin/good.py": "# -*- coding: latin-1 -*-\nfrom fastapi import FastAPI\n"
                         "from mangum import Mangum\n\nTITLE = 'Café'\n"
                         "handler = Mangum(FastAPI(title=TITLE))\n".encode("latin-1"),
        "latin/bad.py": "from fastapi import FastAPI\nfrom mangum import Mangum\n\n"
                        "TITLE = 'Café'\nhandler = Mangum(FastAPI(title=TITLE))\n"
                        .encode("latin-1"),
        "nul/main.py": b"from mangum import Mangum\n\nhandler = Mangum(app)\x00\n",
        # importing main runs helpers.db (broken), but neither the TYPE_CHECKING import nor
        # the one inside a function
        "imports/main.py": """\
            from typing import TYPE_CHECKING

            from fastapi import FastAPI
            from mangum import Mangum

            from helpers import db

            if TYPE_CHECKING:
                import typing_only


            def later():
                import lazy

            handler = Mangum(FastAPI())
        """,
        "imports/helpers/__init__.py": "",
        "imports/helpers/db.py": "def connect(:\n    pass\n",
        "imports/typing_only.py": "def (\n",
        "imports/lazy.py": "def (\n",
    })
    path = tmp_path / "template.yaml"
    path.write_text(template(
        function("Direct", "direct/", "main.handler")
        + function("Followed", "followed/", "app.main.handler")
        + function("Parent", "parent/", "app.main.handler")
        + function("Latin", "latin/", "good.handler")
        + function("Undecodable", "latin/", "bad.handler")
        + function("NullBytes", "nul/", "main.handler")
        + function("Imports", "imports/", "main.handler")
    ), encoding="utf-8")

    findings = lint(path)

    assert summary(findings, tmp_path) == sorted([
        ("SF305", "direct/main.py", line_of(tmp_path / "direct/main.py", "def list_casts()")),
        ("SF305", "followed/app/api.py",
         line_of(tmp_path / "followed/app/api.py", "def list_casts()")),
        ("SF305", "parent/app/__init__.py", 1),
        ("SF305", "latin/bad.py", 4),
        ("SF305", "nul/main.py", 3),
        ("SF305", "imports/helpers/db.py", 1),
    ])
    messages = {f.resource: f.message for f in findings}
    assert messages["Direct"].startswith("SyntaxError: expected ':'")
    assert "unterminated string literal" in messages["Parent"]
    assert "codec can't decode" in messages["Undecodable"]
    assert "null bytes" in messages["NullBytes"]


def test_lint_never_runs_the_handler_module(tmp_path: Path) -> None:
    marker = tmp_path / "imported.txt"
    write(tmp_path, {
        "svc/main.py": f"""\
            from pathlib import Path

            from fastapi import FastAPI
            from mangum import Mangum

            Path({str(marker)!r}).write_text("the module ran")
            import helpers  # noqa: E402,F401

            handler = Mangum(FastAPI())
            raise SystemExit("imported at lint time")
        """,
        "svc/helpers.py": f"open({str(marker)!r}, 'w').write('helpers ran')\n",
        "svc/broken.py": f"open({str(marker)!r}, 'w').write('broken ran')\nhandler = 42\n",
    })
    path = tmp_path / "template.yaml"
    path.write_text(template(
        function("Runs", "svc/", "main.handler")
        + function("Broken", "svc/", "broken.handler", api_event())
    ), encoding="utf-8")

    findings = lint(path)

    assert not marker.exists()
    assert summary(findings, tmp_path) == [("SF303", "svc/broken.py", 2)]
    assert "the constant 42" in findings[0].message


def test_rules_have_the_four_doc_sections() -> None:
    linter = Linter(get_plugin_manager(entry_points=False), LintConfig(use_cache=False))
    rules = {rule_id: rule for rule_id, rule in linter.rules.items() if rule_id.startswith("SF3")}
    assert sorted(rules) == ["SF301", "SF302", "SF303", "SF304", "SF305", "SF306", "SF307", "SF308",
                            "SF309"]
    for rule in rules.values():
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
            assert section in rule.docs, (rule.id, section)


# -- the analysis ------------------------------------------------------------------------------


def project_of(root: Path, functions: dict[str, dict[str, Any]],
               layers: dict[str, dict[str, Any]] | None = None) -> Project:
    resources: dict[str, Any] = {
        name: {"Type": "AWS::Serverless::Function",
               "Properties": {"Runtime": "python3.12", **props}}
        for name, props in functions.items()
    }
    for name, props in (layers or {}).items():
        resources[name] = {"Type": "AWS::Serverless::LayerVersion", **props}
    return build_project({"Resources": resources}, root / "template.yaml")


def analysed(root: Path, files: dict[str, str | bytes], handler: str = "main.handler",
             **props: Any):
    write(root / "src", files)
    project = project_of(root, {"Fn": {"CodeUri": "src/", "Handler": handler, **props}})
    return analyse(project, project.functions["Fn"], CheckContext())


@pytest.mark.parametrize(
    ("source", "status"),
    [
        pytest.param("from mangum import Mangum\nfrom fastapi import FastAPI\n"
                     "handler = Mangum(FastAPI())\n", "ok", id="inline-app"),
        pytest.param("import fastapi, mangum\napp = fastapi.FastAPI()\n"
                     "handler = mangum.Mangum(app=app)\n", "ok", id="module-attributes"),
        pytest.param("from mangum.adapter import Mangum\nfrom fastapi import FastAPI\n"
                     "class API(FastAPI):\n    pass\nhandler = Mangum(API())\n", "ok",
                     id="app-subclass"),
        pytest.param("from mangum import Mangum\nfrom fastapi import FastAPI\n"
                     "handler, other = Mangum(FastAPI()), None\n", "ok", id="tuple-assignment"),
        pytest.param("from mangum import Mangum\nfrom fastapi import FastAPI\n"
                     "def setup():\n    global handler\n    handler = Mangum(FastAPI())\n"
                     "setup()\n", "ok", id="global-in-function"),
        pytest.param("from mangum import Mangum\nfrom fastapi import FastAPI\n"
                     "if (handler := Mangum(FastAPI())):\n    pass\n", "ok", id="walrus"),
        pytest.param("from mangum import Mangum\nfrom fastapi import FastAPI\n"
                     "_m = Mangum(FastAPI())\nhandler = lambda e, c: _m(e, c)\n", "ok",
                     id="lambda-delegating"),
        pytest.param("from mangum import Mangum\nfrom fastapi import FastAPI\n"
                     "def make():\n    return Mangum(FastAPI())\nhandler = make()\n", "ok",
                     id="handler-factory"),
        pytest.param("from mangum import Mangum\nfrom mycompany.apps import app\n"
                     "handler = Mangum(app)\n", "ok", id="third-party-app-unverifiable"),
        pytest.param("from mycompany.lambda_ import handler\n", "unknown", id="third-party"),
        pytest.param("from x import *\n", "unknown", id="star-import"),
        pytest.param("from mangum import Mangum\nhandler = Mangum\n", "not", id="the-class"),
        pytest.param("from mangum import Mangum\nfrom fastapi import APIRouter\n"
                     "handler = Mangum(APIRouter())\n", "not", id="a-router"),
        pytest.param("from mangum import Mangum\nhandler = Mangum()\n", "not", id="no-app"),
        pytest.param("from mangum import Mangum\nhandler = Mangum(*ARGS)\n", "ok",
                     id="app-in-star-args"),
        pytest.param("from fastapi import FastAPI\nfrom lambda_asgi import make_handler\n"
                     "handler = make_handler(FastAPI())\n", "unknown",
                     id="third-party-wrapper"),
        pytest.param("from fastapi import FastAPI\nfrom timing import TimingMiddleware\n"
                     "handler = TimingMiddleware(FastAPI())\n", "not",
                     id="middleware-not-in-mangum"),
        pytest.param("import json as handler\n", "unknown", id="stdlib-module"),
        pytest.param("def handler():\n    return 1\n", "not", id="no-arguments"),
        pytest.param("class handler:\n    pass\n", "not", id="a-class"),
        pytest.param("class H:\n    pass\nhandler = H()\n", "not", id="an-instance"),
        pytest.param("class H:\n    def __call__(self, event, context):\n        return 1\n"
                     "handler = H()\n", "unknown", id="a-callable-instance"),
        pytest.param("handler = [1]\n", "not", id="a-list"),
        pytest.param("a = b\nb = a\nhandler = a\n", "unknown", id="circular"),
    ],
)
def test_what_handler_is(tmp_path: Path, source: str, status: str) -> None:
    result = analysed(tmp_path, {"main.py": source})
    assert result.verdict.status == status, result.verdict


@pytest.mark.parametrize(
    ("body", "per_invocation"),
    [
        ("    return Mangum(app)(event, context)\n", [1]),
        ("    m = Mangum(app)\n    return m(event, context)\n", [1]),
        ("    global _h\n    _h = _h or Mangum(app)\n    return _h(event, context)\n", []),
        ("    CACHE['h'] = CACHE.get('h') or Mangum(app)\n"
         "    return CACHE['h'](event, context)\n", []),
    ],
)
def test_mangum_built_per_invocation_or_kept(tmp_path: Path, body: str,
                                             per_invocation: list[int]) -> None:
    source = ("from mangum import Mangum\nfrom fastapi import FastAPI\napp = FastAPI()\n"
              "_h = None\nCACHE = {}\ndef handler(event, context):\n")
    result = analysed(tmp_path, {"main.py": source + body})
    first = source.count("\n") + 1
    assert [p.line - first + 1 for p in result.verdict.per_invocation] == per_invocation


def test_handler_imported_through_a_chain_of_modules(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "main.py": "from pkg.a import handler\n",
        "pkg/__init__.py": "",
        "pkg/a.py": "from .b import handler\n",
        "pkg/b.py": "from .sub import c\nhandler = c.handler\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": "from mangum import Mangum\nfrom ..api import app\nhandler = Mangum(app)\n",
        "pkg/api.py": APP,
    }
    assert analysed(tmp_path, files).verdict.status == "ok"


def test_mangum_around_a_module_is_not_an_app(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "pkg/__init__.py": "",
        "pkg/main.py": "from mangum import Mangum\n\nfrom . import api\n\nhandler = Mangum(api)\n",
        "pkg/api.py": APP,
    }
    verdict = analysed(tmp_path, files, handler="pkg.main.handler").verdict
    assert (verdict.status, verdict.what) == (
        "not", "a Mangum object wrapping the module pkg.api, not a FastAPI or Starlette app"
    )


def test_relative_import_above_the_top_level_package_is_not_followed(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "pkg/__init__.py": "",
        "pkg/main.py": "from ..elsewhere import handler\n",
        "elsewhere.py": "handler = None\n",
    }
    assert analysed(tmp_path, files, handler="pkg.main.handler").verdict.status == "unknown"


def test_followed_imports_stop_at_the_depth_limit(tmp_path: Path) -> None:
    depth = pysource.MAX_IMPORT_DEPTH + 2
    files: dict[str, str | bytes] = {"main.py": "from m0 import handler\n"}
    for index in range(depth):
        files[f"m{index}.py"] = f"from m{index + 1} import handler\n"
    files[f"m{depth}.py"] = "handler = None\n"
    assert analysed(tmp_path, files).verdict.status == "unknown"


def test_attribute_defined_conditionally_or_by_import(tmp_path: Path) -> None:
    cases = {
        "if True:\n    handler = 1\n": True,
        "try:\n    from x import handler\nexcept ImportError:\n    pass\n": True,
        "import x as handler\n": True,
        "for handler in []:\n    pass\n": True,
        "handler: object\n": False,  # an annotation alone binds nothing
        "def f():\n    handler = 1\n": False,
        "def __getattr__(name):\n    return 1\n": None,
    }
    for index, (source, defined) in enumerate(cases.items()):
        result = analysed(tmp_path / str(index), {"main.py": source})
        assert result.defined is defined, source


def test_sys_path_is_code_then_layers(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/shared/__init__.py": "",
        "one/python/shared/__init__.py": "",
        "one/python/only_in_one.py": "",
        "two/python/only_in_one.py": "",
        "built/tool.py": "",
        "one/python/lib/python3.12/site-packages/dep.py": "",
    })
    project = project_of(
        tmp_path,
        {"Fn": {"CodeUri": "src/", "Handler": "main.handler",
                "Layers": [{"Ref": "One"}, {"Ref": "Two"}, {"Ref": "Built"},
                           "arn:aws:lambda:us-east-1:123456789012:layer:x:1"]}},
        {"One": {"Properties": {"ContentUri": "one/"}},
         "Two": {"Properties": {"ContentUri": "two/"}},
         "Built": {"Properties": {"ContentUri": "built/"},
                   "Metadata": {"BuildMethod": "python3.12"}}},
    )
    finder = ModuleFinder(lambda_sys_path(project, project.functions["Fn"]))

    assert finder.find("shared").file == tmp_path / "src/shared/__init__.py"
    # layers are unpacked in order into /opt: the later one wins
    assert finder.find("only_in_one").file == tmp_path / "two/python/only_in_one.py"
    assert finder.find("tool").file == tmp_path / "built/tool.py"
    assert finder.find("dep").file == (tmp_path / "one/python/lib/python3.12/site-packages/dep.py")
    assert finder.find("nothing") is None


def test_module_lookup_follows_the_import_system(tmp_path: Path) -> None:
    write(tmp_path, {
        "a/__init__.py": "",
        "a.py": "",  # a package wins over a module of the same name
        "b.py": "",
        "b/c.py": "",  # a module wins over a namespace folder; b.c is then not importable
        "ns/deep/__init__.py": "",
        "ns/deep/mod.py": "",
        "ns/deep/Other.py": "",
        "ext.cpython-312-x86_64-linux-gnu.so": "",
    })
    finder = ModuleFinder(((tmp_path,),))

    assert finder.find("a").file == tmp_path / "a/__init__.py"
    assert finder.find("b").file == tmp_path / "b.py"
    assert finder.find("b.c") is None
    module = finder.find("ns.deep.mod")
    assert module.file == tmp_path / "ns/deep/mod.py"
    assert module.runs_first == (tmp_path / "ns/deep/__init__.py",)
    assert finder.find("ns").file is None and finder.find("ns").is_package
    assert finder.find("ext").compiled
    assert finder.find("A") is None  # case-sensitive, as on Lambda
    assert finder.find("ns.deep.other") is None
    assert finder.same_but_case("ns.deep.other") == tmp_path / "ns/deep/Other.py"
    assert finder.same_but_case("ns.deep.absent") is None


def test_slashes_in_the_handler_are_dots(tmp_path: Path) -> None:
    result = analysed(tmp_path, {"app/__init__.py": "", "app/main.py": MAIN, "app/api.py": APP},
                      handler="app/main.handler")
    assert result.module is not None and result.verdict.status == "ok"


@pytest.mark.parametrize(
    ("layers", "environment", "expected"),
    [
        (["arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerArm64:25"], {}, True),
        ([{"Fn::Sub": "arn:aws:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerX86:25"}],
         {}, True),
        ([{"Fn::Sub": ["arn:aws-cn:lambda:cn-north-1:041581134020:layer:LambdaAdapterLayerX86:25",
                       {}]}], {}, True),
        ([], {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap"}, True),
        (["arn:aws:lambda:eu-west-1:123456789012:layer:LambdaAdapterLayerX86:25"], {}, False),
        ([], {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/otel-instrument"}, False),
    ],
)
def test_web_adapter_detection(tmp_path: Path, layers: list[Any], environment: dict[str, str],
                               expected: bool) -> None:
    project = project_of(tmp_path, {"Fn": {
        "CodeUri": ".", "Handler": "main.handler", "Layers": layers,
        "Environment": {"Variables": environment},
    }})
    assert uses_web_adapter(project.functions["Fn"]) is expected


def test_a_shell_script_handler_is_a_web_adapter_startup(tmp_path: Path) -> None:
    project = project_of(tmp_path, {"Fn": {"CodeUri": ".", "Handler": "run.sh"}})
    assert uses_web_adapter(project.functions["Fn"]) is True


def test_only_python_zip_functions_with_local_code(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    project = project_of(tmp_path, {
        "Python": {"CodeUri": "src/", "Handler": "main.handler"},
        "Node": {"CodeUri": "src/", "Handler": "main.handler", "Runtime": "nodejs20.x"},
        "Image": {"PackageType": "Image", "ImageUri": "repo:tag"},
        "S3": {"CodeUri": "s3://bucket/key.zip", "Handler": "main.handler"},
        "Intrinsic": {"CodeUri": {"Ref": "Code"}, "Handler": "main.handler"},
        "Missing": {"CodeUri": "nowhere/", "Handler": "main.handler"},
        "HandlerIntrinsic": {"CodeUri": "src/", "Handler": {"Fn::Sub": "x"}},
    })
    assert [f.logical_id for f in python_functions(project, CheckContext())] == ["Python"]


def test_syntax_a_newer_runtime_may_know_is_not_reported_for_it(tmp_path: Path) -> None:
    current = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    newer = f"python{sys.version_info[0]}.{sys.version_info[1] + 1}"
    type_parameters: dict[str, str | bytes] = {"main.py": "def pick[T](x: T) -> T\n"}
    plain: dict[str, str | bytes] = {"main.py": "def pick(x)\n"}

    assert analysed(tmp_path / "1", type_parameters, Runtime=current).syntax_errors
    assert analysed(tmp_path / "2", type_parameters, Runtime=newer).syntax_errors == ()
    assert analysed(tmp_path / "3", plain, Runtime=newer).syntax_errors


def test_huge_and_unreadable_files_are_skipped(tmp_path: Path) -> None:
    huge = tmp_path / "huge.py"
    huge.write_bytes(b"x = 1\n" * (pysource.MAX_SOURCE_BYTES // 6 + 1) + b"def (\n")
    assert parse_module(huge) is None
    assert parse_module(tmp_path / "missing.py") is None
    result = analysed(tmp_path, {"main.py": huge.read_bytes()})
    assert (result.syntax_errors, result.defined) == ((), None)


def test_parse_cache_sees_edits(tmp_path: Path) -> None:
    path = tmp_path / "main.py"
    path.write_text("handler = (\n", encoding="utf-8")
    assert parse_module(path).location.line == 1
    path.write_text("handler = None\n", encoding="utf-8")
    assert parse_module(path).body[0].targets[0].id == "handler"
