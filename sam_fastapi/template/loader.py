"""Read a CloudFormation template, keeping the line and column of every node.

The decoded objects are the ones cfn-lint's decoder gives (the parity tests compare them node
by node): mappings, lists and strings carry ``start_mark`` and ``end_mark`` (0-based ``line``
and ``column``), short-form tags become their long form (``!GetAtt a.b`` is
``{"Fn::GetAtt": ["a", "b"]}``), and a duplicate key is an error. Only PyYAML is needed, so the
runtime (the pytest plugin, the gateway, ``serve``) never imports cfn-lint.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from sam_fastapi.findings import Location

try:
    _BaseLoader: type = yaml.CSafeLoader  # libyaml: composes the node tree in C
except AttributeError:  # PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader

#: How deep mappings and lists may nest. Real templates stay far below; cfn-lint's decoder
#: stops near 200 nested lists, and the model's code is recursive.
MAX_DEPTH = 100

#: CloudFormation rejects YAML aliases; SAM and ``aws cloudformation package`` expand them. A few
#: nested aliases can expand to billions of nodes ("billion laughs"): past this many, the
#: template is refused (cfn-lint's limit, so both read the same templates).
MAX_EXPANDED_NODES = 250_000


class TemplateError(Exception):
    """The template cannot be read as a CloudFormation template (SF001)."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message, location)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location.file}:{self.location.line}:{self.location.column}: {self.message}"


class Mark(NamedTuple):
    """A 0-based position, as PyYAML's marks give it."""

    line: int
    column: int


class StrNode(str):
    """A string of the template, with its position."""

    start_mark: Any
    end_mark: Any


class DictNode(dict):
    """A mapping of the template, with its position."""

    start_mark: Any
    end_mark: Any


class ListNode(list):
    """A list of the template, with its position."""

    start_mark: Any
    end_mark: Any


def load_template(path: Path | str) -> dict[str, Any]:
    """Decode a YAML or JSON template; every mapping, list and string carries its marks.

    Raises ``TemplateError`` for syntax errors, unreadable files, duplicate keys and documents
    that are not a mapping, with the line of the problem.
    """
    filename = str(path)
    try:
        data = Path(filename).read_bytes()
    except OSError as exc:
        raise TemplateError(f"cannot read template: {exc}", Location(filename)) from None
    return decode_template(data, filename)


