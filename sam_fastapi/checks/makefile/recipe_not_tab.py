"""SF203 makefile-recipe-not-tab."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.makefile.reader import TAB, RecipeLine
from sam_fastapi.checks.makefile.sites import makefile_location, makefile_of, makefile_sites
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class MakefileRecipeNotTab:
    rule = Rule(
        id="SF203",
        name="makefile-recipe-not-tab",
        severity=Severity.ERROR,
        summary="A recipe line of a `BuildMethod: makefile` Makefile does not start with a tab.",
        docs="""\
## What it does
Reads the Makefile that `sam build` uses (see SF201) the way GNU make does and reports every
line after a rule line that was meant as part of its recipe but does not start with a tab (or
with the `.RECIPEPREFIX` character, when the Makefile sets one). Lines make reads as something
else stay allowed: blank and comment lines, conditionals (`ifeq`, `else`, `endif`...),
variable assignments, `include` and other directives, the body of `define ... endef`, and the
continuation lines of a recipe line or assignment ending in `\\`. CRLF line endings are read
as make reads them. A Makefile shared by several resources is reported once, for the first.

## Why is this bad?
make stops with "missing separator" and `sam build` fails; worse, an indented line holding a
colon (`echo "step: copy"`) is silently read as a new rule, and the rest of the recipe is
not run for this target. Editors that turn tabs into spaces cause it.

## Example
```make
build-CastFunction:
    cp -r app "$(ARTIFACTS_DIR)"
```

## Use instead
```make
build-CastFunction:
	cp -r app "$(ARTIFACTS_DIR)"
```
(a tab before `cp`; or `.RECIPEPREFIX = >` and `> cp ...`)
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        seen = set()
        for site in makefile_sites(project):
            makefile = makefile_of(site)
            if makefile is None or makefile.path in seen:
                continue
            seen.add(makefile.path)
            for recipe in makefile.recipe_lines:
                if recipe.misplaced:
                    yield Violation(
                        _message(recipe, makefile.prefix_line),
                        resource=site.logical_id,
                        location=makefile_location(site, recipe.line, 1, len(recipe.indent)),
                    )


def _message(recipe: RecipeLine, prefix_line: int) -> str:
    indent = _describe(recipe.indent)
    if recipe.prefix == TAB:
        return (f"recipe line of the rule on line {recipe.rule_line} is indented with {indent}; "
                "make needs a tab (or the .RECIPEPREFIX character) at the start of each recipe "
                "line: replace the indentation with one tab")
    return (f"recipe line of the rule on line {recipe.rule_line} is indented with {indent}; "
            f".RECIPEPREFIX (line {prefix_line}) makes '{recipe.prefix}' the recipe prefix: "
            f"start the line with '{recipe.prefix}'")


def _describe(indent: str) -> str:
    spaces, tabs = indent.count(" "), indent.count(TAB)
    parts = []
    if spaces:
        parts.append(f"{spaces} space{'s' if spaces != 1 else ''}")
    if tabs:
        parts.append(f"{tabs} tab{'s' if tabs != 1 else ''}" if tabs != 1 else "a tab")
    return " and ".join(parts) if parts else repr(indent)


@hookimpl
def sam_fastapi_register_checks() -> list[MakefileRecipeNotTab]:
    return [MakefileRecipeNotTab()]
