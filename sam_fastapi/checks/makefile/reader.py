"""A small reader of GNU Makefiles: rule targets, recipe lines and their indentation.

It splits a Makefile into statements the way GNU make's parser (``read.c``) does, without
expanding variables or running anything: enough to tell which targets have rules and which
lines make would take as recipe lines. Included files are not read; the lines that include
them are remembered so checks can say so.
"""

from __future__ import annotations

import errno
import fnmatch
import functools
import re
import stat
from dataclasses import dataclass
from pathlib import Path

#: A Makefile larger than this is read only this far; no real one comes close.
MAX_BYTES = 1024 * 1024

TAB = "\t"
_BLANKS = " \t"
_CONDITIONALS = frozenset({"ifeq", "ifneq", "ifdef", "ifndef", "else", "endif"})
_MODIFIERS = ("export", "override", "private", "unexport")
_INCLUDES = frozenset({"include", "-include", "sinclude"})
_DIRECTIVES = frozenset({"export", "unexport", "override", "vpath", "undefine", "load", "-load"})
_OPERATORS = (":::=", "::=", ":=", "+=", "?=", "!=", "=")
_FIRST_WORD = re.compile(r"[ \t]*([^ \t]*)")
# Functions that print and expand to nothing: a line made of one of them makes no rule.
_OUTPUT_FUNCTIONS = ("$(info", "${info", "$(warning", "${warning", "$(error", "${error")
# Nor is such a line, or an $(eval ...), a misplaced recipe line.
_SILENT_FUNCTIONS = ("$(eval", "${eval", *_OUTPUT_FUNCTIONS)


@dataclass(frozen=True)
class MakeRule:
    """A rule line: its targets (as written, unexpanded) and prerequisites."""

    targets: tuple[str, ...]
    prerequisites: tuple[str, ...]
    line: int
    double_colon: bool = False
    has_recipe: bool = False


@dataclass(frozen=True)
class RecipeLine:
    """A line of a rule's recipe, or one that was meant to be but is indented wrongly.

    ``indent`` is what precedes the command: the recipe prefix for a proper recipe line, the
    leading blanks for a misplaced one. ``prefix`` is the recipe prefix in force at that line.
    """

    line: int
    indent: str
    prefix: str
    rule_line: int

    @property
    def misplaced(self) -> bool:
        return not self.indent.startswith(self.prefix)


@dataclass(frozen=True)
class Makefile:
    path: Path | None
    rules: tuple[MakeRule, ...]
    recipe_lines: tuple[RecipeLine, ...]
    #: Lines of ``include`` directives; the files they name are not read.
    includes: tuple[int, ...] = ()
    #: Lines that may create rules when make expands them (``$(eval ...)``, ``$(call ...)``).
    generated: tuple[int, ...] = ()
    #: Line of the last ``.RECIPEPREFIX`` assignment, 0 when the prefix is the default tab.
    prefix_line: int = 0
    truncated: bool = False

    def rules_for(self, target: str) -> tuple[MakeRule, ...]:
        """Rules that may build ``target``: by name, by pattern, or through a variable."""
        return tuple(r for r in self.rules if any(_matches(t, target) for t in r.targets))

    def defines(self, target: str) -> bool:
        """Whether ``make target`` finds a rule (its own, a pattern's, or ``.DEFAULT``)."""
        if self.rules_for(target):
            return True
        return any(".DEFAULT" in r.targets and r.has_recipe for r in self.rules)

    def phony_line(self, target: str) -> int | None:
        """The line of a ``.PHONY`` rule that lists ``target``, if any."""
        for rule in self.rules:
            if ".PHONY" in rule.targets and target in rule.prerequisites:
                return rule.line
        return None

    @property
    def unresolved(self) -> tuple[int, ...]:
        """Lines whose effect on the rules cannot be known without running make."""
        return tuple(sorted({*self.includes, *self.generated}))


def read_makefile(path: Path) -> Makefile:
    """Read and parse ``path``, once per content: repeated calls return the same object.

    Raises ``OSError`` when it is missing, a directory, not a regular file or unreadable.
    """
    info = path.stat()
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or device would block or never end.
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return _read(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=256)
def _read(path: str, mtime_ns: int, size: int) -> Makefile:
    with open(path, "rb") as stream:
        data = stream.read(MAX_BYTES + 1)
    text = data[:MAX_BYTES].decode("utf-8", errors="replace")
    return parse_makefile(text, Path(path), truncated=len(data) > MAX_BYTES)


def parse_makefile(text: str, path: Path | None = None, *, truncated: bool = False) -> Makefile:
    """Parse Makefile text; never raises, whatever the text."""
    # GNU make ends lines at LF and drops a CR before it; splitlines() would also split at
    # form feeds and other separators and shift every line number after them.
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    return _Parser(lines).parse(path, truncated)


