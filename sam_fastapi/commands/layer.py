"""``sam-fastapi layer build``: Lambda-platform dependency folders without Docker, cached.

Meant to be what ``sam build`` runs for a layer built with ``BuildMethod: makefile``, in the
layer folder's Makefile (the recipe line starts with a tab)::

    build-SharedLayer:
        sam-fastapi layer build SharedLayer --out "$(ARTIFACTS_DIR)"

``sam build`` runs that recipe in a scratch copy of the layer folder, away from the template,
so the template is looked for above the working directory and then above ``--out`` (which is
``<project>/.aws-sam/build/<LogicalId>`` there), skipping ``.aws-sam`` itself.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sam_fastapi import __version__, hookimpl
from sam_fastapi.cache import Cache, cache_dir, digest
from sam_fastapi.errors import UsageError
from sam_fastapi.layers import BuildError, LambdaPlatform, PlatformError, TreeStore, build
from sam_fastapi.layers.store import DEFAULT_MAX_BYTES, parse_size
from sam_fastapi.template import (
    Function,
    Layer,
    Project,
    TemplateError,
    build_project,
    load_template,
)

TEMPLATE_NAMES = ("template.yaml", "template.yml")
REQUIREMENTS = "requirements.txt"
DEFAULT_OUT = Path(".aws-sam") / "sam-fastapi"


@hookimpl
def sam_fastapi_register_commands(subparsers: argparse._SubParsersAction) -> None:
    layer = subparsers.add_parser("layer", help="build Lambda layers for the Lambda platform")
    actions = layer.add_subparsers(title="actions", metavar="ACTION")
    parser = actions.add_parser(
        "build",
        help="install a layer's (or function's) requirements.txt for its Lambda runtime",
        description=(
            "Install wheels for the Lambda runtime and architecture of each layer (into "
            "OUT/python) or function (into OUT) with pip's platform options, without Docker. "
            "An unchanged build is restored from the cache. Without LOGICAL_ID, every layer "
            "and function with a requirements.txt is built, each into OUT/<LogicalId>."
        ),
    )
    parser.add_argument("logical_ids", nargs="*", metavar="LOGICAL_ID",
                        help="layers or functions of the template")
    parser.add_argument("-t", "--template", type=Path,
                        help="the SAM template (default: template.yaml above the working "
                             "directory, else above --out)")
    parser.add_argument("--out", type=Path,
                        help="the artifacts folder: $(ARTIFACTS_DIR) in a Makefile "
                             f"(default: {DEFAULT_OUT}/<LogicalId> beside the template)")
    parser.add_argument("--runtime", help="build for this runtime (python3.12) instead of "
                                          "the template's")
    parser.add_argument("--architecture", choices=("x86_64", "arm64"),
                        help="build for this architecture instead of the template's")
    parser.add_argument("--cache-dir", type=Path,
                        help="cache folder (default: $SAM_FASTAPI_CACHE_DIR, else the user "
                             "cache folder); builds are kept in its layers/ folder")
    parser.add_argument("--cache-size", default=None, metavar="SIZE",
                        help="evict least recently used builds above this total (default: 2G)")
    parser.add_argument("--no-cache", action="store_true",
                        help="run pip even when an identical build is cached, and keep nothing")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pip's output")
    parser.set_defaults(handler=run)
    layer.set_defaults(handler=lambda args: _usage(layer))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


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


def run(args: argparse.Namespace) -> int:
    store = None
    if not args.no_cache:
        try:
            max_bytes = parse_size(args.cache_size) if args.cache_size else DEFAULT_MAX_BYTES
        except ValueError as exc:
            raise UsageError(f"--cache-size: {exc}") from None
        store = TreeStore((args.cache_dir or cache_dir()) / "layers", max_bytes)
    targets = _targets(args)
    for folder in dict.fromkeys(t.fresh for t in targets if t.fresh is not None):
        shutil.rmtree(folder, ignore_errors=True)
    for target in targets:
        try:
            result = build(target.requirements, target.platform, target.dest, store=store,
                           progress=_progress(target.logical_id, args.verbose))
        except (BuildError, OSError) as exc:
            raise UsageError(f"{target.logical_id}: {exc}") from None
        count = len(result.packages)
        how = ("restored from cache" if result.from_cache
               else f"{count} package{'' if count == 1 else 's'} installed")
        sys.stdout.write(f"{target.logical_id}: {target.platform} -> {target.dest} "
                         f"({how}, {result.seconds:.2f}s)\n")
    return 0


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
    try:
        outside = not requirements.resolve().is_relative_to(project.project_root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        outside = True
    if outside:
        raise UsageError(f"{logical_id}'s {requirements} leads out of the project folder "
                         f"{project.project_root} (SF103); it was not read")
    return requirements


def _folders(project: Project) -> Iterator[tuple[str, Path | None]]:
    for logical_id, layer in project.layers.items():
        yield logical_id, layer.content_dir
    for logical_id, function in project.functions.items():
        if function.package_type != "Image":
            yield logical_id, function.code_dir


def _targets(args: argparse.Namespace) -> list[Target]:
    """The plan for this command line, reused from the cache while the template is unchanged.

    Reading a template imports cfn-lint's decoder, which takes longer than restoring a cached
    layer, and a Makefile runs the same command line on every ``sam build``.
    """
    ids = list(args.logical_ids)
    out = args.out.resolve() if args.out is not None else None
    options = {"out": out, "runtime": args.runtime, "architecture": args.architecture}
    plans = Cache("layer-plans", args.cache_dir) if ids and not args.no_cache else None
    starts = [Path.cwd()] if out is None else [Path.cwd(), out]
    first = None
    for candidate in _template_candidates(args.template, starts):
        samconfig = candidate.parent / "samconfig.toml"
        key = digest(__version__, str(candidate.resolve()), candidate.read_bytes(),
                     samconfig.read_bytes() if samconfig.is_file() else b"", *ids,
                     repr(sorted(options.items())))
        cached = plans.get(key) if plans is not None else None
        if cached is not None and all(t.requirements.is_file() for t in cached):
            return cached
        project = _load(candidate)
        if all(i in project.layers or i in project.functions for i in ids):
            targets = list(plan(project, ids, **options))
            if plans is not None:
                plans.put(key, targets)
            return targets
        first = first or project
    if first is not None:
        return list(plan(first, ids, **options))  # names the ids it lacks and the ones it has
    raise UsageError(f"no template.yaml in {' or '.join(map(str, starts))} or above; "
                     "pass --template")


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
    try:
        return build_project(load_template(path), path)
    except TemplateError as exc:
        raise UsageError(str(exc)) from None


def _progress(logical_id: str, verbose: bool) -> Callable[[str], None] | None:
    if verbose:
        return lambda line: print(f"  {logical_id}: {line}", file=sys.stderr, flush=True)
    if sys.stderr.isatty() and not os.environ.get("CI"):
        def per_package(line: str) -> None:
            if line.startswith(("Collecting ", "Processing ", "Building wheel for ")):
                print(f"  {logical_id}: {line.split(' (from ')[0]}", file=sys.stderr, flush=True)
        return per_package
    return None
