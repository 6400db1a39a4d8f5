"""SF502 native-binary-wrong-platform."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.platform.artifacts import (
    build_dir,
    files_of,
    lambda_platform,
)
from sam_fastapi.checks.platform.binaries import (
    is_native_name,
    native_problem,
    read_wheel_tags,
    record_top_levels,
    wheel_problem,
)
from sam_fastapi.findings import Location, Rule, Severity, Violation
from sam_fastapi.layers.platform import LambdaPlatform
from sam_fastapi.template.model import Project

#: Where a layer's packages sit, relative to the layer: stripped to find the package a file is in.
_LAYER_PREFIX = re.compile(r"^python/(?:lib/python3\.\d+/site-packages/)?")


class NativeBinaryWrongPlatform:
    rule = Rule(
        id="SF502",
        name="native-binary-wrong-platform",
        severity=Severity.ERROR,
        summary="A native library or wheel in a function's or layer's files cannot load on the "
                "function's Lambda runtime and architecture.",
        docs="""\
## What it does
Looks through the files of every Python zip function and of the layer resources it uses, in
the source folders and in `sam build`'s output (`.aws-sam/build/<LogicalId>/`), for:

* native files (`.so`, `.so.N`, `.pyd`, `.dylib`) that are Mach-O (macOS) or PE (Windows)
  binaries, or ELF binaries for another machine than `Architectures` (`x86_64`, or `aarch64`
  for `arm64`), read from their headers, never loaded;
* extension modules whose name says another CPython version, musl libc or another platform
  (`_speedups.cpython-311-x86_64-linux-gnu.so` on `python3.12`);
* installed wheels whose `*.dist-info/WHEEL` tags are all for macOS, Windows, musl, another
  machine, a newer glibc than the runtime's, or another CPython version.

One finding per package folder (with how many more files it has), and none for the files of a
distribution whose `WHEEL` is already reported. Up to 100,000 files are looked at per folder;
symlinks out of the project are skipped.

## Why is this bad?
`pip install -r requirements.txt -t ...` on a Mac, on Windows or with another Python picks
wheels for that machine. `sam build` without `--use-container` copies them as they are, the
deployment succeeds, and the first import fails on Lambda with `invalid ELF header` or
`No module named 'pydantic_core._pydantic_core'`.

## Example
```
layers/shared/python/pydantic_core/_pydantic_core.cpython-312-darwin.so
layers/shared/python/pydantic_core-2.18.2.dist-info/WHEEL
    Tag: cp312-cp312-macosx_11_0_arm64
```

## Use instead
Install the dependencies for Lambda's platform: `sam build --use-container`, or
`pip install --platform manylinux2014_x86_64 --only-binary=:all: --python-version 3.12
--target <folder> -r requirements.txt`, or `sam-fastapi layer build <LayerId>`, which does
that (with a cache) for the layer's runtime and architecture.
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        # A file is reported once, even when several functions or folders reach it; a folder
        # (a layer functions share) is scanned once for each platform that uses it.
        reported: set[Path] = set()
        scans: dict[tuple[Path, LambdaPlatform], list[_Problem]] = {}
        for function in project.functions.values():
            platform = lambda_platform(function)
            if platform is None or not function.is_python:
                continue
            owners: list[tuple[str, Path | None]] = [
                (function.logical_id, function.code_dir),
                (function.logical_id, build_dir(project, function.logical_id, ctx)),
            ]
            for layer in project.function_layers(function):
                owners.append((layer.logical_id, layer.content_dir))
                owners.append((layer.logical_id, build_dir(project, layer.logical_id, ctx)))
            for owner, folder in owners:
                if folder is None or not ctx.folders.is_dir(folder):
                    continue
                if (folder, platform) not in scans:
                    scans[folder, platform] = _scan(project, folder, platform, ctx)
                for problem in scans[folder, platform]:
                    if problem.path in reported:
                        continue
                    reported.add(problem.path)
                    yield _violation(project, owner, function.logical_id, platform, problem)


@dataclass(frozen=True)
class _Problem:
    path: Path
    line: int
    what: str  # "is a macOS Mach-O binary", "is a wheel built for ..."
    group: str  # the package folder the file is in, relative to the scanned folder
    more: int = 0


def _scan(project: Project, folder: Path, platform: LambdaPlatform,
          ctx: CheckContext) -> list[_Problem]:
    wheels: list[_Problem] = []
    covered: set[str] = set()
    natives: dict[str, list[tuple[Path, str]]] = {}
    for path, _ in files_of(project, folder, ctx):
        name = path.name
        if name == "WHEEL" and path.parent.name.endswith(".dist-info"):
            tags = read_wheel_tags(path)
            reason = wheel_problem(tags, platform) if tags is not None else None
            if reason is not None and tags is not None:
                wheels.append(_Problem(path, tags.line, f"says its wheel was {reason}",
                                       _group(folder, path)))
                covered |= record_top_levels(path.parent)
        elif is_native_name(name):
            reason = native_problem(path, platform)
            if reason is not None:
                natives.setdefault(_group(folder, path), []).append((path, f"is {reason}"))
    problems = list(wheels)
    for group, files in natives.items():
        if group in covered:
            continue
        path, what = files[0]
        problems.append(_Problem(path, 1, what, group, more=len(files) - 1))
    return problems


def _group(folder: Path, path: Path) -> str:
    """The top-level package (or file) of ``path`` under ``folder``'s import root."""
    relative = path.relative_to(folder).as_posix()
    return _LAYER_PREFIX.sub("", relative).split("/", 1)[0]


def _violation(project: Project, owner: str, function: str, platform: LambdaPlatform,
               problem: _Problem) -> Violation:
    more = f" (and {problem.more} more native files in {problem.group}/)" if problem.more else ""
    # `sam-fastapi layer build` builds a function's requirements.txt too, into OUT itself.
    rebuild = (
        "sam build --use-container, or pip install --platform "
        f"manylinux2014_{platform.machine} --only-binary=:all: --python-version "
        f"{platform.python_version} --target <folder> -r requirements.txt, or "
        f"sam-fastapi layer build {owner}"
    )
    return Violation(
        f"{_shown(project, problem.path)} {problem.what}{more}: it cannot load on "
        f"{function}'s Lambda platform ({platform}); reinstall it for Lambda: {rebuild}",
        resource=owner,
        location=Location(str(problem.path), problem.line),
    )


def _shown(project: Project, path: Path) -> str:
    try:
        return path.relative_to(project.root).as_posix()
    except ValueError:
        return str(path)


@hookimpl
def sam_fastapi_register_checks() -> list[NativeBinaryWrongPlatform]:
    return [NativeBinaryWrongPlatform()]
