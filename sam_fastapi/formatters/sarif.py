"""SARIF 2.1.0 for GitHub code scanning, with the metadata of every rule that was reported."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

from sam_fastapi import __version__, hookimpl
from sam_fastapi.findings import Finding, Rule, Severity
from sam_fastapi.formatters.base import repository_path, repository_root

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
#: Our rules' documentation (``sam-fastapi rules ID`` prints the same text).
RULES_URI = "https://github.com/sam-fastapi/sam-fastapi#rules"
_CFN_LINT_DOCS = "https://github.com/aws-cloudformation/cfn-lint/blob/main/docs/rules.md"


class SarifFormatter:
    name = "sarif"

    def format(self, findings: Sequence[Finding], rules: Mapping[str, Rule]) -> str:
        reported = sorted({f.rule: f for f in findings}.values(), key=lambda f: f.rule)
        rule_index = {f.rule: i for i, f in enumerate(reported)}
        driver = {
            "name": "sam-fastapi",
            "informationUri": "https://pypi.org/project/sam-fastapi/",
            "version": __version__,
            "rules": [_rule(f, rules.get(f.rule)) for f in reported],
        }
        root = repository_root()
        results = [_result(f, rule_index[f.rule], root) for f in findings]
        log = {
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "results": results,
                      "columnKind": "unicodeCodePoints"}],
        }
        return json.dumps(log, indent=2) + "\n"


def _rule(example: Finding, rule: Rule | None) -> dict[str, object]:
    if rule is None:  # a rule no plugin registered and cfn-lint did not describe
        return {
            "id": example.rule,
            "name": example.name,
            "shortDescription": {"text": example.name},
            "helpUri": _CFN_LINT_DOCS,
            "defaultConfiguration": {"level": _LEVELS[example.severity]},
        }
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.docs, "markdown": rule.docs},
        "helpUri": rule.help_uri or RULES_URI,
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
    }


def _result(finding: Finding, index: int, root: Path | None) -> dict[str, object]:
    loc = finding.location
    region: dict[str, int] = {"startLine": loc.line, "startColumn": loc.column}
    if loc.end_line:
        region["endLine"] = loc.end_line
    if loc.end_column:
        region["endColumn"] = loc.end_column
    result: dict[str, object] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _uri(repository_path(loc.file, root))},
            "region": region,
        }}],
    }
    if finding.resource:
        result["properties"] = {"resource": finding.resource}
    return result


def _uri(file: str) -> str:
    """A URI reference, as SARIF requires: spaces and ``#`` in a relative path are escaped;
    a file outside the repository is a ``file://`` URI."""
    path = Path(file)
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


@hookimpl
def sam_fastapi_register_formatters() -> list[SarifFormatter]:
    return [SarifFormatter()]
