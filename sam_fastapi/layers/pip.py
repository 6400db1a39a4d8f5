"""Install requirements for a Lambda platform with pip, in a subprocess of this interpreter.

pip runs as ``sys.executable -m pip`` with the caller's environment, so its own configuration
(``PIP_*`` variables, pip.conf: index URL, find-links, no-index, trusted hosts) applies as it
would on the command line. Only wheels for the target platform are accepted; a requirement
that has none is built from its source distribution on this machine, and kept only when the
result is a pure-Python wheel, which runs anywhere.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sam_fastapi.layers.errors import BuildError
from sam_fastapi.layers.platform import LambdaPlatform

#: Receives every line pip prints, as it prints it.
Progress = Callable[[str], None]

_NO_MATCH = re.compile(r"No matching distribution found for (\S+)")
_VERSIONS = re.compile(r"satisfies the requirement \S+ \(from versions: ([^)]*)\)")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
_INSTALLED = re.compile(r"^Successfully installed (.+)$")
_COMMON = ("--disable-pip-version-check", "--no-input", "--progress-bar", "off")


@dataclass(frozen=True)
class _Run:
    returncode: int
    lines: tuple[str, ...]

    @property
    def error(self) -> str:
        """pip's last ``ERROR:`` line, the one that says what went wrong."""
        errors = [line.removeprefix("ERROR: ") for line in self.lines if line.startswith("ERROR:")]
        if errors:
            return errors[-1]
        return self.lines[-1] if self.lines else f"pip exited with code {self.returncode}"


def install(requirements: Path, platform: LambdaPlatform, target: Path, *,
            progress: Progress | None = None) -> tuple[str, ...]:
    """Install ``requirements`` into the empty folder ``target``; return ``name-version``s.

    Raises ``BuildError`` when pip fails, naming the package when one is to blame.
    """
    with tempfile.TemporaryDirectory(prefix="sam-fastapi-sdists-") as built:
        wheel_dir = Path(built)
        tried: set[str] = set()
        while True:
            run = _pip([
                "install", "--target", str(target), "--no-compile",
                "--implementation", "cp", "--python-version", platform.python_version,
                "--only-binary=:all:",
                *(f"--platform={tag}" for tag in platform.platform_tags),
                *([f"--find-links={wheel_dir}"] if tried else []),
                "-r", str(requirements),
            ], cwd=requirements.parent, progress=progress)
            if run.returncode == 0:
                return _installed(run)
            missing = _NO_MATCH.search("\n".join(run.lines))
            if missing is None:
                raise BuildError(f"pip failed: {run.error}")
            requirement = missing[1]
            name = _name(requirement)
            if name in tried:
                raise BuildError(f"pip failed: {run.error}")
            tried.add(name)
            versions = _VERSIONS.search("\n".join(run.lines))
            with_wheels = versions[1] if versions and versions[1] != "none" else ""
            _build_pure_wheel(requirement, name, platform, wheel_dir, with_wheels, progress)


def _build_pure_wheel(requirement: str, name: str, platform: LambdaPlatform, wheel_dir: Path,
                      with_wheels: str, progress: Progress | None) -> None:
    """Build ``requirement`` from source into ``wheel_dir``; only a pure-Python result is kept.

    ``with_wheels`` lists the versions pip did find wheels for, to show in the error.
    """
    wanted = (f"wheel for {platform} (CPython {platform.python_version}, "
              f"manylinux {platform.machine}, glibc 2.{platform.glibc_minor} or older)")
    if with_wheels:
        wanted += f" (versions that have one: {with_wheels})"
    fix = (f"pin a version of {name} that publishes manylinux {platform.machine} wheels for "
           f"CPython {platform.python_version}, or build this layer in a container "
           "(sam build --use-container)")
    with tempfile.TemporaryDirectory(prefix="sam-fastapi-wheel-") as scratch:
        run = _pip(["wheel", "--no-deps", "--no-binary", name, "--wheel-dir", scratch,
                    requirement], cwd=Path(scratch), progress=progress)
        if run.returncode != 0:
            if _NO_MATCH.search("\n".join(run.lines)):
                raise BuildError(f"{requirement} has no {wanted} and no source distribution "
                                 f"to build; fix: {fix}")
            raise BuildError(f"{requirement} has no {wanted}, and building it from source "
                             f"failed: {run.error}; fix: {fix}")
        for wheel in Path(scratch).glob("*.whl"):
            if not is_pure(wheel.name):
                raise BuildError(f"{requirement} has no {wanted}, and its source distribution "
                                 f"builds native code for this machine ({wheel.name}); fix: {fix}")
            wheel.replace(wheel_dir / wheel.name)


def is_pure(wheel_filename: str) -> bool:
    """Whether a wheel's tags say it runs on any platform (``...-none-any.whl``)."""
    parts = wheel_filename.removesuffix(".whl").split("-")
    return len(parts) >= 5 and parts[-2] == "none" and parts[-1] == "any"


def _pip(args: Sequence[str], *, cwd: Path, progress: Progress | None) -> _Run:
    lines = []
    with subprocess.Popen(
        [sys.executable, "-m", "pip", *args[:1], *_COMMON, *args[1:]],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True, encoding="utf-8", errors="replace",
    ) as process:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip()
            lines.append(line)
            if progress is not None and line:
                progress(line)
    return _Run(process.returncode, tuple(lines))


def _installed(run: _Run) -> tuple[str, ...]:
    for line in run.lines:
        match = _INSTALLED.match(line)
        if match:
            return tuple(match[1].split())
    return ()


def _name(requirement: str) -> str:
    match = _NAME.match(requirement)
    return match[0] if match else requirement
