"""Read a template with cfn-lint's decoder, which keeps the line and column of every node."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from sam_fastapi.findings import Location


class TemplateError(Exception):
    """The template cannot be read as a CloudFormation template (SF001)."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message, location)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location.file}:{self.location.line}:{self.location.column}: {self.message}"


def load_template(path: Path | str) -> dict[str, Any]:
    """Decode a YAML or JSON template; every mapping and string carries ``start_mark``.

    Raises ``TemplateError`` for syntax errors, unreadable files and documents that are not
    a mapping, with the line cfn-lint's decoder names.
    """
    from cfnlint.decode import decode

    filename = str(path)
    _check_utf8(filename)
    # cfn-lint logs the same parse errors it returns as matches; we report them once.
    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
    try:
        template, matches = decode(filename)
    except RecursionError:
        raise TemplateError(
            "template nests too deeply to be read", Location(filename)
        ) from None
    except (OSError, ValueError) as exc:
        raise TemplateError(f"cannot read template: {exc}", Location(filename)) from None
    if matches:
        first = matches[0]
        message = first.message.replace(f"{filename}: ", "").strip().splitlines()[0]
        duplicate = _DUPLICATE.match(message)
        if duplicate and len(matches) > 1:
            # cfn-lint reports every occurrence of the key; the second is the one to remove.
            message = f"duplicate key {duplicate[1]} (first at line {first.linenumber})"
            first = matches[1]
        raise TemplateError(
            message,
            Location(filename, max(first.linenumber, 1), max(first.columnnumber, 1)),
        )
    if not isinstance(template, dict):
        raise TemplateError("template is not a mapping of sections", Location(filename))
    return template


_DUPLICATE = re.compile(r"Duplicate found ('.*') \(line \d+\)$")


def _check_utf8(filename: str) -> None:
    """cfn-lint's decoder only says "Cannot read file contents"; we name the line."""
    try:
        data = Path(filename).read_bytes()
    except OSError:
        return  # the decoder reports it
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise TemplateError(
            f"template is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)",
            Location(filename, line, column),
        ) from None


def node_location(node: Any, file: str) -> Location | None:
    """The 1-based location of a decoded node, when the decoder marked it."""
    start = getattr(node, "start_mark", None)
    if start is None or (start.line == 0 and start.column == 0 and not hasattr(node, "end_mark")):
        return None
    end = getattr(node, "end_mark", None)
    return Location(
        file,
        start.line + 1,
        start.column + 1,
        end.line + 1 if end is not None else None,
        end.column + 1 if end is not None else None,
    )
