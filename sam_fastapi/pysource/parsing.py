"""Reading Python source: a module's syntax tree or its syntax error, cached across checks."""

from __future__ import annotations

import ast
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from sam_fastapi.findings import Location

#: Larger files are generated code or data; skipping them costs a finding, never a hang.
MAX_SOURCE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class SourceError:
    """A module Python cannot compile: where, and Python's own message.

    ``newer_grammar`` marks errors on lines that use syntax later Pythons extended (type
    parameters, ``type`` aliases, f- and t-strings, ``except`` without parentheses): a runtime
    newer than the Python running lint may well accept them.
    """

    location: Location
    message: str
    newer_grammar: bool = False


_NEWER_GRAMMAR = re.compile(
    r"^\s*type\s+\w+"
    r"|^\s*(?:async\s+)?(?:def|class)\s+\w+\s*\["
    r"|(?<![\w'\"])(?:[rR]?[fFtT]|[fFtT][rR])['\"]"
    r"|^\s*except\*?\s+[^:(]+,"
)


ParseResult = ast.Module | SourceError | None
#: Source bytes whose trees are kept: every function of a 200-function project (a few files of
#: a few kB each) fits, so the checks that each walk all functions parse every file once.
_PARSE_CACHE_BYTES = 8 * 1024 * 1024
_parsed: OrderedDict[tuple[str, int, int], ParseResult] = OrderedDict()
_parsed_bytes = 0
_parsed_lock = threading.Lock()


def parse_module(path: Path) -> ParseResult:
    """The syntax tree of ``path``, its syntax error, or None when it cannot be read or is huge.

    Cached by path, mtime and size: the handler, route and dependency rules each ask for the
    same files, from their own threads.
    """
    global _parsed_bytes
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _parsed_lock:
        if key in _parsed:
            _parsed.move_to_end(key)
            return _parsed[key]
    result = _parse(path, stat.st_size)
    with _parsed_lock:
        if key not in _parsed:
            _parsed[key] = result
            _parsed_bytes += stat.st_size
        while _parsed_bytes > _PARSE_CACHE_BYTES and len(_parsed) > 1:
            (_, _, size), _ = _parsed.popitem(last=False)
            _parsed_bytes -= size
    return result


def _parse(path: Path, size: int) -> ParseResult:
    if size > MAX_SOURCE_BYTES:
        return None
    try:
        source = path.read_bytes()
    except OSError:
        return None
    if b"\0" in source:
        line = source.count(b"\n", 0, source.index(b"\0")) + 1
        message = "SyntaxError: source code cannot contain null bytes"
        return SourceError(Location(str(path), line), message)
    try:
        # Bytes, not text: the compiler then decodes them as import does (BOM, PEP 263 cookie).
        return ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        location = Location(str(path), max(exc.lineno or 1, 1), max(exc.offset or 1, 1))
        newer = bool(_NEWER_GRAMMAR.search(exc.text or ""))
        return SourceError(location, f"{type(exc).__name__}: {exc.msg}", newer)
    except (ValueError, RecursionError, MemoryError):
        return None

