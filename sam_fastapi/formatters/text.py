"""``path:line:col: SF203 error message`` lines and a summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from sam_fastapi import hookimpl
from sam_fastapi.findings import Finding, Rule


class TextFormatter:
    name = "text"

    def format(self, findings: Sequence[Finding], rules: Mapping[str, Rule]) -> str:
        lines = [
            f"{f.location.file}:{f.location.line}:{f.location.column}: "
            f"{f.rule} {f.severity.label} {f.message}"
            + (f" [{f.resource}]" if f.resource else "")
            for f in findings
        ]
        lines.append(summary(findings))
        return "\n".join(lines) + "\n"


def summary(findings: Sequence[Finding]) -> str:
    if not findings:
        return "No problems found."
    counts = Counter(f.severity.label for f in findings)
    parts = [f"{counts[level]} {level}{'s' if counts[level] != 1 else ''}"
             for level in ("error", "warning", "info") if counts[level]]
    total = len(findings)
    return f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)})."


@hookimpl
def sam_fastapi_register_formatters() -> list[TextFormatter]:
    return [TextFormatter()]
