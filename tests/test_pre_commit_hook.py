"""The pre-commit hook runs when a template or a file its functions are built from changes,
and lints the template that file belongs to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sam_fastapi._toml import tomllib
from sam_fastapi.cli import main

ROOT = Path(__file__).parents[1]
HOOK = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]

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


@pytest.mark.parametrize("staged", [
    "template.yaml", "infra/template.yml", "template.json", "svc/app/main.py", "app.py",
    "svc/requirements.txt", "requirements-dev.txt", "svc/Makefile", "Makefile"])
def test_the_hook_runs_for_templates_handlers_requirements_and_makefiles(staged: str) -> None:
    assert re.search(HOOK["files"], staged)


@pytest.mark.parametrize("staged", ["README.md", "events/get.json", "svc/data.txt"])
def test_the_hook_skips_other_files(staged: str) -> None:
    assert not re.search(HOOK["files"], staged)


def test_the_hook_installs_the_lint_extra() -> None:
    # pre-commit installs the hook's repository without extras.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert sorted(HOOK["additional_dependencies"]) == sorted(
        pyproject["project"]["optional-dependencies"]["lint"])
    assert HOOK["pass_filenames"] is True


def test_a_staged_handler_lints_the_template_above_it(tmp_path: Path, monkeypatch,
                                                        capsys) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "requirements.txt").write_text("mangum\n")
    (tmp_path / "svc" / "app.py").write_text("def handler(event, context:\n")  # broken
    monkeypatch.chdir(tmp_path)

    code = main(["lint", "svc/app.py", "svc/requirements.txt"])  # as pre-commit calls it

    out = capsys.readouterr().out
    assert code == 1, out
    # The template was linted once, and the handler's problem is at the handler's line.
    assert out.splitlines()[0].startswith("svc/app.py:1:12: SF305 error SyntaxError"), out
    assert out.splitlines()[-1] == "Found 1 problem (1 error).", out


def test_a_staged_file_no_template_deploys_passes(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "script.py").write_text("print('hi')\n")
    monkeypatch.chdir(tmp_path)

    assert main(["lint", "tools/script.py"]) == 0
    assert "No template deploys these files" in capsys.readouterr().err
