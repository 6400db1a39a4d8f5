"""What ``sam-fastapi layer build`` builds: dependency folders of a template's layers and functions.

A plan is worked out from the template (which runtime and architecture each layer or function
is for, where its requirements.txt is, where the result goes) and kept in the cache while the
template is unchanged: reading a template imports cfn-lint's decoder, which takes longer than
restoring a cached layer, and a Makefile runs the same command line on every ``sam build``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sam_fastapi import __version__, paths
from sam_fastapi.cache import Cache, digest
from sam_fastapi.errors import UsageError
from sam_fastapi.layers.platform import LambdaPlatform, PlatformError

if TYPE_CHECKING:
    from sam_fastapi.template import Function, Layer, Project

TEMPLATE_NAMES = ("template.yaml", "template.yml")
REQUIREMENTS = "requirements.txt"
DEFAULT_OUT = Path(".aws-sam") / "sam-fastapi"


@dataclass(frozen=True)
class Target:
    """One dependency folder to build: a layer's (per runtime) or a function's."""

    logical_id: str
    requirements: Path
    platform: LambdaPlatform
    dest: Path
    #: Emptied before building, so nothing stale stays: OUT/python for a layer. None for a
    #: function, whose OUT may already hold the code the Makefile copied there.
    fresh: Path | None



def plan(project: Project, logical_ids: Sequence[str], *, out: Path | None,
         runtime: str | None = None, architecture: str | None = None) -> Iterator[Target]:
    """What to build for ``logical_ids`` (all layers and functions with requirements if none).

    Raises ``UsageError`` for an unknown id, a missing requirements.txt or an unusable runtime.
    """
    for logical_id in logical_ids:
        if logical_id not in project.layers and logical_id not in project.functions:
            known = ", ".join(sorted([*project.layers, *project.functions])) or "none"
            raise UsageError(f"{logical_id} is not a layer or function of "
                             f"{project.template_path} (it has: {known})")
    explicit = bool(logical_ids)
    ids = list(logical_ids) or [
        logical_id for logical_id, folder in _folders(project)
        if folder is not None and (folder / REQUIREMENTS).is_file()
    ]
    for logical_id in ids:
        if out is not None and explicit and len(ids) == 1:
            base = out
        else:
            base = (out if out is not None else project.root / DEFAULT_OUT) / logical_id
        if logical_id in project.layers:
            yield from _layer_targets(project, project.layers[logical_id], base, runtime,
                                      architecture)
        else:
            function = project.functions[logical_id]
            requirements = _requirements(project, logical_id, function.code_dir, "CodeUri")
            if runtime is None and not function.is_python:
                raise UsageError(f"{logical_id} has runtime {function.runtime!r}, not a Python "
                                 "one; pass --runtime")
            platform = _platform(logical_id, runtime or function.runtime,
                                 architecture or function.architecture)
            yield Target(logical_id, requirements, platform, base, None)


def _layer_targets(project: Project, layer: Layer, base: Path, runtime: str | None,
                   architecture: str | None) -> Iterator[Target]:
    requirements = _requirements(project, layer.logical_id, layer.content_dir, "ContentUri")
    users = [f for f in project.functions.values()
             if any(used.logical_id == layer.logical_id for used in project.function_layers(f))]
    runtimes = [runtime] if runtime else _layer_runtimes(layer, users)
    arch = architecture or _layer_architecture(layer, users)
    if len(runtimes) == 1:
        yield Target(layer.logical_id, requirements,
                     _platform(layer.logical_id, runtimes[0], arch), base / "python",
                     base / "python")
        return
    # Lambda puts /opt/python/lib/pythonX.Y/site-packages on sys.path, so one layer can hold
    # a build per Python version.
    for name in runtimes:
        platform = _platform(layer.logical_id, name, arch)
        yield Target(layer.logical_id, requirements, platform,
                     base / "python" / "lib" / name / "site-packages", base / "python")


def _layer_runtimes(layer: Layer, users: Sequence[Function]) -> list[str]:
    declared = [r for r in layer.compatible_runtimes if r.startswith("python")]
    if declared:
        return sorted(set(declared), key=_version_order)
    if layer.compatible_runtimes:
        raise UsageError(f"{layer.logical_id}'s CompatibleRuntimes has no Python runtime "
                         f"({', '.join(layer.compatible_runtimes)}); pass --runtime")
    used = {f.runtime for f in users if f.is_python}
    if not used:
        raise UsageError(f"{layer.logical_id} has no CompatibleRuntimes and no Python function "
                         "of the template uses it; add CompatibleRuntimes or pass --runtime")
    return sorted(used, key=_version_order)


def _layer_architecture(layer: Layer, users: Sequence[Function]) -> str:
    if layer.build_architecture:
        return layer.build_architecture
    if len(set(layer.compatible_architectures)) == 1:
        return layer.compatible_architectures[0]
    used = {f.architecture for f in users}
    if len(used) == 1:
        return used.pop()
    return "x86_64"  # sam build's default BuildArchitecture


def _version_order(runtime: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0
                 for part in runtime.removeprefix("python").split("."))


def _platform(logical_id: str, runtime: object, architecture: str) -> LambdaPlatform:
    try:
        return LambdaPlatform(str(runtime), architecture)
    except PlatformError as exc:
        raise UsageError(f"{logical_id}: {exc}") from None


def _requirements(project: Project, logical_id: str, folder: Path | None,
                  setting: str) -> Path:
    if folder is None:
        raise UsageError(f"{logical_id}'s {setting} is not a local folder, so there is no "
                         f"{REQUIREMENTS} to build")
    requirements = folder / REQUIREMENTS
    if not requirements.is_file():
        raise UsageError(f"{logical_id} has no {REQUIREMENTS} in {folder}; add one listing "
                         "its dependencies")
    if not paths.inside(requirements, project.project_root):
        raise UsageError(f"{logical_id}'s {requirements} leads out of the project folder "
                         f"{project.project_root} (SF103); it was not read")
    return requirements


def _folders(project: Project) -> Iterator[tuple[str, Path | None]]:
    for logical_id, layer in project.layers.items():
        yield logical_id, layer.content_dir
    for logical_id, function in project.functions.items():
        if function.package_type != "Image":
            yield logical_id, function.code_dir


def targets(logical_ids: Sequence[str], *, template: Path | None, out: Path | None,
            runtime: str | None, architecture: str | None, cache_dir: Path | None,
            use_cache: bool = True) -> list[Target]:
    """The plan for ``logical_ids`` of ``template`` (else the template above the working
    folder, then above ``out``), reused from the cache while the template is unchanged.

    The cached plan names its folders relative to the output folder, so a build into a new
    ``--out`` (``sam build`` gives each build a fresh ``ARTIFACTS_DIR``) reuses it too.
    """
    ids = list(logical_ids)
    out = out.resolve() if out is not None else None
    options = {"out": out, "runtime": runtime, "architecture": architecture}
    shape = repr(sorted({**options, "out": out is not None}.items()))
    plans = Cache("layer-plans", cache_dir) if ids and use_cache else None
    starts = [Path.cwd()] if out is None else [Path.cwd(), out]
    first = None
    for candidate in _template_candidates(template, starts):
        samconfig = candidate.parent / "samconfig.toml"
        key = digest(__version__, str(candidate.resolve()), candidate.read_bytes(),
                     samconfig.read_bytes() if samconfig.is_file() else b"", *ids, shape)
        if plans is not None:
            cached = _cached_plan(plans.get(key), candidate, out, ids)
            if cached is not None:
                return cached
        project = _load(candidate)
        if all(i in project.layers or i in project.functions for i in ids):
            targets = list(plan(project, ids, **options))
            if plans is not None:
                plans.put(key, _plan_to_json(targets, out or project.root / DEFAULT_OUT))
            return targets
        first = first or project
    if first is not None:
        return list(plan(first, ids, **options))  # names the ids it lacks and the ones it has
    raise UsageError(f"no template.yaml in {' or '.join(map(str, starts))} or above; "
                     "pass --template")


def _plan_to_json(targets: Sequence[Target], base: Path) -> dict[str, object]:
    """Targets as JSON, their folders relative to ``base`` (the output folder)."""
    return {"base": str(base), "targets": [
        {"logical_id": t.logical_id, "requirements": str(t.requirements),
         "runtime": t.platform.runtime, "architecture": t.platform.architecture,
         "dest": t.dest.relative_to(base).as_posix(),
         "fresh": None if t.fresh is None else t.fresh.relative_to(base).as_posix()}
        for t in targets]}


def _cached_plan(value: object, template: Path, out: Path | None,
                 ids: Sequence[str]) -> list[Target] | None:
    """The targets of a cached plan, or None when it is malformed or no longer applies.

    A cache folder may come from elsewhere: every folder of the plan must stay inside the
    output folder (a ``fresh`` folder is emptied), every requirements.txt inside the
    template's project and every target one of ``ids``, as a plan worked out from the
    template would.
    """
    from sam_fastapi.template.model import find_project_root

    try:
        if not isinstance(value, dict) or not isinstance(value.get("targets"), list):
            return None
        base = out if out is not None else Path(_text(value.get("base")))
        if not base.is_absolute():
            return None
        boundary = find_project_root(template.parent).resolve()
        planned = []
        for item in value["targets"]:
            if not isinstance(item, dict) or item.get("logical_id") not in ids:
                return None
            requirements = Path(_text(item.get("requirements")))
            if not (requirements.is_absolute() and requirements.is_file()
                    and requirements.resolve().is_relative_to(boundary)):
                return None
            fresh = item.get("fresh")
            planned.append(Target(
                _text(item.get("logical_id")), requirements,
                LambdaPlatform(_text(item.get("runtime")), _text(item.get("architecture"))),
                base / _inside(_text(item.get("dest"))),
                None if fresh is None else base / _inside(_text(fresh))))
    except (ValueError, OSError, RuntimeError):
        return None
    return planned or None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"not a string: {value!r:.60}")
    return value


def _inside(relative: str) -> Path:
    """A relative folder that cannot lead out of the one it is joined to."""
    path = Path(relative)
    if path.is_absolute() or ".." in path.parts:
        raise ValueError(f"{relative!r} leads out of the output folder")
    return path


def _template_candidates(explicit: Path | None, starts: Sequence[Path]) -> Iterator[Path]:
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"template {explicit} does not exist")
        yield explicit
        return
    for start in starts:
        for folder in _ancestors(start):
            for name in TEMPLATE_NAMES:
                if (folder / name).is_file():
                    yield folder / name


def _ancestors(start: Path) -> Iterator[Path]:
    """``start`` and its parents, from the first one outside ``.aws-sam`` (build output)."""
    parts = start.parts
    if ".aws-sam" in parts:
        start = Path(*parts[:parts.index(".aws-sam")])
    yield start
    yield from start.parents


def _load(path: Path) -> Project:
    from sam_fastapi.template import TemplateError, build_project, load_template

    try:
        return build_project(load_template(path), path)
    except TemplateError as exc:
        raise UsageError(str(exc)) from None


