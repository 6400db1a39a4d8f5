"""``[tool.sam-fastapi]`` in the nearest pyproject.toml, merged with command-line options."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sam_fastapi.findings import Severity


class ConfigError(Exception):
    """Configuration that cannot be used; the message says which setting and why."""


@dataclass(frozen=True)
class LintConfig:
    """How one group of templates is linted: its ``[tool.sam-fastapi]`` table with the
    command line's options over it."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    #: The lowest severity that fails the run; ``None`` (``fail-level = "none"``): nothing does.
    fail_level: Severity | None = Severity.ERROR
    severities: Mapping[str, Severity] = field(default_factory=dict)
    use_cache: bool = True
    source: Path | None = None
    #: ``--import``: the route rules import each app in a subprocess (runs user code).
    import_apps: bool = False

    def is_selected(self, rule_id: str) -> bool:
        """Select and ignore match rule ids by prefix, as ruff and flake8 do (``SF2``)."""
        if self.select and not any(rule_id.startswith(p) for p in self.select):
            return False
        return not any(rule_id.startswith(p) for p in self.ignore)

    def severity_of(self, rule_id: str, default: Severity) -> Severity:
        return self.severities.get(rule_id, default)

    def with_options(
        self,
        *,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        fail_level: str | None = None,
        use_cache: bool | None = None,
    ) -> LintConfig:
        """Command-line options override the file's select and fail level; ignores add up."""
        return replace(
            self,
            select=tuple(select) if select else self.select,
            ignore=(*self.ignore, *(ignore or ())),
            fail_level=parse_fail_level(fail_level) if fail_level else self.fail_level,
            use_cache=self.use_cache if use_cache is None else use_cache,
        )


#: The fail level that fails nothing: findings are reported, the exit code stays 0.
NO_FAIL_LEVEL = "none"


def parse_fail_level(text: str) -> Severity | None:
    """A severity, or ``None`` for ``none``; a bad value is a ValueError listing the choices."""
    if text.lower() == NO_FAIL_LEVEL:
        return None
    try:
        return Severity.parse(text)
    except ValueError:
        choices = ", ".join([*(s.label for s in Severity), NO_FAIL_LEVEL])
        raise ValueError(f"unknown fail level {text!r} (choose from {choices})") from None


def find_pyproject(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path) -> LintConfig:
    """Read ``[tool.sam-fastapi]`` from the pyproject.toml nearest to ``start``."""
    path = find_pyproject(start.resolve())
    if path is None:
        return LintConfig()
    from sam_fastapi._toml import tomllib  # only where there is a pyproject.toml

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    tool = data.get("tool")
    section = tool.get("sam-fastapi") if isinstance(tool, dict) else None
    if section is None:
        return LintConfig()
    return _parse(section, path)


def _parse(section: Any, path: Path) -> LintConfig:
    where = f"{path} [tool.sam-fastapi]"
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table")
    known = {"select", "ignore", "fail-level", "severity", "cache"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )
    try:
        severities = {
            str(rule): Severity.parse(str(level))
            for rule, level in _table(section.get("severity", {})).items()
        }
    except ValueError as exc:
        raise ConfigError(f"{where}: severity: {exc}") from None
    try:
        fail_level = parse_fail_level(str(section.get("fail-level", "error")))
    except ValueError as exc:
        raise ConfigError(f"{where}: fail-level: {exc}") from None
    cache = section.get("cache", True)
    if not isinstance(cache, bool):
        raise ConfigError(f"{where}: cache must be true or false")
    return LintConfig(
        select=_strings(section.get("select", []), "select", where),
        ignore=_strings(section.get("ignore", []), "ignore", where),
        fail_level=fail_level,
        severities=severities,
        use_cache=cache,
        source=path,
    )


def _strings(value: Any, name: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {name} must be a list of rule ids")
    return tuple(value)


def _table(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("must be a table of rule id = level")
    return value


def check_rule_ids(selectors: Iterable[tuple[str, str, bool]], ours: Iterable[str],
                   cfn_lint_ids: Callable[[], Iterable[str]]) -> None:
    """Refuse a rule id or prefix that names no rule, as ruff does: a typo in ``--select``
    (``SF1O1``) would otherwise turn the gate off and print "No problems found".

    ``selectors`` are ``(where, text, exact)``; ``exact`` for severity keys, which name one
    rule, else a prefix of some rule id is enough. cfn-lint's ids are only read when a
    selector is not one of ours.
    """
    known = set(ours)
    cfn_lint: set[str] | None = None
    for where, text, exact in selectors:
        if _names_a_rule(text, known, exact):
            continue
        if cfn_lint is None:
            cfn_lint = set(cfn_lint_ids())
        if _names_a_rule(text, cfn_lint, exact):
            continue
        what = "rule id" if exact else "rule id or prefix"
        raise ConfigError(
            f"unknown rule {text!r} in {where}: no sam-fastapi or cfn-lint {what} "
            f"{'is' if exact else 'starts with'} it (`sam-fastapi rules` lists ours)")


def _names_a_rule(text: str, ids: set[str], exact: bool) -> bool:
    return text in ids if exact else any(rule.startswith(text) for rule in ids)


def rule_selectors(config: LintConfig, select: Sequence[str],
                   ignore: Sequence[str]) -> list[tuple[str, str, bool]]:
    """What ``check_rule_ids`` checks: the command line's select and ignore, and the
    configuration file's select, ignore and severity keys, each with where it was given."""
    where = f"{config.source} [tool.sam-fastapi]" if config.source else "[tool.sam-fastapi]"
    return [
        *(("--select", text, False) for text in select),
        *(("--ignore", text, False) for text in ignore),
        *((f"{where} select", text, False) for text in config.select),
        *((f"{where} ignore", text, False) for text in config.ignore),
        *((f"{where} severity", text, True) for text in config.severities),
    ]
