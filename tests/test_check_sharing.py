"""What the checks of one run share (``CheckContext``: its memo, its folder listings, the module
finders, SF501's dependency trees) never changes what a check reports.

On every corpus project, the examples and a generated project of several functions sharing a
layer, each check run alone with a context of its own gives exactly the violations it gives
when all the checks share one context, whichever check asks for a shared result first.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from test_corpus import CASES, materialise

from sam_fastapi.checks.base import CheckContext
from sam_fastapi.config import LintConfig
from sam_fastapi.plugins import get_plugin_manager, registered_checks
from sam_fastapi.template.loader import load_template
from sam_fastapi.template.model import build_project

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from lint_bench import generate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CHECKS = registered_checks(get_plugin_manager(entry_points=False))


def violations_alone(project) -> dict[str, list]:
    return {check.rule.id: list(check.run(project, CheckContext(LintConfig())))
            for check in CHECKS}


def violations_shared(project, order) -> dict[str, list]:
    ctx = CheckContext(LintConfig())
    return {check.rule.id: list(check.run(project, ctx)) for check in order}


def assert_sharing_changes_nothing(template: Path) -> None:
    project = build_project(load_template(template), template)
    alone = violations_alone(project)
    assert violations_shared(project, CHECKS) == alone
    assert violations_shared(project, CHECKS[::-1]) == alone


@pytest.mark.parametrize("case", CASES)
def test_corpus_findings_do_not_depend_on_sharing(case, tmp_path, monkeypatch):
    project = tmp_path / case
    spec = materialise(case, project)
    monkeypatch.chdir(project)
    template = project / spec.get("template", "template.yaml")
    if template.is_file() and b"\0" not in template.read_bytes():
        try:
            load_template(template)
        except Exception:  # an unreadable template: no project, SF001 (tested in the corpus)
            return
        assert_sharing_changes_nothing(template)


@pytest.mark.parametrize("example", ["movies", "broken"])
def test_example_findings_do_not_depend_on_sharing(example, tmp_path):
    shutil.copytree(EXAMPLES / example, tmp_path / example, symlinks=True)
    assert_sharing_changes_nothing(tmp_path / example / "template.yaml")


def test_functions_sharing_a_layer_get_the_findings_each_would_get_alone(tmp_path):
    template = generate(tmp_path, 6)
    # Defects in some functions only: what one function's analysis finds must not leak into
    # another's through what they share (the layer, its requirements, its dependency tree).
    main = tmp_path / "res0_service" / "app" / "main.py"
    main.write_text(main.read_text() + "import yaml\nfrom app import nothing_here\n")
    (tmp_path / "res1_service" / "app" / "main.py").write_text(
        "from fastapi import FastAPI\napp = FastAPI()\n")
    # res2 lists what it imports; res0, importing the same, does not.
    (tmp_path / "res2_service" / "requirements.txt").write_text(
        "PyYAML\nrequests[socks]; python_version > '3.8'\n-r ../layers/shared/requirements.txt\n")
    other = tmp_path / "res2_service" / "app" / "main.py"
    other.write_text("import yaml\n" + other.read_text())
    (tmp_path / "res3_service" / "app" / "outside").symlink_to(tmp_path.parent)
    project = build_project(load_template(template), template)
    alone = violations_alone(project)
    assert {rule for rule, found in alone.items() if found} >= {"SF302", "SF307", "SF501"}
    assert [v.resource for v in alone["SF501"]] == ["Res0Function"]
    assert violations_shared(project, CHECKS) == alone
    assert violations_shared(project, CHECKS[::-1]) == alone
