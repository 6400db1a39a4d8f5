"""What a native file or a wheel was built for, from its header, its name and its WHEEL tags.

Nothing is ever loaded: a file's first bytes say its format and machine (ELF ``e_ident`` and
``e_machine``, the Mach-O and fat magics with ``cputype``, the PE ``MZ`` stub), an extension
module's name says its CPython version and platform (PEP 3149: ``.cpython-311-x86_64-linux-gnu.so``,
``.abi3.so``; ``.cp311-win_amd64.pyd``), and a wheel's ``*.dist-info/WHEEL`` lists the tags
it was built for (PEP 425, PEP 600, PEP 656).
"""

from __future__ import annotations

import csv
import functools
import io
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag, compatible_tags, cpython_tags, parse_tag

from sam_fastapi.layers.platform import LambdaPlatform

#: How many bytes of a file are read: enough for every header below.
HEADER_BYTES = 64
#: How much of a WHEEL or RECORD file is read (botocore's RECORD, a large one, is 240 KB).
MAX_TEXT_BYTES = 4 * 1024 * 1024

#: ELF e_machine values (System V ABI, "Machine Information").
ELF_MACHINES = {3: "i386", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", 40: "arm",
                62: "x86_64", 183: "aarch64", 243: "riscv"}
#: Mach-O cputype values (<mach/machine.h>), 64-bit ones with CPU_ARCH_ABI64 (0x01000000).
MACHO_CPUS = {7: "i386", 0x01000007: "x86_64", 12: "arm", 0x0100000C: "arm64",
              18: "ppc", 0x01000012: "ppc64"}
_MACHO_THIN = {b"\xfe\xed\xfa\xce": ">", b"\xfe\xed\xfa\xcf": ">",
               b"\xce\xfa\xed\xfe": "<", b"\xcf\xfa\xed\xfe": "<"}