@dataclass
class _OpenRule:
    """A rule while its recipe is being read."""

    targets: tuple[str, ...]
    prerequisites: tuple[str, ...]
    line: int
    double_colon: bool
    has_recipe: bool

    def close(self) -> MakeRule:
        return MakeRule(self.targets, self.prerequisites, self.line, self.double_colon,
                        self.has_recipe)


class _Parser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.rules: list[_OpenRule] = []
        self.recipes: list[RecipeLine] = []
        self.includes: list[int] = []
        self.generated: list[int] = []
        self.prefix: str | None = TAB
        self.prefix_line = 0
        self.rule: _OpenRule | None = None  # the rule whose recipe lines may follow

    def parse(self, path: Path | None, truncated: bool) -> Makefile:
        index = 0
        while index < len(self.lines):
            index = self._statement(index)
        return Makefile(
            path=path,
            rules=tuple(rule.close() for rule in self.rules),
            recipe_lines=tuple(self.recipes),
            includes=tuple(self.includes),
            generated=tuple(self.generated),
            prefix_line=self.prefix_line,
            truncated=truncated,
        )

    def _statement(self, index: int) -> int:
        """Read the statement starting at line ``index``; return the index after it."""
        raw = self.lines[index]
        number = index + 1
        end = _logical_end(self.lines, index)
        if self.rule is not None and self.prefix is not None and raw.startswith(self.prefix):
            self._recipe(number, self.prefix)
            return end
        text = _strip_comment(" ".join(_unescape(line) for line in self.lines[index:end]))
        stripped = text.strip(_BLANKS)
        if not stripped:  # blank or comment: the recipe goes on
            return end
        # Assignments first, as in make, so that a variable may be called "ifdef".
        assignment = _assignment(stripped)
        if assignment is not None:
            self._assign(*assignment, number)
            self.rule = None
            return end
        if _is_conditional(stripped):  # conditionals do not end a recipe either
            return end
        if _first_word(_strip_modifiers(stripped)) == "define":
            self.rule = None
            return _define_end(self.lines, end)
        word = _first_word(stripped)
        if word in _INCLUDES or word in _DIRECTIVES:
            if word in _INCLUDES:
                self.includes.append(number)
            self.rule = None
            return end
        indent = raw[: len(raw) - len(raw.lstrip(_BLANKS))]
        if (self.rule is not None and self.prefix is not None and indent
                and not stripped.startswith(_SILENT_FUNCTIONS)):
            # Meant as a recipe line; make takes it as a rule or stops with "missing separator".
            self._recipe(number, indent)
            return end
        self._rule_or_other(stripped, number)
        return end

    def _recipe(self, number: int, indent: str) -> None:
        assert self.rule is not None and self.prefix is not None
        self.recipes.append(RecipeLine(number, indent, self.prefix, self.rule.line))
        self.rule.has_recipe = True

    def _assign(self, name: str, operator: str, value: str, number: int) -> None:
        if name != ".RECIPEPREFIX" or operator == "+=":
            return
        value = value.lstrip(_BLANKS)
        self.prefix_line = number
        if operator == "!=" or value.startswith("$"):
            # Set from a command or a variable: unknown without running make.
            self.prefix = None
        else:
            self.prefix = value[:1] or TAB

    def _rule_or_other(self, stripped: str, number: int) -> None:
        colon = _find_unquoted(stripped, ":")
        if colon < 0:
            # Not a rule: "missing separator" to make, unless it expands to rules or nothing.
            if "$" in stripped and not stripped.startswith(_OUTPUT_FUNCTIONS):
                self.generated.append(number)
            self.rule = None
            return
        targets_text = stripped[:colon].rstrip(_BLANKS)
        if targets_text.endswith("&"):  # grouped targets, "a b &: c"
            targets_text = targets_text[:-1]
        rest = stripped[colon + 1:]
        double_colon = rest.startswith(":")
        if double_colon:
            rest = rest[1:]
        semicolon = _find_unquoted(rest, ";")
        inline_recipe = semicolon >= 0
        if inline_recipe:
            rest = rest[:semicolon]
        if _assignment(rest.strip(_BLANKS)) is not None:
            # A target-specific variable: it gives the target no rule.
            self.rule = None
            return
        second = _find_unquoted(rest, ":")
        if second >= 0:  # static pattern rule, "targets: pattern: prerequisites"
            rest = rest[second + 1:]
        self.rule = _OpenRule(
            targets=tuple(_words(targets_text)),
            prerequisites=tuple(w for w in _words(rest) if w != "|"),
            line=number,
            double_colon=double_colon,
            has_recipe=inline_recipe,
        )
        self.rules.append(self.rule)


# -- lines ------------------------------------------------------------------------------------


