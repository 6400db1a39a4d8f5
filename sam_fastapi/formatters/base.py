"""What a formatter is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from sam_fastapi.findings import Finding, Rule


class Formatter(Protocol):
    """Turns findings (and the metadata of the rules they name) into text."""

    name: str

    def format(self, findings: Sequence[Finding], rules: Mapping[str, Rule]) -> str: ...
