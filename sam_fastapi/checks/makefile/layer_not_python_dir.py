"""SF204 layer-not-python-dir."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.makefile.reader import Makefile
from sam_fastapi.checks.makefile.sites import (
    MakefileSite,
    makefile_location,
    makefile_of,
    makefile_sites,
)
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Layer, Project

_ASSIGNMENT = re.compile(
    r"^(?:[^:=#\t][^:=#]*:\s*)?(?:(?:export|override|private)\s+)*"
    r"([A-Za-z_][A-Za-z0-9_.-]*)\s*(?::::=|::=|:=|\?=|\+=|=)\s*(.*)$"
)
_VARIABLE = r"(?:\$\(({name})\)|\$\{{({name})\}}|\$\$\{{?({name})\}}?)"
_LAYER_BUILD = re.compile(r"\bsam[-_]fastapi\b.*\blayer\s+build\b")
# The python folder ends at a slash, a blank, a shell operator or the end of the word.
_AFTER_PYTHON = r"(?=[/\s;&|)]|$)"


class LayerNotPythonDir:
    rule = Rule(
        id="SF204",
        name="layer-not-python-dir",
        severity=Severity.ERROR,
        summary="A Python layer's Makefile recipe installs into $(ARTIFACTS_DIR), not "
                "$(ARTIFACTS_DIR)/python.",
        docs="""\
## What it does
Reads the `build-<LayerId>` recipe of every Python layer built with `BuildMethod: makefile`
(a layer whose `CompatibleRuntimes` name a Python runtime, or, when it names none, that a
Python function uses) and checks that it writes under `$(ARTIFACTS_DIR)/python`. Accepted:
`$(ARTIFACTS_DIR)/python`, `${ARTIFACTS_DIR}/python`, the shell's `$$ARTIFACTS_DIR/python`,
quoted or not, a variable defined as one of them, and
`sam-fastapi layer build <LayerId> --out "$(ARTIFACTS_DIR)"` (which writes `python/` itself).
A recipe that never names `ARTIFACTS_DIR` (it calls a script) is not judged. One that `cd`s
into `$(ARTIFACTS_DIR)` and writes a relative `python/` is not understood: write the full path.

## Why is this bad?
Lambda unpacks a layer into `/opt` and Python imports only from `/opt/python` and
`/opt/python/lib/pythonX.Y/site-packages`. Packages installed at the top of the layer are
deployed but never found: every import from the layer fails with `ModuleNotFoundError` on the
first request, while `sam build` and `sam deploy` succeed.

## Example
```make
build-SharedLayer:
	pip install -r requirements.txt -t "$(ARTIFACTS_DIR)"
```

## Use instead
```make
build-SharedLayer:
	pip install -r requirements.txt -t "$(ARTIFACTS_DIR)/python"
```
or `sam-fastapi layer build SharedLayer --out "$(ARTIFACTS_DIR)"`, which also picks wheels
for the layer's runtime and architecture.
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for site in makefile_sites(project):
            layer = project.layers.get(site.logical_id)
            if layer is None or not _is_python_layer(project, layer):
                continue
            makefile = makefile_of(site)
            if makefile is None or makefile.path is None:
                continue
            try:
                text = makefile.path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            lines = [line.removesuffix("\r") for line in text.split("\n")]
            line = _wrong_install_line(makefile, lines, site.target)
            if line is not None:
                yield _violation(site, line)


def _is_python_layer(project: Project, layer: Layer) -> bool:
    if layer.compatible_runtimes:
        return any(r.startswith("python") for r in layer.compatible_runtimes)
    return any(
        function.is_python and any(used.logical_id == layer.logical_id
                                   for used in project.function_layers(function))
        for function in project.functions.values()
    )


@dataclass(frozen=True)
class _Patterns:
    python_dir: re.Pattern[str]  # names $(ARTIFACTS_DIR)/python, directly or by a variable
    artifacts: re.Pattern[str]  # names $(ARTIFACTS_DIR) at all


def _patterns(lines: Sequence[str]) -> _Patterns:
    """Follow variables defined as ``$(ARTIFACTS_DIR)`` or ``$(ARTIFACTS_DIR)/python``."""
    artifacts_names = {"ARTIFACTS_DIR"}
    python_names: set[str] = set()
    assignments = [m.groups() for m in map(_ASSIGNMENT.match, lines) if m]
    changed = True
    while changed:
        patterns = _compile(artifacts_names, python_names)
        changed = False
        for name, value in assignments:
            value = _unquoted(value).strip()
            if name not in python_names and patterns.python_dir.search(value):
                python_names.add(name)
                changed = True
            elif name not in artifacts_names and patterns.artifacts.fullmatch(value):
                artifacts_names.add(name)
                changed = True
    return _compile(artifacts_names, python_names)


def _compile(artifacts_names: set[str], python_names: set[str]) -> _Patterns:
    artifacts = _VARIABLE.format(name="|".join(map(re.escape, sorted(artifacts_names))))
    python_dir = rf"{artifacts}/python{_AFTER_PYTHON}"
    if python_names:
        python_dir += "|" + _VARIABLE.format(name="|".join(map(re.escape, sorted(python_names))))
    return _Patterns(re.compile(python_dir), re.compile(artifacts))


def _wrong_install_line(makefile: Makefile, lines: Sequence[str], target: str) -> int | None:
    """The first recipe line writing into $(ARTIFACTS_DIR) when none writes under python/."""
    rule_lines = {rule.line for rule in makefile.rules_for(target)}
    commands = [(recipe.line, _logical_line(lines, recipe.line))
                for recipe in makefile.recipe_lines if recipe.rule_line in rule_lines]
    if not commands:
        return None
    patterns = _patterns(lines)
    first_artifacts: int | None = None
    for number, command in commands:
        command = _unquoted(command)
        if patterns.python_dir.search(command) or (
            _LAYER_BUILD.search(command) and patterns.artifacts.search(command)
        ):
            return None
        if first_artifacts is None and patterns.artifacts.search(command):
            first_artifacts = number
    return first_artifacts


def _logical_line(lines: Sequence[str], number: int) -> str:
    """The recipe line at ``number`` (1-based) with its backslash continuations."""
    parts = []
    index = number - 1
    while index < len(lines):
        line = lines[index]
        continued = (len(line) - len(line.rstrip("\\"))) % 2 == 1
        parts.append(line[:-1] if continued else line)
        if not continued:
            break
        index += 1
    return " ".join(parts)


def _unquoted(text: str) -> str:
    return text.replace('"', "").replace("'", "")


def _violation(site: MakefileSite, line: int) -> Violation:
    return Violation(
        f"the recipe of {site.target} installs into $(ARTIFACTS_DIR), not "
        f"$(ARTIFACTS_DIR)/python: Lambda imports a layer only from /opt/python, so "
        f"nothing in {site.logical_id} would be found; install into \"$(ARTIFACTS_DIR)/python\" "
        f"or run `sam-fastapi layer build {site.logical_id} --out \"$(ARTIFACTS_DIR)\"`",
        resource=site.logical_id,
        location=makefile_location(site, line),
    )


@hookimpl
def sam_fastapi_register_checks() -> list[LayerNotPythonDir]:
    return [LayerNotPythonDir()]
