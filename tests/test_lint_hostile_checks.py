"""A check that raises, returns garbage or hangs cannot break the run: it becomes SF000."""

from __future__ import annotations

import threading
import time

from sam_fastapi import hookimpl
from sam_fastapi.config import LintConfig
from sam_fastapi.findings import Rule, Severity
from sam_fastapi.lint import Linter
from sam_fastapi.plugins import get_plugin_manager

DOCS = "## What it does\nx\n## Why is this bad?\nx\n## Example\nx\n## Use instead\nx\n"
released = threading.Event()


def rule(rule_id: str) -> Rule:
    return Rule(rule_id, f"hostile-{rule_id.lower()}", Severity.ERROR, "A hostile check.", DOCS)


class Hangs:
    rule = rule("HX001")

    def run(self, project, ctx):
        released.wait(30)
        return []


class YieldsStrings:
    rule = rule("HX002")

    def run(self, project, ctx):
        yield "not a violation"


class ReturnsNone:
    rule = rule("HX003")

    def run(self, project, ctx):
        return None


class Raises:
    rule = rule("HX004")

    def run(self, project, ctx):
        raise KeyError("Properties")


class HostilePlugin:
    @hookimpl
    def sam_fastapi_register_checks(self):
        return [Hangs(), YieldsStrings(), ReturnsNone(), Raises()]


def test_hostile_checks_become_sf000_and_the_run_goes_on(tmp_path):
    (tmp_path / "svc").mkdir()
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: svc/\n      Handler: app.main.handler\n      Runtime: python3.12\n"
    )
    pm = get_plugin_manager(entry_points=False)
    pm.register(HostilePlugin())
    linter = Linter(pm, LintConfig(select=("SF0", "SF101", "HX"), use_cache=False),
                    check_time_limit=0.5)
    started = time.monotonic()
    try:
        findings = linter.lint([tmp_path / "template.yaml"]).findings
    finally:
        released.set()
    assert time.monotonic() - started < 20
    crashed = {f.message.split(" ")[1]: f.message for f in findings if f.rule == "SF000"}
    assert set(crashed) == {"HX001", "HX002", "HX003", "HX004"}
    assert "did not finish within 0.5 s" in crashed["HX001"]
    assert "returned str 'not a violation' instead of Violation" in crashed["HX002"]
    assert "TypeError" in crashed["HX003"]
    assert "KeyError: 'Properties'" in crashed["HX004"]
    assert "test_lint_hostile_checks.Raises" in crashed["HX004"]
    assert [f.rule for f in findings if not f.rule.startswith("SF000")] == ["SF101"]


def test_a_translator_process_that_dies_is_sf000_not_a_traceback(tmp_path, monkeypatch):
    # Only new interpreters run sitecustomize: the translator's process, not this one.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import os\nos._exit(9)\n")
    monkeypatch.setenv("PYTHONPATH", str(site))
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n"
        "      InlineCode: x\n      Handler: index.handler\n      Runtime: python3.12\n"
    )
    linter = Linter(get_plugin_manager(entry_points=False),
                    LintConfig(select=("SF0",), use_cache=True))
    findings = linter.lint([tmp_path / "template.yaml"]).findings
    assert [(f.rule, f.location.line) for f in findings] == [("SF000", 1)]
    assert "the SAM transform could not run (exit code 9)" in findings[0].message
    monkeypatch.delenv("PYTHONPATH")
    assert linter.lint([tmp_path / "template.yaml"]).findings == []  # the crash was not cached
