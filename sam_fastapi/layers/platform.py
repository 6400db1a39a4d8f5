"""What a Lambda Python runtime and architecture mean to pip: interpreter, ABI, platform tags.

Facts (AWS Lambda "Lambda runtimes" page): python3.8 to python3.11 run on Amazon Linux 2
(glibc 2.26), python3.12 and later on Amazon Linux 2023 (glibc 2.34). ``x86_64`` functions
run on x86_64 machines, ``arm64`` ones on aarch64 (Graviton). A wheel tagged
``manylinux_2_X_<machine>`` runs where glibc >= 2.X, so every level up to the runtime's glibc
is acceptable; the legacy aliases (manylinux1 = 2.5, manylinux2010 = 2.12, manylinux2014 =
2.17) are listed too because pip compares tags as plain strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Lambda architecture name -> machine name in ELF headers and wheel tags.
MACHINES: dict[str, str] = {"x86_64": "x86_64", "arm64": "aarch64"}

#: The oldest glibc each machine has manylinux wheels for (PEP 600 / PEP 599).
_OLDEST_GLIBC = {"x86_64": 5, "aarch64": 17}

_LEGACY_ALIASES = {5: "manylinux1", 12: "manylinux2010", 17: "manylinux2014"}
_LEGACY_MACHINES = {"manylinux1": ("x86_64",), "manylinux2010": ("x86_64",),
                    "manylinux2014": ("x86_64", "aarch64")}

_RUNTIME = re.compile(r"^python(3)\.(\d+)$")


class PlatformError(ValueError):
    """A runtime or architecture Lambda does not offer for Python."""


@dataclass(frozen=True)
class LambdaPlatform:
    """One Lambda Python runtime on one architecture."""

    runtime: str  # "python3.12"
    architecture: str  # "x86_64" or "arm64"

    def __post_init__(self) -> None:
        if not _RUNTIME.match(self.runtime):
            raise PlatformError(
                f"{self.runtime!r} is not a Lambda Python runtime (python3.X)"
            )
        if self.architecture not in MACHINES:
            raise PlatformError(
                f"{self.architecture!r} is not a Lambda architecture (x86_64 or arm64)"
            )

    @property
    def python_version(self) -> str:
        """``3.12`` for ``python3.12``, as pip's ``--python-version`` takes it."""
        return self.runtime.removeprefix("python")

    @property
    def machine(self) -> str:
        return MACHINES[self.architecture]

    @property
    def glibc_minor(self) -> int:
        """The glibc 2.X of the runtime's operating system."""
        match = _RUNTIME.match(self.runtime)
        assert match is not None  # checked in __post_init__
        minor = int(match[2])
        if minor >= 12:
            return 34  # Amazon Linux 2023
        if minor >= 8:
            return 26  # Amazon Linux 2
        return 17  # Amazon Linux 1 (python3.7 and older, long deprecated)

    @property
    def platform_tags(self) -> tuple[str, ...]:
        """Every manylinux tag that runs here, newest glibc first (pip's preference order)."""
        tags = []
        for minor in range(self.glibc_minor, _OLDEST_GLIBC[self.machine] - 1, -1):
            tags.append(f"manylinux_2_{minor}_{self.machine}")
            alias = _LEGACY_ALIASES.get(minor)
            if alias and self.machine in _LEGACY_MACHINES[alias]:
                tags.append(f"{alias}_{self.machine}")
        return tuple(tags)

    def __str__(self) -> str:
        return f"{self.runtime} {self.architecture}"
