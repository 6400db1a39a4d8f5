"""The JSON report: a list of objects with exactly the documented keys."""

from __future__ import annotations

import json

from sam_fastapi.findings import Finding, Location, Severity
from sam_fastapi.formatters.json import JsonFormatter

KEYS = ["rule", "name", "severity", "message", "file", "line", "column", "end_line",
        "end_column", "resource"]


def test_keys_are_exactly_the_documented_ones_in_order() -> None:
    findings = [
        Finding("SF101", "requirements-missing", Severity.ERROR, 'no "requirements.txt"\nhere',
                Location("template.yaml", 12, 7, 12, 20), "CastFunction"),
        Finding("W3005", "Obsolete DependsOn", Severity.WARNING, "obsolete",
                Location("template.yaml", 30, 5)),
    ]
    data = json.loads(JsonFormatter().format(findings, {}))

    assert [list(item) for item in data] == [KEYS, KEYS]
    assert data[0] == {
        "rule": "SF101", "name": "requirements-missing", "severity": "error",
        "message": 'no "requirements.txt"\nhere', "file": "template.yaml", "line": 12,
        "column": 7, "end_line": 12, "end_column": 20, "resource": "CastFunction",
    }
    assert data[1]["severity"] == "warning"
    assert (data[1]["end_line"], data[1]["end_column"], data[1]["resource"]) == (None, None, None)


def test_no_findings_is_an_empty_list() -> None:
    assert json.loads(JsonFormatter().format([], {})) == []
