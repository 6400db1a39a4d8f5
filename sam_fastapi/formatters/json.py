"""A JSON list of findings with fixed keys (null where a value is not known)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from sam_fastapi import hookimpl
from sam_fastapi.findings import Finding, Rule


class JsonFormatter:
    name = "json"

    def format(self, findings: Sequence[Finding], rules: Mapping[str, Rule]) -> str:
        return json.dumps([as_dict(f) for f in findings], indent=2) + "\n"


def as_dict(finding: Finding) -> dict[str, object]:
    loc = finding.location
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.label,
        "message": finding.message,
        "file": loc.file,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "resource": finding.resource,
    }


@hookimpl
def sam_fastapi_register_formatters() -> list[JsonFormatter]:
    return [JsonFormatter()]
