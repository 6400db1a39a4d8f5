"""GitHub Actions workflow commands: one ``::error file=...`` annotation per finding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sam_fastapi import hookimpl
from sam_fastapi.findings import Finding, Rule, Severity
from sam_fastapi.formatters.base import repository_path, repository_root

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


class GithubFormatter:
    name = "github"

    def format(self, findings: Sequence[Finding], rules: Mapping[str, Rule]) -> str:
        lines = []
        root = repository_root()
        for f in findings:
            loc = f.location
            props = [f"file={_property(repository_path(loc.file, root))}",
                     f"line={loc.line}", f"col={loc.column}"]
            if loc.end_line:
                props.append(f"endLine={loc.end_line}")
            if loc.end_column and loc.end_line == loc.line:
                props.append(f"endColumn={loc.end_column}")
            props.append(f"title={_property(f'{f.rule} {f.name}')}")
            lines.append(f"::{_COMMANDS[f.severity]} {','.join(props)}::{_data(f.message)}")
        return "".join(line + "\n" for line in lines)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


@hookimpl
def sam_fastapi_register_formatters() -> list[GithubFormatter]:
    return [GithubFormatter()]
