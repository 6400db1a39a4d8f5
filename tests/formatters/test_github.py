"""GitHub Actions annotations, escaped as the workflow-command parser expects."""

from __future__ import annotations

from sam_fastapi.findings import Finding, Location, Severity
from sam_fastapi.formatters.github import GithubFormatter


def test_one_annotation_per_finding_with_its_level() -> None:
    findings = [
        Finding("SF101", "requirements-missing", Severity.ERROR, "no requirements.txt",
                Location("app/template.yaml", 12, 7, 12, 20), "Fn"),
        Finding("W3005", "Obsolete DependsOn", Severity.WARNING, "obsolete",
                Location("app/template.yaml", 30, 5, 31, 2)),
        Finding("I3011", "Retain", Severity.INFO, "retain", Location("app/template.yaml", 4, 3)),
    ]

    assert GithubFormatter().format(findings, {}).splitlines() == [
        "::error file=app/template.yaml,line=12,col=7,endLine=12,endColumn=20,"
        "title=SF101 requirements-missing::no requirements.txt",
        "::warning file=app/template.yaml,line=30,col=5,endLine=31,"
        "title=W3005 Obsolete DependsOn::obsolete",
        "::notice file=app/template.yaml,line=4,col=3,title=I3011 Retain::retain",
    ]


def test_percent_newlines_colons_and_commas_are_escaped() -> None:
    finding = Finding("E1001", "name: with, punctuation", Severity.ERROR,
                      "100% wrong:\nsee a,b\r\nend", Location("my dir/a:b,c%.yaml", 1, 1))

    (line,) = GithubFormatter().format([finding], {}).splitlines()
    assert line == (
        "::error file=my dir/a%3Ab%2Cc%25.yaml,line=1,col=1,"
        "title=E1001 name%3A with%2C punctuation::100%25 wrong:%0Asee a,b%0D%0Aend"
    )


def test_no_findings_prints_nothing() -> None:
    assert GithubFormatter().format([], {}) == ""
