"""Random Makefiles and Python code: the readers and the checks built on them never crash.

A crash inside a check would surface as SF000 (the runner contains it); the property is that
there is none, and that each reader returns its ordinary result types.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.handler.analysis import analyse
from sam_fastapi.checks.makefile.reader import read_makefile
from sam_fastapi.checks.routes.app import AppInfo
from sam_fastapi.checks.routes.static import read_app
from sam_fastapi.config import LintConfig
from sam_fastapi.lint import Linter
from sam_fastapi.plugins import get_plugin_manager
from sam_fastapi.template import build_project, load_template

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  AppFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.main.handler
      Runtime: python3.12
      Layers: [!Ref DepsLayer]
      Events:
        Root:
          Type: HttpApi
          Properties: {Path: /, Method: ANY}
        Rest:
          Type: Api
          Properties: {Path: "/items/{proxy+}", Method: GET}
  DepsLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/deps/
      CompatibleRuntimes: [python3.12]
    Metadata:
      BuildMethod: makefile
"""

PM = get_plugin_manager(entry_points=False)


def project_with(root: Path, files: dict[str, bytes]) -> Path:
    files = {"samconfig.toml": b"", "template.yaml": TEMPLATE.encode(),
             "src/app/__init__.py": b"", "src/requirements.txt": b"fastapi\nmangum\n", **files}
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root / "template.yaml"


def no_crash(template: Path, *select: str) -> None:
    result = Linter(PM, LintConfig(select=select, use_cache=False)).lint([template])
    crashed = [f for f in result.findings if f.rule == "SF000"]
    assert crashed == [], crashed


def encoded(parts: list[str]) -> bytes:
    return "".join(parts).encode("utf-8", errors="surrogateescape")


# -- Makefiles -------------------------------------------------------------------------------

makefile_fragments = st.sampled_from([
    "build-DepsLayer:", "build-DepsLayer: deps", "build-Other:", "\n", "\r\n", "\t", "    ", " ",
    "\\\n", "\\\r\n", "pip install -r requirements.txt -t ", '"$(ARTIFACTS_DIR)/python"',
    "$(ARTIFACTS_DIR)", "${ARTIFACTS_DIR}", "include other.mk", "-include *.mk",
    ".RECIPEPREFIX = >", "> cp -r . $(ARTIFACTS_DIR)", "define X", "endef", "ifeq ($(A),b)",
    "else", "endif", "X := $(shell ls)", "$(eval $(X))", "%:", "# comment", ";", ":", "=", "::",
    "\x00", "\ufeff", "\udcff", "build-$(NAME):", ".PHONY: build-DepsLayer",
])


@given(parts=st.lists(makefile_fragments, max_size=40))
def test_makefile_reading_and_checks_survive_any_text(tmp_path_factory, parts):
    root = tmp_path_factory.mktemp("mk")
    template = project_with(root, {"layers/deps/Makefile": encoded(parts)})
    makefile = read_makefile(root / "layers/deps/Makefile")
    lines = encoded(parts).count(b"\n") + 1
    assert all(1 <= recipe.line <= lines for recipe in makefile.recipe_lines)
    no_crash(template, "SF2")


# -- handler modules and routes --------------------------------------------------------------

python_fragments = st.sampled_from([
    "from fastapi import FastAPI, APIRouter\n", "from mangum import Mangum\n",
    "import fastapi, mangum\n", "from starlette.applications import Starlette\n",
    "app = FastAPI()\n", "app = FastAPI(root_path='/Prod', docs_url=None)\n",
    "app = fastapi.FastAPI(**options)\n", "handler = Mangum(app)\n", "handler = app\n",
    "handler = mangum.Mangum(app, api_gateway_base_path='/Prod')\n", "handler = None\n",
    "def handler(event, context):\n", "    return Mangum(app)(event, context)\n",
    "_h = _h or Mangum(app)\n", "handler = C()\n", "class C:\n", "    def __call__(self, e, c):\n",
    "@app.get('/items/{item_id}')\n", "@app.api_route('/y', methods=['GET', 1])\n",
    "@app.post(path)\n", "@router.get('')\n", "def f(item_id: int):\n", "async def g():\n",
    "    pass\n", "    await x\n", "router = APIRouter(prefix='/r')\n",
    "app.include_router(router, prefix=PREFIX)\n", "app.include_router(router)\n",
    "app.mount('/static', other)\n", "app.add_api_route('/z', f)\n",
    "for p in PATHS:\n", "    app.add_api_route(p, f)\n", "from app.helpers import *\n",
    "from app import helpers\n", "from . import main\n", "from .helpers import router\n",
    "import app.main\n", "import httpx\n", "if x:\n", "else:\n", "try:\n", "except:\n",
    "del handler\n", "global handler\n", "handler, other = Mangum(app), 1\n", "match x:\n",
    "    case 1:\n", "x = (", ")", "[" * 40, "]" * 40, "\\\n", "'''", "f'{", "lambda: (yield)\n",
    "\x00", "\t", "  ", "\ufeff", "\udcff", "\r\n", "# -*- coding: latin-1 -*-\n",
])
prefixes = st.sampled_from([b"", b"\xef\xbb\xbf", b"# -*- coding: latin-1 -*-\n",
                            b"# coding: klingon\n", b"# vim: set fileencoding=utf-16 :\n",
                            b"\xff\xfe", b"#!/usr/bin/env python\n# coding=ascii\n"])


@given(main=st.lists(python_fragments, max_size=30), helpers=st.lists(python_fragments,
                                                                     max_size=15),
       prefix=prefixes)
def test_handler_analysis_and_route_reading_survive_any_code(tmp_path_factory, main, helpers,
                                                             prefix):
    root = tmp_path_factory.mktemp("py")
    template = project_with(root, {"src/app/main.py": prefix + encoded(main),
                                   "src/app/helpers.py": encoded(helpers)})
    project = build_project(load_template(template), template)
    function = project.functions["AppFunction"]
    analysis = analyse(project, function, CheckContext())
    assert analysis.function is function
    app = read_app(project, function, CheckContext())
    assert app is None or isinstance(app, AppInfo)
    no_crash(template, "SF3", "SF4", "SF5")


@given(makefile=st.binary(max_size=600), module=st.binary(max_size=600),
       requirements=st.binary(max_size=100))
def test_the_checks_survive_random_bytes(tmp_path_factory, makefile, module, requirements):
    root = tmp_path_factory.mktemp("bytes")
    no_crash(project_with(root, {"layers/deps/Makefile": makefile, "src/app/main.py": module,
                                 "src/requirements.txt": requirements}),
             "SF2", "SF3", "SF4", "SF5")
