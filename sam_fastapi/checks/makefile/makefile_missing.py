"""SF201 makefile-missing."""

from __future__ import annotations

import os
from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.makefile.reader import read_makefile
from sam_fastapi.checks.makefile.sites import MAKEFILE, MakefileSite, makefile_sites
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.template.model import Project


class MakefileMissing:
    rule = Rule(
        id="SF201",
        name="makefile-missing",
        severity=Severity.ERROR,
        summary="A `BuildMethod: makefile` resource has no Makefile where sam build looks.",
        docs="""\
## What it does
For every function and layer with `Metadata: BuildMethod: makefile`, looks for the file
`Makefile` where `sam build` does: in `Metadata: ContextPath` when it is set, else in
`Metadata: ProjectRootDirectory`, else in `CodeUri` (`ContentUri` for a layer), relative to the
template. Reports a missing file, a folder named `Makefile`, a file that cannot be read, and a
`makefile` or `GNUmakefile` (sam build passes exactly `Makefile` to make). A missing `CodeUri`
folder is SF102's finding, not this one's. The finding is at the resource's `BuildMethod`.

## Why is this bad?
`sam build` stops with "Makefile not found at ..." (or make's own error), and nothing is
built or deployed.

## Example
```yaml
CastFunction:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: cast_service/     # holds app/ and requirements.txt, no Makefile
  Metadata:
    BuildMethod: makefile
```

## Use instead
```yaml
  Metadata:
    BuildMethod: makefile
    ContextPath: .             # the folder of the Makefile with the build-CastFunction target
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for site in makefile_sites(project):
            message = _problem(site)
            if message is not None:
                yield Violation(message, resource=site.logical_id, path=site.template_path)


def _problem(site: MakefileSite) -> str | None:
    needed = f"sam build runs `make {site.target}` with it"
    if not site.folder.is_dir():
        if site.from_code_location:
            return None  # SF102 code-folder-missing reports it
        return (f"{site.setting} folder '{site.shown_folder}' of {site.logical_id} does not "
                f"exist; point it at the folder of the Makefile ({needed})")
    try:
        names = set(os.listdir(site.folder))
    except OSError:
        names = {MAKEFILE}  # cannot list it; reading the file below says why
    if MAKEFILE not in names:
        # Checked by name: on a case-insensitive file system 'makefile' would open as well.
        other = next((n for n in sorted(names) if n.lower() in ("makefile", "gnumakefile")), None)
        if other is not None:
            return (f"'{os.path.join(site.shown_folder, other)}' must be named '{MAKEFILE}': "
                    f"sam build passes exactly that name to make; rename it")
        return (f"no Makefile in {site.setting} folder '{site.shown_folder}' of "
                f"{site.logical_id} ({needed}); add one, or set Metadata.ContextPath to the "
                "folder that has it")
    try:
        read_makefile(site.path)
    except IsADirectoryError:
        return f"'{site.shown}' is a folder, not a file ({needed}); replace it with the Makefile"
    except OSError as exc:
        return f"cannot read '{site.shown}': {exc.strerror or exc} ({needed}); make it readable"
    return None


@hookimpl
def sam_fastapi_register_checks() -> list[MakefileMissing]:
    return [MakefileMissing()]
