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
    ``## Example`` and ``## Use instead``; ``sam-fastapi rules`` prints it.
    """

    id: str
    name: str
    severity: Severity
    summary: str
    docs: str


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
