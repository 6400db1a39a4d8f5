"""cfn-lint, run through its Python API with the configuration its command line would use."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sam_fastapi.findings import Finding, Location, Severity

_SEVERITIES = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "informational": Severity.INFO,
}


class CfnLintError(Exception):
    """cfn-lint itself could not run (bad .cfnlintrc, unknown region...)."""


def run_cfn_lint(template_path: Path, template: dict[str, Any]) -> list[Finding]:
    """cfn-lint's matches for a decoded template, as findings of their own rule ids.

    The configuration comes from the same places the ``cfn-lint`` command reads it:
    ``.cfnlintrc`` in the working and home folders and the template's ``Metadata: cfn-lint``.
    The template is the one ``load_template`` decoded, so it is not parsed twice; cfn-lint
    changes it while it runs (it merges SAM Globals into resources).
    """
    from cfnlint.config import ConfigMixIn
    from cfnlint.exceptions import CfnLintExitException
    from cfnlint.runner import Runner, run_template_by_data

    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
    file = str(template_path)
    try:
        config = ConfigMixIn([file])
        runner = Runner(config)
        matches = list(run_template_by_data(template, config, runner.rules))
    except (CfnLintExitException, ValueError) as exc:
        raise CfnLintError(f"cfn-lint could not run: {exc}") from None
    findings = []
    for match in matches:
        rule = match.rule
        path = getattr(match, "path", None) or ()
        resource = str(path[1]) if len(path) > 1 and path[0] == "Resources" else None
        findings.append(
            Finding(
                rule=rule.id,
                name=_rule_name(rule),
                severity=_SEVERITIES.get(rule.severity, Severity.ERROR),
                message=str(match.message),
                location=Location(
                    file,
                    match.linenumber,
                    match.columnnumber,
                    match.linenumberend,
                    match.columnnumberend,
                ),
                resource=resource,
            )
        )
    return findings


def _rule_name(rule: Any) -> str:
    return str(rule.shortdesc or rule.id)


def cfn_lint_rule_docs(rule_id: str) -> tuple[str, str, str] | None:
    """(short description, description, source URL) of a cfn-lint rule, for SARIF metadata."""
    from cfnlint.rules import Rules

    rules = Rules.create_from_module("cfnlint.rules")
    rule = rules.get(rule_id) if hasattr(rules, "get") else None
    if rule is None:
        return None
    return (str(rule.shortdesc), str(rule.description), str(rule.source_url))
