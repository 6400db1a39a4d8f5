"""SARIF and ``--format github`` name files relative to the repository root, wherever lint
runs from: code scanning and annotations resolve paths against the checkout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sam_fastapi.findings import Finding, Location, Severity
from sam_fastapi.formatters.github import GithubFormatter
from sam_fastapi.formatters.sarif import RULES_URI, SarifFormatter


def finding(file: str) -> Finding:
    return Finding(rule="SF101", name="requirements-missing", severity=Severity.ERROR,
                   message="no requirements.txt", location=Location(file, 7, 7))


def sarif_uri(file: str) -> str:
    log = json.loads(SarifFormatter().format([finding(file)], {}))
    return log["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"]["uri"]


def github_file(file: str) -> str:
    line = GithubFormatter().format([finding(file)], {})
    return line.split("file=", 1)[1].split(",", 1)[0]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra").mkdir()
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path / "infra")  # lint run from a subfolder
    return tmp_path


def test_a_path_from_a_subfolder_is_relative_to_the_git_top_level(repo: Path) -> None:
    assert sarif_uri("../template.yaml") == "template.yaml"
    assert github_file("../template.yaml") == "template.yaml"
    assert sarif_uri("svc/template.yaml") == "infra/svc/template.yaml"


def test_an_absolute_path_inside_the_repository_is_relative(repo: Path) -> None:
    assert sarif_uri(str(repo / "my app" / "template.yaml")) == "my%20app/template.yaml"
    assert github_file(str(repo / "infra" / "template.yaml")) == "infra/template.yaml"


def test_github_workspace_is_the_root_in_actions(repo: Path, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo / "infra"))
    assert sarif_uri("template.yaml") == "template.yaml"


def test_a_file_outside_the_repository_keeps_its_absolute_path(repo: Path, tmp_path) -> None:
    outside = tmp_path.parent / "elsewhere" / "template.yaml"
    assert sarif_uri(str(outside)) == outside.as_uri()


def test_our_rules_carry_a_help_uri() -> None:
    from sam_fastapi.plugins import get_plugin_manager, registered_rules

    rules = registered_rules(get_plugin_manager(entry_points=False))
    log = json.loads(SarifFormatter().format([finding("t.yaml")], rules))
    assert log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] == RULES_URI