def _continues(line: str) -> bool:
    """An odd number of trailing backslashes joins the next line to this one."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _logical_end(lines: list[str], index: int) -> int:
    """The index after the last physical line of the logical line starting at ``index``."""
    while index < len(lines) - 1 and _continues(lines[index]):
        index += 1
    return index + 1


def _unescape(line: str) -> str:
    return line[:-1] if _continues(line) else line


def _define_end(lines: list[str], index: int) -> int:
    """The index after the ``endef`` closing a ``define`` whose body starts at ``index``.

    As in make, nested ``define``s count, and neither word counts on a line starting with a
    tab (that is a line of the value).
    """
    depth = 1
    while index < len(lines):
        end = _logical_end(lines, index)
        line = lines[index]
        if not line.startswith(TAB):
            word = line.lstrip(_BLANKS)
            if word == "define" or word.startswith(("define ", "define\t")):
                depth += 1
            elif word == "endef" or word.startswith(("endef ", "endef\t")):
                depth -= 1
                if depth == 0:
                    return end
        index = end
    return index


def _strip_comment(text: str) -> str:
    """The text before an unescaped ``#`` outside variable references."""
    index = _find_unquoted(text, "#")
    return text if index < 0 else text[:index]


def _find_unquoted(text: str, char: str) -> int:
    """Index of ``char`` outside ``$(...)``/``${...}`` and not escaped by a backslash, or -1."""
    if char not in text:
        return -1
    index = 0
    while index < len(text):
        current = text[index]
        if current == "\\" and index + 1 < len(text) and text[index + 1] in (char, "\\"):
            index += 2
            continue
        if current == "$":
            index = _skip_reference(text, index)
            continue
        if current == char:
            return index
        index += 1
    return -1


def _skip_reference(text: str, index: int) -> int:
    """The index after the variable reference starting with the ``$`` at ``index``."""
    if index + 1 >= len(text):
        return index + 1
    opener = text[index + 1]
    if opener not in "({":
        return index + 2  # $$, $@, $X
    closer = ")" if opener == "(" else "}"
    depth = 0
    for position in range(index + 1, len(text)):
        if text[position] == opener:
            depth += 1
        elif text[position] == closer:
            depth -= 1
            if depth == 0:
                return position + 1
    return len(text)


def _words(text: str) -> list[str]:
    """Split at blanks outside variable references (``$(call f, a b)`` is one word)."""
    words: list[str] = []
    current = ""
    index = 0
    while index < len(text):
        char = text[index]
        if char == "$":
            end = _skip_reference(text, index)
            current += text[index:end]
            index = end
            continue
        if char in _BLANKS:
            if current:
                words.append(current)
            current = ""
        else:
            current += char
        index += 1
    if current:
        words.append(current)
    return words


def _first_word(text: str) -> str:
    """The text up to its first blank; make separates words by spaces and tabs only."""
    return _FIRST_WORD.match(text).group(1)  # type: ignore[union-attr]  # always matches


def _is_conditional(stripped: str) -> bool:
    return _first_word(stripped).split("(", 1)[0] in _CONDITIONALS


def _strip_modifiers(text: str) -> str:
    while True:
        word = _first_word(text)
        if word not in _MODIFIERS or len(text) == len(word):
            return text
        text = text[len(word):].lstrip(_BLANKS)


# -- variable assignments ---------------------------------------------------------------------


def _assignment(text: str) -> tuple[str, str, str] | None:
    """``(name, operator, value)`` when ``text`` assigns a variable, as make decides it."""
    plain = _plain_assignment(text)
    if plain is not None:
        return plain
    unmodified = _strip_modifiers(text)
    return _plain_assignment(unmodified) if unmodified != text else None


def _plain_assignment(text: str) -> tuple[str, str, str] | None:
    # Like make's parse_variable_definition: a name without blanks, then an operator; blanks
    # followed by anything but an operator mean it is not an assignment.
    if "=" not in text:  # every operator has one
        return None
    index = 0
    while index < len(text):
        char = text[index]
        if char == "#":
            return None
        if char == "$":
            index = _skip_reference(text, index)
            continue
        if char in _BLANKS:
            index = len(text) - len(text[index:].lstrip(_BLANKS))
            if not text.startswith(_OPERATORS, index):
                return None
            char = text[index]
        for operator in _OPERATORS:
            if text.startswith(operator, index):
                name = text[:index].strip(_BLANKS)
                return (name, operator, text[index + len(operator):]) if name else None
        if char == ":":
            return None
        index += 1
    return None


# -- target matching --------------------------------------------------------------------------


def _matches(word: str, target: str) -> bool:
    if "$" not in word and "%" not in word:
        return word == target
    return fnmatch.fnmatchcase(target, _glob(word))


@functools.lru_cache(maxsize=1024)
def _glob(word: str) -> str:
    """An fnmatch pattern for a target word: a variable matches anything, ``%`` a stem."""
    parts: list[str] = []
    index = 0
    while index < len(word):
        char = word[index]
        if char == "$":
            end = _skip_reference(word, index)
            parts.append("$" if word[index:end] == "$$" else "*")
            index = end
            continue
        if char == "%":
            parts.append("?*")
        elif char in "*?[":
            parts.append(f"[{char}]")
        else:
            parts.append(char)
        index += 1
    return "".join(parts)
