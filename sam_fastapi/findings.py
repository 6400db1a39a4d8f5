"""The plain values that flow from checks to formatters."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so that ``>=`` compares against a fail level."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Read a severity from configuration (``error``, ``warning``, ``info``)."""
        aliases = {"informational": "info", "warn": "warning"}
        key = aliases.get(text.lower(), text.lower())
        try:
            return cls[key.upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: 1-based line and column, end inclusive of its line."""

    file: str
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True)
class Rule:
    """What a rule is: its id, name, default severity and its documentation.

    ``docs`` is Markdown with the sections ``## What it does``, ``## Why is this bad?``,
    ``## Example`` and ``## Use instead``; ``sam-fastapi rules`` prints it. A cfn-lint rule
    carries cfn-lint's own description as its summary and docs, and its documentation page
    as ``help_uri``; ours leave ``help_uri`` unset.
    """

    id: str
    name: str
    severity: Severity
    summary: str
    docs: str
    help_uri: str | None = None

    def to_json(self) -> dict[str, object]:
        """Plain JSON values, as a child process or the cache hands them on."""
        return {"id": self.id, "name": self.name, "severity": self.severity.label,
                "summary": self.summary, "docs": self.docs, "help_uri": self.help_uri}

    @classmethod
    def from_json(cls, data: object) -> Rule:
        """The rule ``to_json`` gave; ValueError for anything of another shape."""
        if not isinstance(data, dict) or set(data) != _RULE_KEYS:
            raise ValueError(f"not a rule: {data!r:.80}")
        texts = (data["id"], data["name"], data["severity"], data["summary"], data["docs"])
        if not all(isinstance(t, str) for t in texts) or not (
                data["help_uri"] is None or isinstance(data["help_uri"], str)):
            raise ValueError(f"not a rule: {data!r:.80}")
        return cls(data["id"], data["name"], Severity.parse(data["severity"]),
                   data["summary"], data["docs"], help_uri=data["help_uri"])


_RULE_KEYS = {"id", "name", "severity", "summary", "docs", "help_uri"}


@dataclass(frozen=True)
class Violation:
    """What a check yields: a message, and where, either as a template path or a file location.

    ``path`` is the key path inside the template (``("Resources", "Fn", "Properties",
    "CodeUri")``); the lint runner turns it into a line and column, so checks never compute
    positions in the template themselves. ``location`` is for other files (Makefiles, handler
    modules), where the check knows the line.
    """

    message: str
    resource: str | None = None
    path: tuple[str | int, ...] = ()
    location: Location | None = None
    rule_id: str | None = None
    #: Overrides the rule's default severity for this one finding (a rule that can only
    #: warn or inform in some cases); ``None`` keeps the rule's.
    severity: Severity | None = None


@dataclass(frozen=True)
class Finding:
    """One reported problem, as every formatter receives it."""

    rule: str
    name: str
    severity: Severity
    message: str
    location: Location
    resource: str | None = None

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.rule, self.message)

    def to_json(self) -> dict[str, object]:
        """Plain JSON values, as a child process or the cache hands them on."""
        loc = self.location
        return {"rule": self.rule, "name": self.name, "severity": self.severity.label,
                "message": self.message, "resource": self.resource,
                "location": [loc.file, loc.line, loc.column, loc.end_line, loc.end_column]}

    @classmethod
    def from_json(cls, data: object) -> Finding:
        """The finding ``to_json`` gave; ValueError for anything of another shape."""
        if not isinstance(data, dict) or set(data) != _FINDING_KEYS:
            raise ValueError(f"not a finding: {data!r:.80}")
        location = data["location"]
        if not (isinstance(location, list) and len(location) == 5
                and isinstance(location[0], str)
                and all(_is_int(n) for n in location[1:3])
                and all(n is None or _is_int(n) for n in location[3:])):
            raise ValueError(f"not a location: {location!r:.80}")
        texts = (data["rule"], data["name"], data["message"])
        if not all(isinstance(t, str) for t in texts) or not (
                data["resource"] is None or isinstance(data["resource"], str)):
            raise ValueError(f"not a finding: {data!r:.80}")
        return cls(data["rule"], data["name"], Severity.parse(str(data["severity"])),
                   data["message"], Location(*location), data["resource"])


_FINDING_KEYS = {"rule", "name", "severity", "message", "resource", "location"}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
