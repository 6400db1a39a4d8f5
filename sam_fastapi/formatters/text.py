"""``path:line:col: SF203 error message`` lines and a summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from sam_fastapi import hookimpl
from sam_fastapi.findings import Finding, Rule


class TextFormatter:
    name = "text"

    def format(self, findings: Sequence[Finding], rules: Mapping[str, Rule]) -> str:
        return "".join(f"{line}\n" for line in [*finding_lines(findings), summary(findings)])


def finding_lines(findings: Sequence[Finding]) -> list[str]:
    """One ``path:line:col: RULE severity message [Resource]`` line per finding."""
    return [f"{f.location.file}:{f.location.line}:{f.location.column}: "
            f"{f.rule} {f.severity.label} {f.message}"
            + (f" [{f.resource}]" if f.resource else "")
            for f in findings]


def statistics(findings: Sequence[Finding]) -> list[str]:
    """``count RULE name`` per rule, most frequent first (ruff's ``--statistics``)."""
    counts = Counter((f.rule, f.name) for f in findings)
    width = len(str(max(counts.values(), default=0)))
    return [f"{count:>{width}} {rule} {name}"
            for (rule, name), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


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
