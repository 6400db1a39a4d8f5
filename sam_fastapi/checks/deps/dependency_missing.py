"""SF501 dependency-missing."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext, shown
from sam_fastapi.checks.deps.distributions import (
    Closure,
    Distribution,
    Installed,
    candidates,
    import_table,
    importable_names,
    marker_environment,
    named,
    read_dist_infos,
    resolve,
)
from sam_fastapi.checks.deps.imports import ExternalImport, external_imports
from sam_fastapi.checks.deps.requirements import Requirement, read_requirements
from sam_fastapi.checks.deps.runtime import LAMBDA_PROVIDED, is_stdlib, removed_in
from sam_fastapi.checks.functions import python_functions, uses_web_adapter
from sam_fastapi.checks.platform.artifacts import build_dir
from sam_fastapi.findings import Rule, Severity, Violation
from sam_fastapi.pysource import layer_python_folders, python_version
from sam_fastapi.template.model import Function, Layer, Project

REQUIREMENTS = "requirements.txt"


class DependencyMissing:
    rule = Rule(
        id="SF501",
        name="dependency-missing",
        severity=Severity.ERROR,
        summary="A function imports a third-party module that neither its requirements, its "
                "layers nor the Lambda runtime provide.",
        docs="""\
## What it does
Reads the modules a Python function's Handler imports when Lambda loads it (its own code in
`CodeUri`, following local imports; not imports inside functions, under `TYPE_CHECKING`, or
in a `try` that catches `ImportError`) and checks that each top-level module outside that
code is provided by one of:

* the function's `requirements.txt` or the `requirements.txt` of a layer resource it uses
  (comments, extras, markers for the runtime's Python and architecture, `-r` includes, URLs
  and `-e` lines understood), and every distribution those depend on, read from the
  `*.dist-info` of `sam build`'s output (`.aws-sam/build/`) or of packages installed where
  lint runs (`fastapi` brings `starlette` and `pydantic`);
* packages installed into the code folder, a layer's `python/` folder or the build output;
* the runtime: the standard library of that Python version (`distutils`, `imp`, `cgi`... are
  gone in 3.12 and 3.13) and the AWS SDK Lambda ships (`boto3`, `botocore` and their
  dependencies).

A function without a `requirements.txt` in `CodeUri` is judged only once `sam build` has
left its output (SF101 reports the missing file; a makefile recipe may install anything).
Import names are matched to distributions through the installed metadata and a maintained
table (`yaml` is PyYAML, `jwt` is PyJWT, `PIL` is Pillow...). The finding is at the import.
Its severity says how sure it is: an error when everything is known; a warning when the
function also uses a layer by ARN, which lint cannot see into (the message names it); info
when a listed distribution is neither installed here nor in a build output, so what it brings
is unknown (`sam build` and lint again to know).

## Why is this bad?
`sam build` installs only what the requirements list. The deployment succeeds and the
function fails on its first request with `No module named 'yaml'`, while the tests passed
locally, where the package happened to be installed.

## Example
```python
# cast_service/app/main.py      (cast_service/requirements.txt lists fastapi, mangum)
import yaml
```

