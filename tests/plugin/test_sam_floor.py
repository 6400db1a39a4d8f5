"""The plugin in every pytest run of the environment: nothing heavy unless asked, and on a
pytest older than its floor a usage error for ``--sam`` instead of a broken run."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

import pytest_samfastapi.entry as entry

MODULES_PROBE = """\
import sys

def pytest_unconfigure():
    loaded = sorted(m for m in sys.modules if m.startswith(("sam_fastapi", "pytest_samfastapi")))
    open("modules.txt", "w").write("\\n".join(loaded))
"""

HEAVY = ("sam_fastapi.gateway", "sam_fastapi.template", "pytest_samfastapi.replay",
         "pytest_samfastapi.client")


def test_without_sam_the_plugin_imports_no_gateway_nor_template(
        pytester: pytest.Pytester) -> None:
    pytester.makeconftest(MODULES_PROBE)
    pytester.makepyfile("def test_one():\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:randomly")

    result.assert_outcomes(passed=1)
    loaded = (pytester.path / "modules.txt").read_text().split()
    assert "pytest_samfastapi.plugin" in loaded
    assert not [m for m in loaded if m.startswith(HEAVY)], loaded


def test_with_sam_the_template_is_loaded(pytester: pytest.Pytester, rest_project: Path) -> None:
    pytester.makeconftest(MODULES_PROBE)
    pytester.makepyfile("def test_one(sam_template):\n    assert sam_template.functions\n")

    result = pytester.runpytest_subprocess("--sam", "template.yaml")

    result.assert_outcomes(passed=1)
    assert "sam_fastapi.template.model" in (pytester.path / "modules.txt").read_text().split()


@pytest.fixture
def old_pytest(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A fresh copy of the entry module as pytest 6.2 imports it."""
    monkeypatch.setattr(pytest, "__version__", "6.2.5")
    spec = importlib.util.spec_from_file_location("entry_on_pytest_6", entry.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_on_pytest_6_the_plugin_is_not_loaded_and_sam_names_the_floor(old_pytest) -> None:
    assert not hasattr(old_pytest, "pytest_plugins")

    class Config:
        def __init__(self, option: str | None, ini: str) -> None:
            self.option, self.ini = option, ini

        def getoption(self, name: str) -> str | None:
            return self.option

        def getini(self, name: str) -> str:
            return self.ini

    old_pytest.pytest_configure(Config(None, ""))  # a run without --sam goes on
    for config in (Config("template.yaml", ""), Config(None, "template.yaml")):
        with pytest.raises(pytest.UsageError, match=r"needs pytest 7\.0 or later \(this is "
                           r"pytest 6\.2\.5\): pip install 'pytest>=7'"):
            old_pytest.pytest_configure(config)


def test_the_floor_is_what_pyproject_declares() -> None:
    from sam_fastapi._toml import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    floor = ".".join(map(str, entry.MINIMUM_PYTEST))
    assert f"pytest>={floor}" in pyproject["project"]["optional-dependencies"]["pytest"]
