"""Third-party plugins, found through a real ``sam_fastapi`` entry point of a real distribution."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sam_fastapi.plugins import (
    COMMAND_PLUGINS,
    DEFAULT_PLUGINS,
    ENTRY_POINT_GROUP,
    get_plugin_manager,
    registered_checks,
)

GOOD_PLUGIN = '''\
"""A plugin with one working check and one that crashes."""

from sam_fastapi import hookimpl
from sam_fastapi.findings import Rule, Severity, Violation

DOCS = """\\
## What it does
Asks every function to set a Timeout.

## Why is this bad?
The default of 3 seconds is short.

## Example
```yaml
Properties: {}
```

## Use instead
```yaml
Properties: {Timeout: 10}
```
"""


class TimeoutMissing:
    rule = Rule("SF901", "timeout-missing", Severity.WARNING,
                "A function leaves Timeout at its default.", DOCS)

    def run(self, project, ctx):
        for function in project.functions.values():
            yield Violation(f"{function.logical_id} has no Timeout",
                            resource=function.logical_id,
                            path=("Resources", function.logical_id, "Properties", "Handler"))


class Exploding:
    rule = Rule("SF902", "exploding", Severity.ERROR, "Always crashes.", DOCS)

    def run(self, project, ctx):
        raise KeyError("Properties")


@hookimpl
def sam_fastapi_register_checks():
    return [TimeoutMissing(), Exploding()]
'''

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  CastFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: svc/
      Handler: app.handler
      Runtime: python3.12
"""


