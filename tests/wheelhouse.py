"""Small real distributions written by hand, for offline pip runs (tests and bench).

Wheels are zip files with METADATA, WHEEL and RECORD as the wheel spec (PEP 427) describes;
native ones carry a ``.so`` that starts with a real ELF header for their machine. Source
distributions carry an in-tree PEP 517 backend, so pip builds them with no index at all.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import struct
import tarfile
import textwrap
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

#: ELF ``e_machine`` values (System V ABI): what a loader checks first.
ELF_MACHINES = {"x86_64": 62, "aarch64": 183}


def elf_header(machine: str) -> bytes:
    """The 64-byte header of a little-endian 64-bit shared object for ``machine``."""
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    return ident + struct.pack("<HHIQQQIHHHHHH", 3, ELF_MACHINES[machine], 1, 0, 0, 0, 0,
                               64, 0, 0, 0, 0, 0)


def elf_machine(path: Path) -> int | None:
    """``e_machine`` of an ELF file, None for anything else."""
    head = path.read_bytes()[:20]
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    return struct.unpack("<H" if head[5] == 1 else ">H", head[18:20])[0]


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def wheel_bytes(name: str, version: str, tag: str, files: Mapping[str, bytes],
                requires: Sequence[str] = ()) -> bytes:
    """A complete wheel archive."""
    dist_info = f"{name}-{version}.dist-info"
    metadata = "".join([f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
                        *(f"Requires-Dist: {r}\n" for r in requires)])
    pure = tag.endswith("-none-any")
    wheel = (f"Wheel-Version: 1.0\nGenerator: wheelhouse\n"
             f"Root-Is-Purelib: {'true' if pure else 'false'}\nTag: {tag}\n")
    contents = {**files, f"{dist_info}/METADATA": metadata.encode(),
                f"{dist_info}/WHEEL": wheel.encode()}
    record = [_record_line(path, data) for path, data in contents.items()]
    record.append(f"{dist_info}/RECORD,,")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
        archive.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return buffer.getvalue()


def write_wheel(folder: Path, name: str, version: str, tag: str = "py3-none-any",
                files: Mapping[str, bytes] | None = None,
                requires: Sequence[str] = ()) -> Path:
    files = files if files is not None else {
        f"{name}/__init__.py": f"__version__ = {version!r}\n".encode()
    }
    path = folder / f"{name}-{version}-{tag}.whl"
    path.write_bytes(wheel_bytes(name, version, tag, files, requires))
    return path


def write_native_wheel(folder: Path, name: str, version: str, machine: str) -> Path:
    """An abi3 wheel for ``manylinux2014_<machine>`` with one extension module."""
    so = elf_header(machine) + bytes(64)
    return write_wheel(folder, name, version, f"cp39-abi3-manylinux2014_{machine}", {
        f"{name}/__init__.py": b"from ._speedups import *\n",
        f"{name}/_speedups.abi3.so": so,
    })


_BACKEND = '''
import base64, hashlib, zipfile

NAME, VERSION, TAG = {name!r}, {version!r}, {tag!r}


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist_info = f"{{NAME}}-{{VERSION}}.dist-info"
    files = {{
        f"{{NAME}}/__init__.py": b"built = True\\n",
        f"{{dist_info}}/METADATA":
            f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: {{VERSION}}\\n".encode(),
        f"{{dist_info}}/WHEEL":
            f"Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: {{TAG}}\\n".encode(),
    }}
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{{path}},sha256={{digest}},{{len(data)}}")
    record.append(f"{{dist_info}}/RECORD,,")
    filename = f"{{NAME}}-{{VERSION}}-{{TAG}}.whl"
    with zipfile.ZipFile(f"{{wheel_directory}}/{{filename}}", "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr(f"{{dist_info}}/RECORD", "\\n".join(record) + "\\n")
    return filename
'''


def write_sdist(folder: Path, name: str, version: str, wheel_tag: str = "py3-none-any") -> Path:
    """A source distribution whose build yields a wheel tagged ``wheel_tag``.

    A tag other than ``py3-none-any`` (``cp311-cp311-linux_x86_64``) stands for a package
    that compiles native code when built from source.
    """
    root = f"{name}-{version}"
    members = {
        f"{root}/pyproject.toml": textwrap.dedent("""\
            [build-system]
            requires = []
            build-backend = "backend"
            backend-path = ["."]
            """).encode(),
        f"{root}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{root}/backend.py": _BACKEND.format(name=name, version=version, tag=wheel_tag).encode(),
    }
    path = folder / f"{root}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def fill(folder: Path) -> Path:
    """The distributions the layer tests install, written into ``folder``.

    purepkg 1.0 (pure, needs native), native 1.0 (manylinux2014 wheels for x86_64 and
    aarch64), srconly 2.0 (a pure sdist only), srcnative 1.0 (an sdist that builds native
    code), onlyx86 1.0 (an x86_64 wheel only), newglibc 1.0 (a manylinux_2_34 x86_64 wheel).
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_wheel(folder, "purepkg", "1.0", requires=["native==1.0"])
    write_native_wheel(folder, "native", "1.0", "x86_64")
    write_native_wheel(folder, "native", "1.0", "aarch64")
    write_sdist(folder, "srconly", "2.0")
    write_sdist(folder, "srcnative", "1.0", "cp311-cp311-linux_x86_64")
    write_native_wheel(folder, "onlyx86", "1.0", "x86_64")
    write_wheel(folder, "newglibc", "1.0", "cp39-abi3-manylinux_2_34_x86_64")
    return folder


def offline_pip(environ: Callable[[str, str], None], folder: Path, pip_cache: Path) -> None:
    """Point pip at ``folder`` only: no index, no configuration file, a private cache."""
    environ("PIP_NO_INDEX", "1")
    environ("PIP_FIND_LINKS", str(folder))
    environ("PIP_CONFIG_FILE", os.devnull)
    environ("PIP_CACHE_DIR", str(pip_cache))
