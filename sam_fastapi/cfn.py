"""cfn-lint, run through its Python API with the configuration its command line would use."""

from __future__ import annotations

import functools
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sam_fastapi.findings import Finding, Location, Rule, Severity

if TYPE_CHECKING:
    from sam_fastapi.child import WarmChildren

# The lint process imports this module on every run for the report a cache entry holds, the
# error type and the rule ids; the child machinery (``sam_fastapi.child``: subprocess,
# threads), cfn-lint's memos and logging are imported where a child is started or serves, so
# a run whose templates are all in the cache imports none of them.

_SEVERITIES = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "informational": Severity.INFO,
}


class CfnLintError(Exception):
    """cfn-lint itself could not run (bad .cfnlintrc, unknown region...)."""


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
                 on_disk: bool = True, loaded: LoadedRules | None = None) -> CfnLintReport:
    """cfn-lint's matches for a decoded template, as findings of their own rule ids, with
    the rules that reported them.

    The configuration comes from the same places the ``cfn-lint`` command reads it:
    ``.cfnlintrc`` in the working and home folders and the template's ``Metadata: cfn-lint``.
    The template is the one cfn-lint's own decoder gave (its rules rely on its node types,
    such as the aliases it records); cfn-lint changes it while it runs (it merges SAM Globals
    into resources). ``on_disk`` is False for a template read from standard input: cfn-lint's
    configuration then names no file for it to look for. ``loaded``: the rules a long-lived
    process loaded for an earlier run, reused when the configuration chooses the same.
    """
    import logging

    from cfnlint.config import ConfigMixIn
    from cfnlint.exceptions import CfnLintExitException
    from cfnlint.runner import run_template_by_data

    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
    file = str(template_path)
    try:
        config = ConfigMixIn([file] if on_disk else [])
        cfn_rules = (loaded or LoadedRules()).for_config(config)
        matches = list(run_template_by_data(template, config, cfn_rules))
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


class LoadedRules:
    """cfn-lint's own rules, loaded once per process and reused by every later run.

    cfn-lint's command checks several templates with one set of rules: each run configures
    every rule from that run's configuration and initializes it for its template
    (``Rules.run``), so a rule carries nothing from one template to the next. A long-lived
    child does the same across runs. A configuration that brings rules of its own
    (``append_rules``, ``custom_rules``: their files could change, and a module stays
    imported) or patches cfn-lint's schemas for the whole process (``registry_schemas``,
    ``override_spec``) gets its rules loaded afresh, and the process is spent: it answers no
    further request, so no later run sees what that one changed.
    """

    def __init__(self) -> None:
        self._rules: Any = None
        self.spent = False

    def for_config(self, config: Any) -> Any:
        from cfnlint.runner import Runner

        # ``append_rules`` is cfn-lint's own rules folder followed by the configuration's.
        own = (len(config.append_rules) == 1 and not config.custom_rules
               and not config.registry_schemas and not config.override_spec)
        if not own:
            self.spent = True
            return Runner(config).rules
        if self._rules is None:
            self._rules = Runner(config).rules
        return self._rules


class CfnLintJob:
    """cfn-lint in a child process, so it runs on one core while the checks use the other.

    The child reads the template itself, with the working folder and environment of this
    process, so it finds the same ``.cfnlintrc`` the ``cfn-lint`` command would. With
    ``children`` (``lint --watch``) the request goes to the warm cfn-lint child.
    """

    def __init__(self, template_path: Path, text: bytes | None = None,
                 children: WarmChildren | None = None) -> None:
        """``text``: the template's bytes when they come from standard input (``lint -``);
        ``template_path`` then only names it."""
        from sam_fastapi.child import Call

        self._call = Call("sam_fastapi.cfn", children)
        self._call.send(CfnLintRequest(
            str(template_path),
            None if text is None else text.decode("utf-8", errors="replace")).to_json())

    def result(self) -> CfnLintReport:
        """The report; ``CfnLintError`` when cfn-lint could not run, RuntimeError on a crash."""
        from sam_fastapi.child import ChildFailed, ChildRefused

        try:
            return CfnLintReport.from_json(self._call.answer())
        except ChildRefused as exc:
            raise CfnLintError(str(exc)) from None
        except ChildFailed as exc:
            raise RuntimeError(f"cfn-lint crashed: {exc.last_line}") from None
        except (ValueError, TypeError, KeyError) as exc:
            raise RuntimeError(f"cfn-lint gave an unreadable answer: {exc}") from None

    def cancel(self) -> None:
        self._call.cancel()


@dataclass(frozen=True)
class CfnLintRequest:
    """What the cfn-lint child is asked: the template's path, and its text when it is not
    to be read from there (standard input)."""

    path: str
    text: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"path": self.path, "text": self.text}

    @classmethod
    def from_json(cls, data: object) -> CfnLintRequest:
        if not (isinstance(data, dict) and isinstance(data.get("path"), str)
                and isinstance(data.get("text"), (str, type(None)))):
            raise ValueError(f"not a cfn-lint request: {data!r:.80}")
        return cls(data["path"], data["text"])


def main() -> int:
    """Serve cfn-lint requests (``sam_fastapi.child.serve``) until standard input closes."""
    import logging

    from sam_fastapi.cfn_memos import remember_repeated_work
    from sam_fastapi.child import Refused, serve

    remember_repeated_work()
    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
    rules = LoadedRules()

    def answer(request: object) -> object:
        from cfnlint.decode import decode, decode_str

        job = CfnLintRequest.from_json(request)
        try:
            if job.text is not None:
                template, problems = decode_str(job.text)
            else:
                template, problems = decode(job.path)
        except RecursionError:
            template, problems = None, ["too deep"]
        try:
            # An unreadable template is the parent's SF001, from its own reading.
            report = CfnLintReport([], []) if problems or not isinstance(template, dict) else (
                run_cfn_lint(Path(job.path), template, on_disk=job.text is None,
                             loaded=rules))
        except CfnLintError as exc:
            raise Refused(str(exc)) from None
        return report.to_json()

    return serve(answer, spent=lambda: rules.spent)


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
    raise SystemExit(main())