_MACHO_FAT = {b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf", b"\xbe\xba\xfe\xca", b"\xbf\xba\xfe\xca"}

#: Names of native files: extension modules and shared libraries (``libz.so.1.2.13`` too).
NATIVE_NAME = re.compile(r"\.(?:so|pyd|dylib)$|\.so(?:\.\d+)+$")
_CPYTHON_TAG = re.compile(r"\.cpython-3(\d+)([a-z]*)-([\w-]+)\.so$")
_WINDOWS_TAG = re.compile(r"\.cp3(\d+)-(win[\w]*)\.pyd$")
_PYPY_TAG = re.compile(r"\.pypy\d*-[\w-]+\.so$")

_LEGACY_MANYLINUX = {"manylinux1": 5, "manylinux2010": 12, "manylinux2014": 17}


def is_native_name(name: str) -> bool:
    return bool(NATIVE_NAME.search(name))


def native_problem(path: Path, platform: LambdaPlatform) -> str | None:
    """Why the native file at ``path`` cannot load on ``platform``; None when it can or when
    it is not a binary at all (a linker script named ``.so``, an empty file)."""
    try:
        with open(path, "rb") as stream:
            header = stream.read(HEADER_BYTES)
    except OSError:
        return None
    if header[:4] in _MACHO_THIN or header[:4] in _MACHO_FAT:
        return f"a macOS Mach-O binary ({_macho_cpu(header)})"
    if header[:2] == b"MZ":
        return "a Windows PE (DLL) binary"
    if header[:4] != b"\x7fELF" or len(header) < 20:
        return None
    bits = {1: 32, 2: 64}.get(header[4])
    order = {1: "<", 2: ">"}.get(header[5])
    if bits is None or order is None:
        return "an ELF binary with a corrupt header"
    number = struct.unpack(f"{order}H", header[18:20])[0]
    machine = ELF_MACHINES.get(number, f"e_machine {number}")
    if machine != platform.machine or bits != 64:
        return f"a {bits}-bit ELF binary for {machine}, not {platform.machine}"
    return _name_problem(path.name, platform)


def _macho_cpu(header: bytes) -> str:
    if header[:4] in _MACHO_FAT:
        return "universal"
    order = _MACHO_THIN[header[:4]]
    if len(header) < 8:
        return "unknown CPU"
    cpu = struct.unpack(f"{order}i", header[4:8])[0]
    return MACHO_CPUS.get(cpu, f"cputype {cpu:#x}")


def _name_problem(name: str, platform: LambdaPlatform) -> str | None:
    """What the extension module's file name says it was built for, when that is wrong."""
    minor = int(platform.python_version.split(".")[1])
    cpython = _CPYTHON_TAG.search(name)
    if cpython:
        built, flags, triplet = int(cpython[1]), cpython[2], cpython[3]
        if built != minor:
            return (f"an extension module for CPython 3.{built} (its name says so), "
                    f"not {platform.python_version}")
        if "t" in flags:
            return (f"an extension module for free-threaded CPython 3.{built}t (its name says "
                    f"so), while Lambda's {platform.runtime} is the standard build")
        if "d" in flags:
            return f"an extension module for a debug build of CPython 3.{built}{flags}"
        if triplet.endswith("-musl"):
            return "an extension module for musl libc (Alpine), while Lambda has glibc"
        if not triplet.startswith(f"{platform.machine}-linux"):
            return f"an extension module for {triplet}, not {platform.machine}-linux-gnu"
    if _PYPY_TAG.search(name):
        return "an extension module for PyPy, not CPython"
    return None


# -- wheels -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WheelTags:
    """The ``Tag:`` lines of a ``WHEEL`` file, with the line of the first one."""

    tags: tuple[str, ...]
    line: int


def read_wheel_tags(path: Path) -> WheelTags | None:
    try:
        with open(path, "rb") as stream:
            text = stream.read(MAX_TEXT_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    tags: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines()[:200], 1):
        key, _, value = line.partition(":")
        if key.strip().lower() == "tag" and value.strip():
            tags.append(value.strip())
            first = first or number
    return WheelTags(tuple(tags), first) if tags else None


def wheel_problem(tags: WheelTags, platform: LambdaPlatform) -> str | None:
    """Why no tag of the wheel fits ``platform``; None when one does, or when a tag is one
    ``packaging`` cannot parse or this reader cannot explain (no guessing).

    A tag fits when it is among the tags CPython on Lambda accepts, as ``packaging.tags``
    lists them for the runtime's version, its one ABI (``cp313``: not the free-threaded
    ``cp313t`` nor a debug build) and the manylinux levels of its glibc and machine.
    """
    parsed = []
    for text in tags.tags:
        try:
            parsed.extend(parse_tag(text))
        except ValueError:  # packaging.tags raises nothing narrower for a malformed tag
            return None
    accepted = supported_tags(platform)
    if any(tag in accepted for tag in parsed):
        return None
    reasons = [_tag_problem(t.interpreter, t.abi, t.platform, platform) for t in parsed]
    if any(r is None for r in reasons):
        return None  # a tag in a form this reader cannot explain (not-a-tag): no guessing
    return reasons[0] if reasons else None


@functools.lru_cache(maxsize=32)
def supported_tags(platform: LambdaPlatform) -> frozenset[Tag]:
    """The wheel tags CPython accepts on ``platform``, as pip would list them there."""
    version = (3, int(platform.python_version.split(".")[1]))
    platforms = [*platform.platform_tags, f"linux_{platform.machine}"]
    return frozenset((
        *cpython_tags(version, abis=[f"cp3{version[1]}"], platforms=platforms),
        *compatible_tags(version, f"cp3{version[1]}", platforms=platforms),
    ))


def _tag_problem(interpreter: str, abi: str, name: str, platform: LambdaPlatform) -> str | None:
    minor = int(platform.python_version.split(".")[1])
    if interpreter.startswith("pp") or abi.startswith("pypy"):
        return f"built for PyPy ({interpreter}-{abi})"
    cp = re.fullmatch(r"cp3(\d+)([a-z]*)", abi)
    if cp and int(cp[1]) != minor:
        return f"built for CPython 3.{cp[1]} ({abi}), not {platform.python_version}"
    if cp and "t" in cp[2]:
        return (f"built for free-threaded CPython 3.{cp[1]} ({abi}), while Lambda's "
                f"{platform.runtime} is the standard build")
    if cp and "d" in cp[2]:
        return f"built for a debug build of CPython 3.{cp[1]} ({abi})"
    if abi == "abi3":
        since = re.fullmatch(r"cp3(\d+)", interpreter)
        if since and int(since[1]) > minor:
            return f"built for CPython 3.{since[1]} and later, not {platform.python_version}"
    return _platform_tag_problem(name, platform)


def _platform_tag_problem(name: str, platform: LambdaPlatform) -> str | None:
    if name == "any":
        return None
    if name.startswith("macosx"):
        return f"built for macOS ({name})"
    if name.startswith("win"):
        return f"built for Windows ({name})"
    if name.startswith("musllinux"):
        return f"built for musl libc ({name}), while Lambda has glibc"
    manylinux = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", name)
    legacy = re.fullmatch(r"(manylinux1|manylinux2010|manylinux2014)_(\w+)", name)
    linux = re.fullmatch(r"linux_(\w+)", name)
    if manylinux:
        glibc, machine = (int(manylinux[1]), int(manylinux[2])), manylinux[3]
    elif legacy:
        glibc, machine = (2, _LEGACY_MANYLINUX[legacy[1]]), legacy[2]
    elif linux:
        glibc, machine = (2, 0), linux[1]
    else:
        return None  # a platform this reader does not know: no guessing
    if machine != platform.machine:
        return f"built for {machine} ({name}), not {platform.machine}"
    if glibc > (2, platform.glibc_minor):
        return (f"built for glibc {glibc[0]}.{glibc[1]} ({name}), newer than the "
                f"2.{platform.glibc_minor} of {platform.runtime}")
    return None


def record_top_levels(dist_info: Path) -> frozenset[str]:
    """The top-level names a distribution installed, from its ``RECORD`` (pip writes one)."""
    record = dist_info / "RECORD"
    if not record.is_file():  # not a FIFO or device: reading one would block
        return frozenset()
    if not record.resolve().is_relative_to(dist_info.parent.resolve()):
        return frozenset()  # a symlink out of the installed packages is never read (SF103)
    try:
        with open(record, "rb") as stream:
            text = stream.read(MAX_TEXT_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return frozenset()
    names = set()
    # RECORD is CSV (PEP 376): a path with a comma or a quote in it is quoted.
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return frozenset()
    for row in rows:
        first = row[0].split("/", 1)[0] if row else ""
        if first and not first.endswith((".dist-info", ".data")) and first != "..":
            names.add(first)
    return frozenset(names)
