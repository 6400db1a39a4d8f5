"""cfn-lint, run through its Python API with the configuration its command line would use."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import logging
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sam_fastapi.cfn_memos import remember_repeated_work
from sam_fastapi.child import ChildFailed, JsonChild
from sam_fastapi.findings import Finding, Location, Rule, Severity

_SEVERITIES = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "informational": Severity.INFO,
}


class CfnLintError(Exception):
    """cfn-lint itself could not run (bad .cfnlintrc, unknown region...)."""


#: Tells the child to read the template from standard input; its path argument only names it.
STDIN_FLAG = "--stdin"


@dataclass(frozen=True)
class CfnLintReport:
    """cfn-lint's findings, and the metadata of the cfn-lint rules they name.

    The rules are gathered in the child, which has them loaded, so that the lint process
    never imports cfn-lint to describe them (SARIF's ``tool.driver.rules``).
    """

    findings: list[Finding]
    rules: list[Rule]

    def to_json(self) -> dict[str, object]:
        return {"findings": [f.to_json() for f in self.findings],
                "rules": [r.to_json() for r in self.rules]}

    @classmethod
    def from_json(cls, data: object) -> CfnLintReport:
        """The report ``to_json`` gave; ValueError for anything of another shape."""
        if not (isinstance(data, dict) and set(data) == {"findings", "rules"}
                and isinstance(data["findings"], list) and isinstance(data["rules"], list)):
            raise ValueError(f"not a cfn-lint report: {data!r:.80}")
        return cls([Finding.from_json(item) for item in data["findings"]],
                   [Rule.from_json(item) for item in data["rules"]])


def run_cfn_lint(template_path: Path, template: dict[str, Any], *,
                 on_disk: bool = True) -> CfnLintReport:
    """cfn-lint's matches for a decoded template, as findings of their own rule ids, with
    the rules that reported them.

    The configuration comes from the same places the ``cfn-lint`` command reads it:
    ``.cfnlintrc`` in the working and home folders and the template's ``Metadata: cfn-lint``.
    The template is the one cfn-lint's own decoder gave (its rules rely on its node types,
    such as the aliases it records); cfn-lint changes it while it runs (it merges SAM Globals
    into resources). ``on_disk`` is False for a template read from standard input: cfn-lint's
    configuration then names no file for it to look for.
    """
    from cfnlint.config import ConfigMixIn
    from cfnlint.exceptions import CfnLintExitException
    from cfnlint.runner import Runner, run_template_by_data

    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
    file = str(template_path)
    try:
        config = ConfigMixIn([file] if on_disk else [])
        runner = Runner(config)
        matches = list(run_template_by_data(template, config, runner.rules))
    except (CfnLintExitException, ValueError) as exc:
        raise CfnLintError(f"cfn-lint could not run: {exc}") from None
    findings = []
    rules: dict[str, Rule] = {}
    for match in matches:
        rule = match.rule
        rules.setdefault(rule.id, _rule(rule))
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
    return CfnLintReport(findings, list(rules.values()))


class CfnLintJob:
    """cfn-lint in a child process, so it runs on one core while the checks use the other.

    The child reads the template itself, with the working folder and environment of this
    process, so it finds the same ``.cfnlintrc`` the ``cfn-lint`` command would.
    """

    def __init__(self, template_path: Path, text: bytes | None = None) -> None:
        """``text``: the template's bytes when they come from standard input (``lint -``);
        ``template_path`` then only names it."""
        self._writer: threading.Thread | None = None
        if text is None:
            self._child = JsonChild("sam_fastapi.cfn", str(template_path))
            return
        self._child = JsonChild("sam_fastapi.cfn", str(template_path), STDIN_FLAG, stdin=True)
        # A writer thread, so a text larger than the pipe's buffer does not block the parent.
        self._writer = threading.Thread(target=self._write, args=(text,), daemon=True)
        self._writer.start()

    def _write(self, text: bytes) -> None:
        stdin = self._child.process.stdin
        assert stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            try:
                stdin.write(text)
            finally:
                stdin.close()

    def result(self) -> CfnLintReport:
        """The report; ``CfnLintError`` when cfn-lint could not run, RuntimeError on a crash."""
        try:
            return CfnLintReport.from_json(self._child.answer())
        except ChildFailed as exc:
            if exc.returncode == 2:
                raise CfnLintError(exc.last_line) from None
            raise RuntimeError(f"cfn-lint crashed: {exc.last_line}") from None
        except (ValueError, TypeError, KeyError) as exc:
            raise RuntimeError(f"cfn-lint gave an unreadable answer: {exc}") from None

    def cancel(self) -> None:
        if self._writer is not None:
            self._child.process.kill()  # so a write blocked on a full pipe fails now
            self._writer.join()
            self._child.process.stdin = None  # the writer closed it
        self._child.cancel()


def main(argv: list[str]) -> int:
    from cfnlint.decode import decode, decode_str

    remember_repeated_work()
    path = Path(argv[0])
    from_stdin = STDIN_FLAG in argv[1:]
    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
    try:
        if from_stdin:
            text = sys.stdin.buffer.read().decode("utf-8", errors="replace")
            template, problems = decode_str(text)
        else:
            template, problems = decode(str(path))
    except RecursionError:
        template, problems = None, ["too deep"]
    try:
        # An unreadable template is the parent's SF001, from its own reading.
        report = CfnLintReport([], []) if problems or not isinstance(template, dict) else (
            run_cfn_lint(path, template, on_disk=not from_stdin))
    except CfnLintError as exc:
        print(exc, file=sys.stderr)
        return 2
    json.dump(report.to_json(), sys.stdout)
    return 0


def _rule_name(rule: Any) -> str:
    return str(rule.shortdesc or rule.id)


def _rule(rule: Any) -> Rule:
    """A cfn-lint rule's own metadata: short description, description and documentation page."""
    description = str(getattr(rule, "description", "") or _rule_name(rule))
    url = getattr(rule, "source_url", None)
    url = url if isinstance(url, str) and url.startswith(("https://", "http://")) else None
    docs = description if url is None else f"{description}\n\nSee [{rule.id}]({url})."
    return Rule(rule.id, _rule_name(rule), _SEVERITIES.get(rule.severity, Severity.ERROR),
                description, docs, help_uri=url)



_RULE_ID = re.compile(r"""^\s+id\s*=\s*["']([EWI]\d{4})["']""", re.MULTILINE)


@functools.lru_cache(maxsize=1)
def cfn_lint_rule_ids() -> frozenset[str]:
    """Every rule id cfn-lint ships, read from its rule modules' source without importing it
    (importing cfn-lint's rules takes seconds; reading them, a fraction of one). Empty when
    cfn-lint is not installed."""
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or spec.origin is None:
        return frozenset()
    ids: set[str] = set()
    for path in (Path(spec.origin).parent / "rules").rglob("*.py"):
        try:
            ids.update(_RULE_ID.findall(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return frozenset(ids)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
