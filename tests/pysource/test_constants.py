"""Constant evaluation across modules, on real files: what the source alone decides, and
nothing it does not."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from sam_fastapi.pysource import NOT_CONSTANT, Analyser, ModuleFinder, constant

CONFIG = """\
import os

PREFIX = "/api"
VERSION = "v1"
BRANCHED = "/a" if os.environ.get("X") else "/b"
if os.environ.get("Y"):
    SPLIT = "/one"
else:
    SPLIT = "/two"
if os.environ.get("Z"):
    SAME = "/same"
else:
    SAME = "/same"
FROM_ENV = os.environ["PREFIX"]


class Base:
    API_V1_STR: str = "/api/v1"
    UNSET: str


class Settings(Base):
    NAME = "items"


def get_settings():
    return Settings()


settings = Settings()
"""


def value_of(tmp_path: Path, expression: str) -> object:
    (tmp_path / "pkg").mkdir(exist_ok=True)
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/config.py").write_text(CONFIG)
    (tmp_path / "pkg/main.py").write_text(textwrap.dedent(f"""\
        from pkg import config
        from pkg.config import PREFIX, VERSION, BRANCHED, SPLIT, SAME, FROM_ENV
        from pkg.config import Settings, get_settings, settings


        def handler(event, context):
            return event

        result = {expression}
        """))
    analyser = Analyser(ModuleFinder([(tmp_path,)]))
    module = analyser.finder.find("pkg.main")
    assert module is not None
    scope = analyser.load(module).scope
    assert scope is not None
    site = scope.sites("result")[-1]
    assert isinstance(site.stmt, ast.Assign)
    return constant(site.stmt.value, scope, analyser)


@pytest.mark.parametrize(("expression", "expected"), [
    ('"/literal"', "/literal"),
    ("PREFIX", "/api"),
    ("config.PREFIX", "/api"),
    ('PREFIX + "/" + VERSION', "/api/v1"),
    ('f"{config.PREFIX}/{VERSION}/items"', "/api/v1/items"),
    ("SAME", "/same"),  # both branches agree
    ("settings.API_V1_STR", "/api/v1"),  # an instance: the base class's literal default
    ("Settings.NAME", "items"),
    ("get_settings().API_V1_STR", "/api/v1"),
])
def test_what_the_source_decides_is_constant(tmp_path, expression, expected):
    assert value_of(tmp_path, expression) == expected


@pytest.mark.parametrize("expression", [
    "BRANCHED",  # a conditional expression
    "SPLIT",  # branches bind different values
    "FROM_ENV",
    "settings.UNSET",  # annotated without a default
    "settings.MISSING",
    'f"{PREFIX!r}"',  # a conversion
    "event",  # not bound at module level
    "PREFIX + 1",
])
def test_what_only_running_the_code_tells_is_not(tmp_path, expression):
    assert value_of(tmp_path, expression) is NOT_CONSTANT