## Use instead
```
# cast_service/requirements.txt
fastapi
mangum
PyYAML
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for function in python_functions(project, ctx):
            version = python_version(function.runtime)
            if (version is None or uses_web_adapter(function)
                    or not _declares_dependencies(project, function, ctx)):
                continue
            imports = external_imports(project, function, ctx)
            if not imports:
                continue
            supply = _supply(project, function, version, ctx)
            for found in imports:
                if not supply.provides(found.name):
                    yield _violation(project, function, version, found, supply)


def _declares_dependencies(project: Project, function: Function, ctx: CheckContext) -> bool:
    """A requirements.txt in CodeUri, or a build output, says what the function ships.

    Without either, SF101 reports the missing file, or a makefile recipe installs what lint
    cannot know until it has run: every import would be reported again for nothing.
    """
    code_dir = function.code_dir
    return (code_dir is not None and ctx.folders.is_file(code_dir / REQUIREMENTS)) or \
        build_dir(project, function.logical_id, ctx) is not None


@dataclass(frozen=True)
class _Supply:
    """What a function can import besides its own code."""

    version: tuple[int, int]
    closure: Closure
    modules: frozenset[str]  # importable from build output and installed folders
    opaque: tuple[Requirement, ...]  # requirement lines that name no distribution
    listed_in: tuple[Path, ...]  # the requirement files read
    arns: tuple[str, ...]  # layers given by ARN, whose content is unknown
    installed: Installed

    def provides(self, name: str) -> bool:
        if is_stdlib(name, self.version) or name in LAMBDA_PROVIDED or name in self.modules:
            return True
        # Cheapest first: what is installed here is walked only when nothing else tells.
        if named(name) & self.closure.names:
            return True
        known = self.closure.known.values()
        if any(d.top_levels is not None and name in d.top_levels for d in known):
            return True
        if any(d.top_levels is None and name in self.installed.top_levels(d.name)
               for d in known):
            return True
        return bool(candidates(name, self.installed) & self.closure.names)


@dataclass(frozen=True)
class _Sources:
    """Where a function's or a layer's requirement files and installed packages are."""

    requirement_files: tuple[Path, ...]
    sites: tuple[Path, ...]


def _supply(project: Project, function: Function, version: tuple[int, int],
            ctx: CheckContext) -> _Supply:
    """What ``function`` can import. The requirement files, the folders and the dependency
    trees of the layers functions share are read once per run (``ctx.memo``)."""
    environment, target = ctx.memo.get(
        ("marker-environment", version, function.architecture), lambda: _environment(
            version, function.architecture))
    own = _own_sources(project, function, ctx)
    layers = [_layer_sources(project, layer, version, ctx)
              for layer in project.function_layers(function)]
    requirement_files = [*own.requirement_files,
                         *(path for layer in layers for path in layer.requirement_files)]
    sites = [*own.sites, *(site for layer in layers for site in layer.sites)]
    listed = [path for path in requirement_files if ctx.folders.is_file(path)]
    requirements = [
        r for path in listed
        for r in ctx.memo.get(("requirements", str(path)),
                              lambda path=path: read_requirements(path, project.project_root,
                                                                  folders=ctx.folders))
        if r.applies(environment)
    ]
    local: dict[str, Distribution] = {}
    modules: set[str] = set()
    for site in sites:
        site_local, site_modules = ctx.memo.get(("site", str(site)),
                                                lambda site=site: _site(project, site, ctx))
        local.update(site_local)
        modules |= site_modules
    roots = tuple((r.name, r.extras) for r in requirements if r.name is not None)
    roots += tuple((name, frozenset()) for name in local)
    installed = ctx.memo.get("installed-distributions", Installed)
    closure = ctx.memo.get(("closure", roots, target, tuple(local.items())),
                           lambda: resolve(roots, environment, local, installed))
    return _Supply(
        version=version,
        closure=closure,
        modules=frozenset(modules),
        opaque=tuple(r for r in requirements if r.name is None),
        listed_in=tuple(listed),
        arns=tuple(str(ref.arn) for ref in function.layers if ref.logical_id is None),
        installed=installed,
    )


def _environment(version: tuple[int, int],
                 architecture: str) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """The marker environment of a runtime, and the same as a key."""
    environment = marker_environment(version, architecture)
    return environment, tuple(sorted(environment.items()))


def _own_sources(project: Project, function: Function, ctx: CheckContext) -> _Sources:
    """The function's requirements.txt, its code folder and its build output."""
    requirement_files: list[Path] = []
    sites: list[Path] = []
    if function.code_dir is not None:
        requirement_files.append(function.code_dir / REQUIREMENTS)
        sites.append(function.code_dir)
    built = build_dir(project, function.logical_id, ctx)
    if built is not None:
        sites.append(built)
    return _Sources(tuple(requirement_files), tuple(sites))


def _layer_sources(project: Project, layer: Layer, version: tuple[int, int],
                   ctx: CheckContext) -> _Sources:
    """A layer's requirements.txt and the folders its packages are installed in, the same
    for every function that uses it: made once per run."""
    def find() -> _Sources:
        requirement_files: list[Path] = []
        sites: list[Path] = []
        for folder in (layer.content_dir, build_dir(project, layer.logical_id, ctx)):
            if folder is None:
                continue
            if folder == layer.content_dir:
                requirement_files.append(folder / REQUIREMENTS)
                if layer.build_method and layer.build_method.startswith("python"):
                    sites.append(folder)  # sam build puts the whole folder under python/
            python, site_packages = layer_python_folders(folder, version)
            assert site_packages is not None
            sites += [python, site_packages]
        return _Sources(tuple(requirement_files), tuple(sites))

    return ctx.memo.get(("layer-sources", layer.logical_id, version), find)


def _site(project: Project, site: Path,
          ctx: CheckContext) -> tuple[Mapping[str, Distribution], frozenset[str]]:
    """The distributions installed into ``site`` and the names importable from it; nothing
    for a folder linked out of the project, which is never read."""
    if not ctx.folders.inside(site, project.project_root):
        return {}, frozenset()
    return read_dist_infos(site, ctx.folders), importable_names(site, ctx.folders)


def _violation(project: Project, function: Function, version: tuple[int, int],
               found: ExternalImport, supply: _Supply) -> Violation:
    name = found.name
    distribution = import_table().get(name, (name,))[0]
    target = (shown(project, function.code_dir / REQUIREMENTS) if function.code_dir
              else REQUIREMENTS)
    where = f"`{found.statement}` in {function.logical_id}"
    removed = removed_in(name, version)
    if removed is not None:
        fix = (f"add {distribution} (which provides it) to {target}" if name in import_table()
               else "use its replacement")
        return Violation(
            f"{where}: {name} was removed from the standard library in Python "
            f"{removed[0]}.{removed[1]}, and {function.logical_id} runs {function.runtime}; "
            f"{fix}",
            resource=function.logical_id, location=found.location,
        )
    listed = ", ".join(shown(project, path) for path in supply.listed_in) or "the build output"
    if supply.arns:
        return Violation(
            f"{where}: {name} is in none of {listed} nor in the runtime; it may come from the "
            f"layer {', '.join(supply.arns)}, which lint cannot see into: make sure that "
            f"layer provides {distribution}, or add it to {target}",
            resource=function.logical_id, location=found.location, severity=Severity.WARNING,
        )
    unknown = sorted(supply.closure.unknown) + [
        f"`{r.text}` ({shown(project, r.file)}:{r.line})" for r in supply.opaque
    ]
    if unknown:
        return Violation(
            f"{where}: cannot tell whether {name} is provided: {', '.join(unknown)} "
            f"{'is' if len(unknown) == 1 else 'are'} neither installed here nor in a "
            f"`sam build` output, so what {'it brings' if len(unknown) == 1 else 'they bring'} "
            f"is unknown; run `sam build` (or install the requirements here) and lint again, "
            f"or add {distribution} to {target}",
            resource=function.logical_id, location=found.location, severity=Severity.INFO,
        )
    return Violation(
        f"{where}: {name} is in none of {listed} nor what they depend on, and "
        f"{function.runtime} does not provide it; Lambda would fail with \"No module named "
        f"'{name}'\": add {distribution} to {target}",
        resource=function.logical_id, location=found.location,
    )


@hookimpl
def sam_fastapi_register_checks() -> list[DependencyMissing]:
    return [DependencyMissing()]
