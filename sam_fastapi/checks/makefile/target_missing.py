"""SF202 makefile-target-missing."""

from __future__ import annotations

from collections.abc import Iterator

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
from sam_fastapi.template.model import Project


class MakefileTargetMissing:
    rule = Rule(
        id="SF202",
        name="makefile-target-missing",
        severity=Severity.ERROR,
        summary="A `BuildMethod: makefile` resource's Makefile has no `build-<LogicalId>` target.",
        docs="""\
## What it does
Reads the Makefile that `sam build` uses for each `BuildMethod: makefile` function and layer
(see SF201) and checks that a rule can make `build-<LogicalId>`: a rule naming it (also in a
multi-target, `::` or grouped `&:` rule), a pattern rule such as `build-%`, a target written
with a variable (`build-$(NAME)`, taken as a possible match), or a `.DEFAULT` rule.

The finding is in the Makefile: at the target that differs only slightly (a typo, another
case), at the `.PHONY` line when the target is only declared phony, else at line 1.
A Makefile with `include` lines or lines that make expands into rules (`$(eval ...)`) is not
checked: the target may come from there, and the rule would only be guessing. Nor is one
larger than 1 MiB, of which only the start is read.

## Why is this bad?
`sam build` runs `make build-<LogicalId>` and stops with "No rule to make target". A target
that is only listed in `.PHONY` is worse: make does nothing, and sam build packages an empty
artifact that fails on Lambda.

## Example
```make
build-CastFunctoin:
	cp -r app "$(ARTIFACTS_DIR)"
```

## Use instead
```make
build-CastFunction:
	cp -r app "$(ARTIFACTS_DIR)"
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for site in makefile_sites(project):
            makefile = makefile_of(site)
            if (makefile is None or makefile.unresolved or makefile.truncated
                    or makefile.defines(site.target)):
                continue
            yield _violation(site, makefile)


def _violation(site: MakefileSite, makefile: Makefile) -> Violation:
    target = site.target
    phony = makefile.phony_line(target)
    if phony is not None:
        return Violation(
            f"{target} is only listed in .PHONY, with no rule: make would do nothing and "
            f"sam build would package an empty {site.logical_id}; add a `{target}:` rule "
            "that copies the build into $(ARTIFACTS_DIR)",
            resource=site.logical_id,
            location=makefile_location(site, phony),
        )
    near = _near_miss(makefile, target)
    if near is not None:
        name, line = near
        return Violation(
            f"no {target} target for {site.logical_id}; {name} differs only slightly "
            f"(targets are case-sensitive): rename it to {target}",
            resource=site.logical_id,
            location=makefile_location(site, line),
        )
    return Violation(
        f"no {target} target in '{site.shown}' for {site.logical_id}: sam build runs "
        f"`make {target}`; add a `{target}:` rule that copies the build into $(ARTIFACTS_DIR)",
        resource=site.logical_id,
        location=makefile_location(site),
    )


def _near_miss(makefile: Makefile, target: str) -> tuple[str, int] | None:
    lines = {t: rule.line for rule in reversed(makefile.rules) for t in rule.targets}
    by_fold = {name.casefold(): name for name in lines}
    if target.casefold() in by_fold:
        name = by_fold[target.casefold()]
        return name, lines[name]
    import difflib  # only for a missing target: most runs have none

    close = difflib.get_close_matches(target, [n for n in lines if n.startswith("build")],
                                      n=1, cutoff=0.85)
    return (close[0], lines[close[0]]) if close else None


@hookimpl
def sam_fastapi_register_checks() -> list[MakefileTargetMissing]:
    return [MakefileTargetMissing()]