def make_distribution(site: Path, name: str, module: str, source: str) -> None:
    """An installed distribution as pip leaves it: a module and its .dist-info."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(source, encoding="utf-8")
    info = site / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{module} = {module}\n",
                                           encoding="utf-8")


def cli(site: Path, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, "-m", "sam_fastapi", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "svc").mkdir(parents=True)
    (folder / "svc" / "app.py").write_text("handler = None\n", encoding="utf-8")
    (folder / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    return folder


def test_built_in_plugins_are_registered_by_name() -> None:
    pm = get_plugin_manager(entry_points=False)
    assert [name for name in COMMAND_PLUGINS if pm.get_plugin(name) is None] == []

    registered_checks(pm)
    assert [name for name in DEFAULT_PLUGINS if pm.get_plugin(name) is None] == []


def test_the_manager_finds_the_hooks_pluggy_finds() -> None:
    """Its quicker reading of module plugins registers what pluggy's own lookup registers:
    the built-ins, and a module holding a hook among classes, functions, imports and
    methods."""
    import importlib
    import types

    import pluggy

    from sam_fastapi import hookspecs

    mixed = types.ModuleType("mixed")
    exec(GOOD_PLUGIN + textwrap.dedent("""
        import os
        from pathlib import Path

        helper = staticmethod(len)
        bound = Path(".").exists

        def not_a_hook():
            pass
    """), mixed.__dict__)

    def implementations(pm: pluggy.PluginManager) -> list[tuple]:
        for name in DEFAULT_PLUGINS:
            pm.register(importlib.import_module(name), name=name)
        pm.register(mixed, name="mixed")
        return [(hook, impl.plugin_name, impl.function, impl.opts)
                for hook in sorted(vars(pm.hook))
                for impl in getattr(pm.hook, hook).get_hookimpls()]

    pluggys = pluggy.PluginManager("sam_fastapi")
    pluggys.add_hookspecs(hookspecs)
    found = implementations(get_plugin_manager(entry_points=False, builtins=()))
    assert len(found) == len(DEFAULT_PLUGINS) + 1
    assert found == implementations(pluggys)


def test_a_command_that_never_lints_starts_without_importing_the_checks() -> None:
    code = ("import sys; from sam_fastapi.cli import main; main(['layer']); "
            "print(sorted(m for m in sys.modules if m.startswith(('sam_fastapi.checks', "
            "'sam_fastapi.lint', 'sam_fastapi.template', 'sam_fastapi.gateway', 'cfnlint', "
            "'samtranslator'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)

    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_plugin_check_reports_and_a_crashing_check_becomes_sf000(
    tmp_path: Path, project: Path
) -> None:
    make_distribution(tmp_path / "site", "sam-fastapi-timeouts", "sam_fastapi_timeouts",
                      GOOD_PLUGIN)

    result = cli(tmp_path / "site", project, "lint", "--select", "SF0,SF101,SF9",
                 "template.yaml")
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "template.yaml:1:1: SF000 error check SF902 (sam_fastapi_timeouts.Exploding) crashed: "
        "KeyError: 'Properties'",
        "template.yaml:6:7: SF101 error no requirements.txt in CodeUri folder of CastFunction; "
        "add one (empty when a layer provides the dependencies) [CastFunction]",
        "template.yaml:7:7: SF901 warning CastFunction has no Timeout [CastFunction]",
        "Found 3 problems (2 errors, 1 warning).",
    ]


def test_a_plugin_rule_appears_in_rules(tmp_path: Path, project: Path) -> None:
    make_distribution(tmp_path / "site", "sam-fastapi-timeouts", "sam_fastapi_timeouts",
                      GOOD_PLUGIN)

    listing = cli(tmp_path / "site", project, "rules")
    assert listing.returncode == 0, listing.stderr
    assert [line.split(None, 3)[:3] for line in listing.stdout.splitlines()
            if line.startswith("SF9")] == [["SF901", "timeout-missing", "warning"],
                                            ["SF902", "exploding", "error"]]

    explained = cli(tmp_path / "site", project, "rules", "SF901")
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith("# SF901 timeout-missing (warning)\n")
    assert "## Use instead\n```yaml\nProperties: {Timeout: 10}\n```\n" in explained.stdout


@pytest.mark.parametrize("command", [["lint", "template.yaml"], ["rules"]])
def test_a_plugin_that_fails_to_import_is_one_line_naming_its_distribution(
    tmp_path: Path, project: Path, command: list[str]
) -> None:
    make_distribution(tmp_path / "site", "sam-fastapi-broken", "sam_fastapi_broken",
                      "import a_module_that_does_not_exist\n")

    result = cli(tmp_path / "site", project, *command)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "sam-fastapi: error: plugin 'sam_fastapi_broken' from sam-fastapi-broken failed to load: "
        "ModuleNotFoundError: No module named 'a_module_that_does_not_exist'\n"
    )


def test_a_plugin_with_a_syntax_error_is_one_line_too(tmp_path: Path, project: Path) -> None:
    make_distribution(tmp_path / "site", "sam-fastapi-typo", "sam_fastapi_typo",
                      textwrap.dedent("""\
                          def broken(:
                              pass
                          """))

    result = cli(tmp_path / "site", project, "rules")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "sam-fastapi: error: plugin 'sam_fastapi_typo' from sam-fastapi-typo failed to load: "
        "SyntaxError: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("from sam_fastapi import hookimpl\n\n\n@hookimpl\n"
         "def sam_fastapi_register_checks():\n    raise RuntimeError('no config')\n",
         "RuntimeError: no config"),
        ("from sam_fastapi import hookimpl\n\n\n@hookimpl\n"
         "def sam_fastapi_register_formatters():\n    return None\n",
         "TypeError: sam_fastapi_register_formatters returned NoneType, not a list"),
        ("from sam_fastapi import hookimpl\n\n\n@hookimpl\n"
         "def sam_fastapi_register_checks():\n    return ['not a check']\n",
         "TypeError: sam_fastapi_register_checks returned 'not a check', which has no Rule"),
    ],
    ids=["raises", "returns-none", "not-a-check"],
)
def test_a_plugin_whose_registration_is_broken_is_one_line(
    tmp_path: Path, project: Path, source: str, problem: str
) -> None:
    make_distribution(tmp_path / "site", "sam-fastapi-odd", "sam_fastapi_odd", source)

    result = cli(tmp_path / "site", project, "lint", "template.yaml")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"sam-fastapi: error: plugin 'sam_fastapi_odd' from sam-fastapi-odd failed to load: "
        f"{problem}")
    assert result.stderr.count("\n") == 1


COMMAND_PLUGIN = '''\
from sam_fastapi import hookimpl


@hookimpl
def sam_fastapi_register_commands(subparsers):
    parser = subparsers.add_parser("hello", help="say hello")
    parser.set_defaults(handler=lambda args: print("hello from a plugin") or 0)
'''


def test_a_plugin_adds_a_command(tmp_path: Path, project: Path) -> None:
    make_distribution(tmp_path / "site", "sam-fastapi-hello", "sam_fastapi_hello",
                      COMMAND_PLUGIN)

    result = cli(tmp_path / "site", project, "hello")
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello from a plugin\n", "")
    assert "hello" in cli(tmp_path / "site", project, "--help").stdout


def test_a_broken_plugin_stops_lint_but_not_a_command_that_calls_no_hook(
    tmp_path: Path, project: Path
) -> None:
    make_distribution(tmp_path / "site", "sam-fastapi-broken", "sam_fastapi_broken",
                      "import a_module_that_does_not_exist\n")

    assert cli(tmp_path / "site", project, "lint", "template.yaml").returncode == 2
    routes = cli(tmp_path / "site", project, "routes", "template.yaml")
    assert routes.returncode == 0, routes.stderr
    assert "failed to load" not in routes.stderr