def decode_template(data: bytes, filename: str) -> dict[str, Any]:
    """``load_template`` for bytes already read (``lint -``: standard input), which
    ``filename`` names in marks and errors."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise TemplateError(
            f"template is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)",
            Location(filename, line, column),
        ) from None
    if "\r" in text:  # read as text files are, with universal newlines (cfn-lint does)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        template = decode(text, filename)
    except RecursionError:
        raise TemplateError("template nests too deeply to be read", Location(filename)) from None
    if not isinstance(template, dict):
        raise TemplateError("template is not a mapping of sections", Location(filename))
    return template


def decode(text: str, filename: str) -> Any:
    """The decoded document of ``text``: YAML, or JSON where YAML cannot read it."""
    try:
        return _decode_yaml(text, filename)
    except (TemplateError, RecursionError):
        raise
    except (yaml.scanner.ScannerError, yaml.parser.ParserError) as exc:
        problem = exc.problem or str(exc)
        mark = exc.problem_mark
        if problem.startswith(_JSON_ONLY):
            # JSON allows what YAML refuses (tabs for indentation, "\/").
            return _decode_json(text, filename, exc)
        raise _yaml_error(problem, mark, filename) from None
    except Exception as exc:  # PyYAML's constructors raise ValueError too
        raise TemplateError(_first_line(f"Template could not be parsed: {exc}"),
                            Location(filename, 1, 1)) from None


_JSON_ONLY = ("found character '\\t' that cannot start any token", "found unknown escape character")


def _yaml_error(problem: str, mark: Any, filename: str) -> TemplateError:
    if mark is None:
        return TemplateError(_first_line(problem), Location(filename))
    return TemplateError(_first_line(problem), Location(filename, mark.line + 1, mark.column + 1))


def _first_line(message: str) -> str:
    return (message.strip().splitlines() or [""])[0]


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


# -- YAML ------------------------------------------------------------------------------------

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_UNCONVERTED = ("Ref", "Condition")  # every other short-form tag gains "Fn::"


def _decode_yaml(text: str, filename: str) -> Any:
    loader = _Loader(text)
    loader.filename = filename
    try:
        node = loader.get_single_node()
        if "&" in text:  # a document without anchors has no aliases to share or guard
            loader.aliased = True
        else:
            loader.build = loader._build  # type: ignore[method-assign]
        template = None if node is None else loader.build(node)
    finally:
        loader.dispose()
    if template is None:  # an empty document is an empty template
        empty = DictNode()
        empty.start_mark = empty.end_mark = Mark(0, 0)
        return empty
    if loader.aliased:
        _refuse_alias_bombs(template, filename)
    return template


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader (composing in C when it can) with CloudFormation's constructors.

    ``build`` walks the composed nodes itself: the common tags (mappings, lists, strings,
    short-form intrinsics) are built directly; the rest (numbers, booleans, timestamps,
    ``!!set``...) go through PyYAML's safe constructors.
    """

    aliased = False
    filename = ""
    depth = 0

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.building: set[Any] = set()
        self.resolved: dict[tuple[str, Any], str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Templates repeat their scalars ("Type", "Properties", runtimes): PyYAML's regexes
        # run once per distinct one.
        if kind is not ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self.resolved.get(key)
        if tag is None:
            tag = self.resolved[key] = super().resolve(kind, value, implicit)
        return tag

    def build(self, node: Any) -> Any:
        # An alias is the anchored node itself: build it once, and refuse a node that contains
        # itself, as PyYAML does.
        built = self.constructed_objects.get(node)
        if built is not None:
            return built
        if node in self.building:
            raise yaml.constructor.ConstructorError(
                None, None, "found unconstructable recursive node", node.start_mark)
        self.building.add(node)
        built = self.constructed_objects[node] = self._build(node)
        self.building.discard(node)
        return built

    def _build(self, node: Any) -> Any:
        tag = node.tag
        if tag[0] == "!":
            return self._intrinsic(tag[1:], node)
        kind = node.__class__
        if kind is ScalarNode:
            if tag == _STR:
                built = StrNode(node.value)
                built.start_mark = node.start_mark
                built.end_mark = node.end_mark
                return built
        elif kind is MappingNode:
            if tag == _MAP:
                return self._mapping(node)
        elif tag == _SEQ:
            return self._sequence(node, ListNode)
        # numbers, booleans, null, timestamps, !!set, !!omap...: PyYAML's safe constructors
        return super().construct_object(node, deep=True)

    def _sequence(self, node: Any, kind: type) -> Any:
        self._deeper(node)
        items = kind([self.build(child) for child in node.value])
        self.depth -= 1
        if kind is ListNode:
            items.start_mark = node.start_mark
            items.end_mark = node.end_mark
        return items

    def _mapping(self, node: Any) -> DictNode:
        self._deeper(node)
        merged = any(key.tag == "tag:yaml.org,2002:merge" for key, _ in node.value)
        if merged:
            self.flatten_mapping(node)  # a "<<" key may repeat what it merges: no duplicates
        mapping = DictNode()
        mapping.start_mark = node.start_mark
        mapping.end_mark = node.end_mark
        duplicate = None
        for key_node, value_node in node.value:
            key = self.build(key_node)
            value = self.build(value_node)
            if key is None:
                raise self._error(f"Null key {key_node.value!r} not supported", key_node)
            try:
                seen = key in mapping
            except TypeError:
                raise self._error(f'Unhashable type "{key}"', key_node) from None
            if seen and duplicate is None and not merged:
                first = next(k for k in mapping if k == key)
                duplicate = (key, first, key_node)
            mapping[key] = value
        self.depth -= 1
        if duplicate is not None:
            key, first, key_node = duplicate
            raise TemplateError(
                f"duplicate key {key!r} (first at line {first.start_mark.line + 1})",
                Location(self.filename, key_node.start_mark.line + 1,
                         key_node.start_mark.column + 1),
            )
        return mapping

    def _deeper(self, node: Any) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = node.start_mark
            raise TemplateError(f"template nests deeper than {MAX_DEPTH} levels",
                                Location(self.filename, mark.line + 1, mark.column + 1))

    def _intrinsic(self, name: str, node: Any) -> DictNode:
        if name not in _UNCONVERTED:
            name = f"Fn::{name}"
        if name == "Fn::GetAtt":
            value: Any = self._getatt(node)
        elif node.__class__ is ScalarNode:
            value = node.value
        elif node.__class__ is SequenceNode:
            value = self._sequence(node, list)
        else:
            # Inside a tag cfn-lint keeps YAML's plain mapping: no duplicate check.
            value = self.construct_mapping(node, deep=True)
        wrapper = DictNode({name: value})
        wrapper.start_mark = node.start_mark
        wrapper.end_mark = node.end_mark
        return wrapper

    def _getatt(self, node: Any) -> Any:
        if node.__class__ is ScalarNode:
            parts = ListNode(node.value.split(".", 1))
        elif node.__class__ is SequenceNode:
            return self._sequence(node, ListNode)
        else:
            return self._mapping(node)
        parts.start_mark = node.start_mark
        parts.end_mark = node.end_mark
        return parts

    def _error(self, message: str, node: Any) -> TemplateError:
        mark = node.start_mark
        return TemplateError(f"{message} (line {mark.line + 1})",
                             Location(self.filename, mark.line + 1, mark.column + 1))

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # PyYAML's constructors (sets, ordered maps) call back here for their children.
        return self.build(node)


def _refuse_alias_bombs(template: Any, filename: str) -> None:
    """Count the template's nodes as if its aliases were copies; shared parts are counted once."""
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            return 1
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_NODES:
                raise TemplateError(
                    f"Template resolves to more than {MAX_EXPANDED_NODES} nodes once YAML "
                    "aliases are expanded; this is not supported and may indicate YAML alias "
                    "amplification", Location(filename))
        sizes[id(node)] = total
        return total

    size(template)


# -- JSON (where YAML refuses it) ------------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?")
_CONSTANTS = {"null": None, "true": True, "false": False, "NaN": float("nan"),
              "Infinity": float("inf"), "-Infinity": float("-inf")}
_VALUE_STARTS = ('"', "{", "[", *_CONSTANTS)


class _JsonReader:
    """A JSON decoder that marks keys, objects and arrays as cfn-lint's JSON decoder does.

    Its marks are not YAML's: a key's column is 1-based, an object starts after its ``{``.
    They are kept identical so a template reads the same with either decoder.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]

    def mark(self, index: int) -> Mark:
        line = _count_upto(self.newlines, index)
        return Mark(line, index - self._newline_before(line, index))

    def end_mark(self, index: int) -> Mark:
        line = _count_upto(self.newlines, index) - (1 if len(self.newlines) > 1 else 0)
        return Mark(line, index - self._newline_before(line, index))

    def _newline_before(self, line: int, index: int) -> int:
        if self.newlines and _count_upto(self.newlines, index):
            return self.newlines[line - 1]
        return -1

    def fail(self, message: str, index: int) -> ValueError:
        line = self.text.count("\n", 0, index) + 1
        column = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return _JsonError(message, line, column)

    def starts_value(self, index: int) -> bool:
        return self.text.startswith(_VALUE_STARTS, index) or bool(_NUMBER.match(self.text, index))

    def skip(self, index: int) -> int:
        return _WHITESPACE.match(self.text, index).end()  # type: ignore[union-attr]

    def document(self) -> Any:
        index = self.skip(0)
        if not self.starts_value(index):
            raise _NotJson
        value, index = self.value(index)
        index = self.skip(index)
        if index != len(self.text):
            raise self.fail("Extra data", index)
        return value

    def value(self, index: int) -> tuple[Any, int]:
        text = self.text
        char = text[index:index + 1]
        if char == '"':
            return self.string(index)
        if char == "{":
            return self.object(index + 1)
        if char == "[":
            return self.array(index + 1)
        for word, constant in _CONSTANTS.items():
            if text.startswith(word, index):
                return constant, index + len(word)
        number = _NUMBER.match(text, index)
        if number is not None:
            whole, fraction, exponent = number.groups()
            if fraction or exponent:
                return float(whole + (fraction or "") + (exponent or "")), number.end()
            return int(whole), number.end()
        raise self.fail("Expecting value", index)

    def string(self, index: int) -> tuple[str, int]:
        try:
            return json.decoder.scanstring(self.text, index + 1, True)  # type: ignore[attr-defined]
        except json.JSONDecodeError as exc:
            message, position = exc.msg, exc.pos
            # cfn-lint names the character, and points just past it.
            if message.startswith("Invalid control character"):
                message = f"Invalid control character {self.text[position]!r} at"
                position += 1
            elif message == "Invalid \\escape":
                position += 1
                message = f"Invalid \\escape: {self.text[position:position + 1]!r}"
            raise self.fail(message, position) from None

    def object(self, index: int) -> tuple[DictNode, int]:
        start = index
        mapping = DictNode()
        index = self.skip(index)
        if self.text[index:index + 1] == "}":
            mapping.start_mark, mapping.end_mark = self.mark(start), self.end_mark(index + 1)
            return mapping, index + 1
        first_seen: dict[Any, StrNode] = {}
        while True:
            if self.text[index:index + 1] != '"':
                raise self.fail("Expecting property name enclosed in double quotes", index)
            begin = index
            raw, index = self.string(index)
            key = StrNode(raw)
            key.start_mark, key.end_mark = self.mark(begin), self.end_mark(begin + len(raw))
            index = self.skip(index)
            if self.text[index:index + 1] != ":":
                raise self.fail("Expecting ':' delimiter", index)
            value, index = self.value(self.skip(index + 1))
            if key in first_seen:
                first = first_seen[key]
                raise _JsonError(
                    f"duplicate key {raw!r} (first at line {first.start_mark.line + 1})",
                    key.start_mark.line + 1, key.start_mark.column)
            first_seen[key] = key
            mapping[key] = value
            index = self.skip(index)
            char = self.text[index:index + 1]
            if char == "}":
                index += 1
                break
            if char != ",":
                raise self.fail("Expecting ',' delimiter", index)
            index = self.skip(index + 1)
        mapping.start_mark, mapping.end_mark = self.mark(start), self.end_mark(index)
        return mapping, index

    def array(self, index: int) -> tuple[ListNode, int]:
        start = index
        items = ListNode()
        index = self.skip(index)
        if self.text[index:index + 1] != "]":
            while True:
                if not self.starts_value(index):
                    raise _NotJson  # cfn-lint gives YAML's complaint for a bad array item
                value, index = self.value(index)
                items.append(value)
                index = self.skip(index)
                char = self.text[index:index + 1]
                if char == "]":
                    break
                if char != ",":
                    raise self.fail("Expecting ',' delimiter", index)
                index = self.skip(index + 1)
        items.start_mark, items.end_mark = self.mark(start), self.end_mark(index + 1)
        return items, index + 1


class _NotJson(Exception):
    """The document does not even start like JSON."""


class _JsonError(ValueError):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def _count_upto(newlines: list[int], index: int) -> int:
    """How many newlines are at or before ``index``."""
    return bisect.bisect_right(newlines, index)


def _decode_json(text: str, filename: str, yaml_error: Any) -> Any:
    try:
        return _JsonReader(text).document()
    except _NotJson:
        # Not JSON either: YAML's complaint is the one that helps.
        raise _yaml_error(yaml_error.problem, yaml_error.problem_mark, filename) from None
    except _JsonError as exc:
        raise TemplateError(exc.message, Location(filename, exc.line, max(exc.column, 1))) \
            from None
