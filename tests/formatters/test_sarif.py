"""SARIF 2.1.0 output, validated against the official schema (tests/data/)."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from sam_fastapi.cli import main
from sam_fastapi.findings import Finding, Location, Rule, Severity
from sam_fastapi.formatters.sarif import SarifFormatter

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
# RFC 3986 URI-reference characters; the schema's "uri-reference" format is not checked by
# jsonschema without optional packages, so the test checks it itself.
URI_REFERENCE = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")

RULE = Rule("SF101", "requirements-missing", Severity.ERROR,
            "A Python function's code folder has no requirements.txt.",
            "## What it does\nChecks.\n\n## Why is this bad?\nBad.\n\n## Example\nx\n\n"
            "## Use instead\ny\n")


def validate(text: str) -> dict:
    log = json.loads(text)
    errors = sorted(Draft7Validator(SCHEMA).iter_errors(log), key=str)
    assert errors == [], errors[0].message if errors else ""
    for result in log["runs"][0]["results"]:
        for location in result["locations"]:
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            assert URI_REFERENCE.match(uri), uri
    return log


def test_findings_are_valid_sarif_with_metadata_for_every_reported_rule() -> None:
    findings = [
        Finding("SF101", "requirements-missing", Severity.ERROR, "no requirements.txt",
                Location("app/template.yaml", 12, 7, 12, 20), "Fn"),
        Finding("W3005", "Obsolete DependsOn", Severity.WARNING, "obsolete",
                Location("app/template.yaml", 30, 5)),
        Finding("SF101", "requirements-missing", Severity.ERROR, "again",
                Location("app/template.yaml", 40, 7), "Other"),
        Finding("I3011", "Retain", Severity.INFO, "retain", Location("/abs/my app/t.yaml", 4, 3)),
    ]
    log = validate(SarifFormatter().format(findings, {"SF101": RULE, "SF999": RULE}))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]

    assert log["version"] == "2.1.0"
    assert [r["id"] for r in rules] == ["I3011", "SF101", "W3005"]
    sf101 = rules[1]
    assert sf101["shortDescription"]["text"] == RULE.summary
    assert sf101["help"]["markdown"] == RULE.docs
    assert sf101["defaultConfiguration"]["level"] == "error"
    assert rules[2]["defaultConfiguration"]["level"] == "warning"
    assert [(r["ruleId"], rules[r["ruleIndex"]]["id"], r["level"]) for r in run["results"]] == [
        ("SF101", "SF101", "error"), ("W3005", "W3005", "warning"), ("SF101", "SF101", "error"),
        ("I3011", "I3011", "note")]
    first = run["results"][0]
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "app/template.yaml"},
        "region": {"startLine": 12, "startColumn": 7, "endLine": 12, "endColumn": 20},
    }
    assert first["properties"] == {"resource": "Fn"}
    assert run["results"][3]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "file:///abs/my%20app/t.yaml")


def test_relative_paths_with_spaces_and_odd_characters_are_uri_references() -> None:
    finding = Finding("SF101", "requirements-missing", Severity.ERROR, "x",
                      Location("my app/templ#ate [1].yaml", 1, 1))
    log = validate(SarifFormatter().format([finding], {"SF101": RULE}))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    uri = location["artifactLocation"]["uri"]

    assert uri == "my%20app/templ%23ate%20%5B1%5D.yaml"


def test_no_findings_is_a_valid_empty_run() -> None:
    log = validate(SarifFormatter().format([], {"SF101": RULE}))

    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_a_real_lint_run_is_valid_sarif(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "template.yaml").write_text(textwrap.dedent("""\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: svc/
              Handler: app.handler
              Runtime: python3.12
              Events:
                Get:
                  Type: Api
                  Properties: {Method: get}
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketNam: x
        """), encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    assert main(["lint", "--format", "sarif", "template.yaml"]) == 1
    log = validate(capsys.readouterr().out)
    run = log["runs"][0]
    reported = {r["ruleId"] for r in run["results"]}
    described = {r["id"]: r for r in run["tool"]["driver"]["rules"]}

    assert {"SF101", "SF002", "E3002"} <= reported
    assert set(described) == reported
    assert described["SF002"]["help"]["markdown"].startswith("## What it does")
    assert described["E3002"]["helpUri"].startswith("https://")
    lines = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
             for r in run["results"]}
    assert {("SF101", 6), ("SF002", 3), ("E3002", 16)} <= lines


def test_cfn_lint_rules_carry_cfn_lint_s_own_metadata_also_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cfnlint.rules.resources.properties.Type import Type

    (tmp_path / "template.yaml").write_text(textwrap.dedent("""\
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: [a, b]
        """), encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    described = []
    for _ in ("fresh", "cached"):
        assert main(["lint", "--format", "sarif", "template.yaml"]) == 1
        log = validate(capsys.readouterr().out)
        described.append({r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]})

    import os

    entries = list(Path(os.environ["SAM_FASTAPI_CACHE_DIR"]).glob("lint/*/*"))
    assert len(entries) == 1  # the second run read what the first stored
    fresh, cached = described
    assert fresh == cached
    e3012 = fresh["E3012"]
    assert e3012["name"] == Type.shortdesc
    assert e3012["fullDescription"]["text"] == Type.description
    assert e3012["help"]["text"].startswith(Type.description)
    assert Type.source_url in e3012["help"]["markdown"]
    assert e3012["helpUri"] == Type.source_url
    assert e3012["defaultConfiguration"]["level"] == "error"


def test_the_lint_process_describes_cfn_lint_rules_without_importing_cfn_lint(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n"
        "      BucketName: [a, b]\n", encoding="utf-8")
    code = ("import sys; from sam_fastapi.cli import main\n"
            "try:\n    main(['lint', '--no-cache', '--format', 'sarif', 'template.yaml'])\n"
            "except SystemExit:\n    pass\n"
            "print('IMPORTED' if 'cfnlint' in sys.modules else 'CLEAN', file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)

    assert done.stderr.strip().splitlines()[-1] == "CLEAN", done.stderr
    rules = json.loads(done.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["helpUri"] for r in rules if r["id"] == "E3012"] == [
        "https://github.com/aws-cloudformation/cfn-lint/blob/main/docs/"
        "cfn-schema-specification.md#type"]
