"""Every registered rule is documented the way ``sam-fastapi rules`` prints it."""

from __future__ import annotations

import re

import pytest

from sam_fastapi.cli import main
from sam_fastapi.findings import Rule, Severity
from sam_fastapi.plugins import get_plugin_manager, registered_rules

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead")
RULES = registered_rules(get_plugin_manager())


def doc_problems(rule: Rule) -> list[str]:
    """What is wrong with a rule's metadata; empty when it is complete."""
    problems = []
    if not re.fullmatch(r"SF\d{3}", rule.id):
        problems.append(f"id {rule.id!r} is not SF followed by three digits")
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name):
        problems.append(f"name {rule.name!r} is not kebab-case")
    summary = rule.summary
    if not summary.strip() or "\n" in summary or summary != summary.strip():
        problems.append("summary is not one line")
    lines = rule.docs.splitlines()
    positions = []
    for section in SECTIONS:
        if section not in lines:
            problems.append(f"docs lack the section {section!r}")
            continue
        start = lines.index(section)
        positions.append(start)
        body = []
        for line in lines[start + 1:]:
            if line.startswith("## "):
                break
            body.append(line)
        if not "".join(body).strip():
            problems.append(f"section {section!r} is empty")
    if positions != sorted(positions):
        problems.append("sections are out of order")
    return problems


def test_the_check_itself_catches_incomplete_docs() -> None:
    broken = Rule("SF9", "Bad Name", Severity.ERROR, "two\nlines",
                  "## What it does\n\n## Use instead\nx\n## Example\ny\n")

    assert doc_problems(broken) == [
        "id 'SF9' is not SF followed by three digits",
        "name 'Bad Name' is not kebab-case",
        "summary is not one line",
        "section '## What it does' is empty",
        "docs lack the section '## Why is this bad?'",
        "sections are out of order",
    ]


def test_there_are_rules_to_check() -> None:
    assert {"SF000", "SF001", "SF002", "SF101", "SF102"} <= set(RULES)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_is_fully_documented(rule_id: str) -> None:
    rule = RULES[rule_id]

    assert doc_problems(rule) == []
    assert rule.id == rule_id


def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in RULES.values()]

    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rules_command_prints_the_docs(rule_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    rule = RULES[rule_id]

    assert main(["rules", rule_id]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# {rule.id} {rule.name} ({rule.severity.label})\n\n{rule.summary}\n")
    assert out.endswith(rule.docs)


def test_the_readme_rules_table_lists_every_builtin_rule_by_id_and_name():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| (SF\d{3}) \| ([a-z0-9-]+) \|", readme, re.MULTILINE))
    builtin = {rule.id: rule.name
               for rule in registered_rules(get_plugin_manager(entry_points=False)).values()}
    assert listed == builtin
