"""What a check is: a rule and a function from a project to violations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Protocol, runtime_checkable

from sam_fastapi.findings import Rule, Violation
from sam_fastapi.template.model import Project


@runtime_checkable
class Check(Protocol):
    """A lint check. ``run`` yields violations; it never prints, exits or computes lines.

    Violations of files other than the template carry a ``location``; those of the template
    carry the template ``path`` and the runner resolves it.
    """

    rule: ClassVar[Rule]

    def run(self, project: Project) -> Iterable[Violation]: ...
