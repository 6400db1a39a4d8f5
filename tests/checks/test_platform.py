"""SF502 native-binary-wrong-platform, SF503 layer-incompatible, SF504 package-too-large.

Projects are real templates and folders on disk, linted through the real runner (cfn-lint and
the translator deselected). Native binaries are real headers: a small real ELF extension module
copied from the virtualenv, and ELF, Mach-O and PE headers written byte by byte after their
specifications.
"""

from __future__ import annotations

import importlib.util
import os
import struct
import textwrap
from pathlib import Path

from sam_fastapi.config import LintConfig
from sam_fastapi.findings import Finding
from sam_fastapi.lint import Linter
from sam_fastapi.plugins import get_plugin_manager

HEADER = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
"""


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")


def function(logical_id: str, code_uri: str, *, runtime: str = "python3.12",
             architecture: str = "x86_64", layers: tuple[str, ...] = ()) -> str:
    text = (f"  {logical_id}:\n"
            "    Type: AWS::Serverless::Function\n"
            "    Properties:\n"
            f"      CodeUri: {code_uri}\n"
            "      Handler: app.handler\n"
            f"      Runtime: {runtime}\n"
            f"      Architectures: [{architecture}]\n")
    if layers:
        text += "      Layers:\n" + "".join(f"        - !Ref {layer}\n" for layer in layers)
    return text


def layer(logical_id: str, content_uri: str, *, runtimes: tuple[str, ...] = (),
          architectures: tuple[str, ...] = ()) -> str:
    text = (f"  {logical_id}:\n"
            "    Type: AWS::Serverless::LayerVersion\n"
            "    Properties:\n"
            f"      ContentUri: {content_uri}\n")
    if runtimes:
        text += f"      CompatibleRuntimes: [{', '.join(runtimes)}]\n"
    if architectures:
        text += f"      CompatibleArchitectures: [{', '.join(architectures)}]\n"
    return text


def lint(template: Path, select: str) -> list[Finding]:
    linter = Linter(get_plugin_manager(entry_points=False),
                    LintConfig(select=(select,), use_cache=False))
    return linter.lint([template]).findings


def summary(findings: list[Finding], root: Path) -> list[tuple[str, str, int]]:
    return sorted(
        (f.rule, Path(f.location.file).resolve().relative_to(root.resolve()).as_posix(),
         f.location.line)
        for f in findings
    )


def line_of(path: Path, text: str, start: int = 0) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines[start:], start + 1) if text in line)


# -- SF503 layer-incompatible -----------------------------------------------------------------


def test_layer_excluding_the_runtime_or_architecture_is_reported_at_the_layers_entry(
    tmp_path: Path,
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        HEADER
        + function("Old", "src/", runtime="python3.12", layers=("Shared",))
        + function("Arm", "src/", architecture="arm64", layers=("Fine", "Shared"))
        + function("Good", "src/", layers=("Fine",))
        + layer("Shared", "shared/", runtimes=("python3.11",), architectures=("x86_64",))
        + layer("Fine", "fine/", runtimes=("python3.12",), architectures=("x86_64", "arm64")),
        encoding="utf-8",
    )
    write(tmp_path, {"src/app.py": "", "shared/x.txt": "", "fine/x.txt": ""})
    findings = lint(template, "SF503")
    old_entry = line_of(template, "- !Ref Shared")
    arm_entry = line_of(template, "- !Ref Shared", old_entry)
    assert summary(findings, tmp_path) == [
        ("SF503", "template.yaml", old_entry),
        ("SF503", "template.yaml", arm_entry),
        ("SF503", "template.yaml", arm_entry),
    ]
    messages = sorted(f.message for f in findings)
    assert "Arm runs on arm64, but its layer Shared is only compatible with x86_64" in messages[0]
    assert "Arm runs python3.12, but its layer Shared is only compatible with python3.11" in \
        messages[1]
    assert messages[2].startswith("Old runs python3.12, but its layer Shared")
    assert {f.resource for f in findings} == {"Old", "Arm"}


def test_layers_from_globals_are_reported_in_globals(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        HEADER.replace("Resources:\n", textwrap.dedent("""\
            Globals:
              Function:
                Layers:
                  - !Ref Shared
            Resources:
            """))
        + function("Api", "src/", architecture="arm64")
        + layer("Shared", "shared/", architectures=("x86_64",)),
        encoding="utf-8",
    )
    write(tmp_path, {"src/app.py": "", "shared/x.txt": ""})
    assert summary(lint(template, "SF503"), tmp_path) == [
        ("SF503", "template.yaml", line_of(template, "- !Ref Shared"))]


def test_layers_without_compatibility_lists_or_by_arn_pass(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        HEADER
        + function("Api", "src/", runtime="python3.13", architecture="arm64",
                   layers=("Open",))
        + "        - arn:aws:lambda:us-east-1:123456789012:layer:other:3\n"
        + layer("Open", "open/"),
        encoding="utf-8",
    )
    write(tmp_path, {"src/app.py": "", "open/x.txt": ""})
    assert lint(template, "SF503") == []


# -- SF504 package-too-large ------------------------------------------------------------------

MB = 1024 * 1024


def sparse(path: Path, size: int) -> None:
    """A file of ``size`` apparent bytes that takes no disk space (as ``truncate -s``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as stream:
        stream.truncate(size)


def test_function_and_layers_over_250_mb_are_reported_at_code_uri(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        HEADER
        + function("Heavy", "heavy/", layers=("Science",))
        + function("Light", "light/", layers=("Small",))
        + layer("Science", "science/")
        + layer("Small", "small/"),
        encoding="utf-8",
    )
    write(tmp_path, {"heavy/app.py": "", "light/app.py": ""})
    sparse(tmp_path / "heavy" / "model.bin", 40 * MB)
    sparse(tmp_path / "science" / "python" / "numpy" / "core.so", 211 * MB)
    sparse(tmp_path / "small" / "python" / "tiny.so", 200 * MB)
    findings = lint(template, "SF504")
    assert summary(findings, tmp_path) == [
        ("SF504", "template.yaml", line_of(template, "CodeUri: heavy/"))]
    message = findings[0].message
    assert "Heavy unzips to 251.0 MB with its layers, over Lambda's 250.0 MB limit" in message
    assert "Science 211.0 MB in science/" in message and "Heavy 40.0 MB in heavy/" in message


def test_build_output_is_measured_instead_of_the_source_folders(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(HEADER + function("Api", "src/", layers=("Deps",))
                        + layer("Deps", "deps/"), encoding="utf-8")
    write(tmp_path, {"src/app.py": "", "deps/requirements.txt": "numpy\n"})
    # Sources are small; the built layer (what sam deploy zips) is not.
    sparse(tmp_path / ".aws-sam" / "build" / "Deps" / "python" / "big.so", 249 * MB)
    sparse(tmp_path / ".aws-sam" / "build" / "Api" / "vendor.bin", 2 * MB)
    findings = lint(template, "SF504")
    assert summary(findings, tmp_path) == [
        ("SF504", "template.yaml", line_of(template, "CodeUri: src/"))]
    assert "Deps 249.0 MB in .aws-sam/build/Deps/" in findings[0].message


def test_just_under_the_limit_and_skipped_folders_pass(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(HEADER + function("Api", "src/", layers=("Deps",))
                        + layer("Deps", "deps/"), encoding="utf-8")
    write(tmp_path, {"src/app.py": "", "pyproject.toml": ""})
    sparse(tmp_path / "deps" / "python" / "big.so", 250 * MB - 100)
    # Not packaged by sam build, so not counted: caches, a virtualenv, git.
    sparse(tmp_path / "src" / ".venv" / "lib" / "torch.so", 900 * MB)
    sparse(tmp_path / "src" / "__pycache__" / "app.cpython-312.pyc", 10 * MB)
    sparse(tmp_path / "src" / ".git" / "objects" / "pack.pack", 10 * MB)
    # A symlink out of the project is never followed.
    outside = tmp_path.parent / f"{tmp_path.name}-outside.bin"
    sparse(outside, 500 * MB)
    os.symlink(outside, tmp_path / "src" / "linked.bin")
    assert lint(template, "SF504") == []


# -- SF502 native-binary-wrong-platform -------------------------------------------------------


def real_extension_module() -> Path:
    """PyYAML's compiled ``_yaml`` from this virtualenv: an ELF x86-64 shared object built for
    CPython 3.11 (``file`` says "ELF 64-bit LSB shared object, x86-64")."""
    spec = importlib.util.find_spec("yaml._yaml")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin)


def elf_header(machine: int, *, bits: int = 64, order: str = "<") -> bytes:
    """An ELF header after the System V ABI: e_ident, then e_type ET_DYN and e_machine."""
    ident = b"\x7fELF" + bytes([2 if bits == 64 else 1, 1 if order == "<" else 2, 1, 0]) + \
        bytes(8)
    return (ident + struct.pack(f"{order}HHI", 3, machine, 1)).ljust(64, b"\0")


def macho_header(cputype: int) -> bytes:
    """A thin 64-bit Mach-O header (<mach-o/loader.h>): MH_MAGIC_64, cputype, MH_BUNDLE."""
    return struct.pack("<IiiIIIII", 0xFEEDFACF, cputype, 3, 8, 0, 0, 0, 0)


def fat_header() -> bytes:
    """A universal binary (<mach-o/fat.h>): FAT_MAGIC, big-endian, two architectures."""
    return struct.pack(">II", 0xCAFEBABE, 2) + struct.pack(">iiIII", 0x01000007, 3, 4096,
                                                          100, 12)


def pe_header() -> bytes:
    """A DOS stub whose e_lfanew (at 0x3c) points to the "PE\\0\\0" signature, as in a .pyd."""
    stub = bytearray(b"MZ".ljust(0x40, b"\0"))
    stub[0x3C:0x40] = struct.pack("<I", 0x40)
    return bytes(stub) + b"PE\0\0" + struct.pack("<H", 0x8664)


def dist_info(name: str, version: str, tags: list[str], files: list[str]) -> dict[str, str]:
    """A ``*.dist-info`` as pip writes it: METADATA, WHEEL (tags), RECORD."""
    folder = f"{name}-{version}.dist-info"
    return {
        f"{folder}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{folder}/WHEEL": "Wheel-Version: 1.0\nGenerator: maturin (1.5.1)\n"
                           "Root-Is-Purelib: false\n" + "".join(f"Tag: {t}\n" for t in tags),
        f"{folder}/RECORD": "".join(f"{f},sha256=AAAA,10\n" for f in files)
                            + f"{folder}/RECORD,,\n",
    }


def test_wrong_native_files_are_reported_once_per_package(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        HEADER
        + function("Api", "src/", runtime="python3.12", layers=("Shared",))
        + function("Arm", "arm/", runtime="python3.11", architecture="arm64")
        + layer("Shared", "shared/"),
        encoding="utf-8",
    )
    real = real_extension_module().read_bytes()
    write(tmp_path, {
        "src/app.py": "",
        # Mach-O from a Mac: two files of one package, one finding.
        "src/speedups/_a.cpython-312-darwin.so": macho_header(0x0100000C),
        "src/speedups/_b.cpython-312-darwin.so": fat_header(),
        "src/native.pyd": pe_header(),
        "src/libssl.so.3": elf_header(183),
        # Right machine, wrong CPython: the real module, built for 3.11, on python3.12.
        "shared/python/yaml/_yaml.cpython-311-x86_64-linux-gnu.so": real,
        "arm/app.py": "",
        # The same real module is fine for 3.11 by name, but it is x86-64 and Arm is arm64.
        "arm/yaml/_yaml.cpython-311-x86_64-linux-gnu.so": real,
        "arm/lib32.so": elf_header(3, bits=32),
    })
    findings = lint(template, "SF502")
    assert summary(findings, tmp_path) == [
        ("SF502", "arm/lib32.so", 1),
        ("SF502", "arm/yaml/_yaml.cpython-311-x86_64-linux-gnu.so", 1),
        ("SF502", "shared/python/yaml/_yaml.cpython-311-x86_64-linux-gnu.so", 1),
        ("SF502", "src/libssl.so.3", 1),
        ("SF502", "src/native.pyd", 1),
        ("SF502", "src/speedups/_a.cpython-312-darwin.so", 1),
    ]
    messages = {Path(f.location.file).name: f.message for f in findings}
    assert "is a macOS Mach-O binary (arm64) (and 1 more native files in speedups/)" in \
        messages["_a.cpython-312-darwin.so"]
    assert "is a Windows PE (DLL) binary" in messages["native.pyd"]
    assert messages["native.pyd"].endswith("or sam-fastapi layer build Api")
    assert "is a 64-bit ELF binary for aarch64, not x86_64" in messages["libssl.so.3"]
    assert "is a 32-bit ELF binary for i386, not aarch64" in messages["lib32.so"]
    layer_message = next(f.message for f in findings if f.resource == "Shared")
    assert "an extension module for CPython 3.11 (its name says so), not 3.12" in layer_message
    assert "(python3.12 x86_64)" in layer_message
    assert "pip install --platform manylinux2014_x86_64 --only-binary=:all: " \
           "--python-version 3.12" in layer_message
    assert "sam-fastapi layer build Shared" in layer_message
    arm = next(f.message for f in findings if f.location.file.endswith("_yaml.cpython-311-"
                                                                        "x86_64-linux-gnu.so")
               and f.resource == "Arm")
    assert "is a 64-bit ELF binary for x86_64, not aarch64" in arm
    assert "manylinux2014_aarch64" in arm


def test_native_files_for_the_platform_pass(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        HEADER + function("Api", "src/", runtime="python3.11")
        + function("Arm", "arm/", runtime="python3.13", architecture="arm64"),
        encoding="utf-8",
    )
    write(tmp_path, {
        "src/app.py": "",
        "src/yaml/_yaml.cpython-311-x86_64-linux-gnu.so": real_extension_module().read_bytes(),
        "src/crypto/_rust.abi3.so": elf_header(62),
        "src/libz.so": b"/* GNU ld script */\nINPUT(libz.so.1)\n",  # text, not a binary
        "src/empty.so": b"",
        "arm/app.py": "",
        "arm/_speedups.cpython-313-aarch64-linux-gnu.so": elf_header(183),
        "arm/libbig.so.1": elf_header(183, order="<"),
    })
    assert lint(template, "SF502") == []


def test_wheel_tags_are_judged_and_cover_their_files(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(HEADER + function("Api", "src/", runtime="python3.11",
                                          layers=("Deps",))
                        + layer("Deps", "deps/"), encoding="utf-8")
    site = ".aws-sam/build/Deps/python/lib/python3.11/site-packages"
    write(tmp_path, {
        "src/app.py": "",
        "deps/requirements.txt": "pydantic-core\n",
        # A Mac wheel: its WHEEL is reported, not its .so files again.
        **{f"{site}/{k}": v for k, v in dist_info(
            "pydantic_core", "2.18.2", ["cp311-cp311-macosx_11_0_arm64"],
            ["pydantic_core/__init__.py", "pydantic_core/_pydantic_core.cpython-311-darwin.so"],
        ).items()},
        f"{site}/pydantic_core/_pydantic_core.cpython-311-darwin.so": macho_header(0x0100000C),
        # Built on Amazon Linux 2023 (glibc 2.34) for python3.11's Amazon Linux 2 (2.26).
        **{f"{site}/{k}": v for k, v in dist_info(
            "orjson", "3.10.0", ["cp311-cp311-manylinux_2_34_x86_64"], ["orjson/orjson.so"],
        ).items()},
        # Windows, another CPython, musl.
        **{f"src/{k}": v for k, v in dist_info(
            "winlib", "1.0", ["cp311-cp311-win_amd64"], []).items()},
        **{f"src/{k}": v for k, v in dist_info(
            "oldlib", "1.0", ["cp310-cp310-manylinux_2_17_x86_64",
                              "cp310-cp310-manylinux2014_x86_64"], []).items()},
        **{f"src/{k}": v for k, v in dist_info(
            "alpine", "1.0", ["cp311-cp311-musllinux_1_1_x86_64"], []).items()},
        # Fine: pure Python, abi3 from an older CPython, several tags of which one fits.
        **{f"src/{k}": v for k, v in dist_info("pure", "1.0", ["py3-none-any"], []).items()},
        **{f"src/{k}": v for k, v in dist_info(
            "stable", "1.0", ["cp38-abi3-manylinux_2_17_x86_64"], []).items()},
        **{f"src/{k}": v for k, v in dist_info(
            "multi", "1.0", ["cp311-cp311-macosx_10_9_x86_64",
                             "cp311-cp311-manylinux_2_17_x86_64"], []).items()},
    })
    findings = lint(template, "SF502")
    tag_line = 4  # Wheel-Version, Generator, Root-Is-Purelib, then the first Tag
    assert summary(findings, tmp_path) == [
        ("SF502", f"{site}/orjson-3.10.0.dist-info/WHEEL", tag_line),
        ("SF502", f"{site}/pydantic_core-2.18.2.dist-info/WHEEL", tag_line),
        ("SF502", "src/alpine-1.0.dist-info/WHEEL", tag_line),
        ("SF502", "src/oldlib-1.0.dist-info/WHEEL", tag_line),
        ("SF502", "src/winlib-1.0.dist-info/WHEEL", tag_line),
    ]
    messages = {Path(f.location.file).parent.name: f.message for f in findings}
    assert "says its wheel was built for macOS (macosx_11_0_arm64)" in \
        messages["pydantic_core-2.18.2.dist-info"]
    assert "built for glibc 2.34 (manylinux_2_34_x86_64), newer than the 2.26 of python3.11" \
        in messages["orjson-3.10.0.dist-info"]
    assert "built for Windows (win_amd64)" in messages["winlib-1.0.dist-info"]
    assert "built for CPython 3.10 (cp310), not 3.11" in messages["oldlib-1.0.dist-info"]
    assert "musl libc" in messages["alpine-1.0.dist-info"]


def test_symlinks_out_of_the_project_are_not_read(tmp_path: Path) -> None:
    project = tmp_path / "project"
    template = project / "template.yaml"
    write(project, {"pyproject.toml": "", "src/app.py": ""})
    template.write_text(HEADER + function("Api", "src/"), encoding="utf-8")
    outside = tmp_path / "outside.so"
    outside.write_bytes(macho_header(0x0100000C))
    os.symlink(outside, project / "src" / "linked.so")
    assert lint(template, "SF502") == []


def test_corrupt_headers_and_tags_are_reported_or_ignored(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(HEADER + function("Api", "src/"), encoding="utf-8")
    write(tmp_path, {
        "src/app.py": "",
        "src/short.so": b"\x7fELF\x02",  # cut off before e_machine: not judged
        "src/corrupt.so": b"\x7fELF\x07\x09" + bytes(58),  # no such class or byte order
        "src/odd-1.0.dist-info/WHEEL": "Tag: not-a-tag\nTag:\n\x00\xff\n",
        "src/bare-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\n",
    })
    os.mkfifo(tmp_path / "src" / "fifo.so")  # never opened: not a regular file
    findings = lint(template, "SF502")
    assert summary(findings, tmp_path) == [("SF502", "src/corrupt.so", 1)]
    assert "is an ELF binary with a corrupt header" in findings[0].message


def test_free_threaded_builds_do_not_load_on_lambdas_python(tmp_path: Path) -> None:
    """Lambda's python3.13 is the standard build: a free-threaded ``cp313t`` wheel and a
    ``.cpython-313t-*.so`` module cannot load there; the standard ``cp313`` ones can. A
    RECORD's quoted path (a comma in it) still ties the wheel's files to it."""
    template = tmp_path / "template.yaml"
    template.write_text(HEADER + function("Api", "src/", runtime="python3.13"),
                        encoding="utf-8")
    real = real_extension_module().read_bytes()  # an x86-64 ELF module, as Linux builds are
    threaded = dist_info("fastjson", "1.0", ["cp313-cp313t-manylinux_2_17_x86_64"], [])
    threaded["fastjson-1.0.dist-info/RECORD"] = (
        '"fastjson/_speed,ups.cpython-313t-x86_64-linux-gnu.so",sha256=AAAA,10\n'
        "fastjson-1.0.dist-info/RECORD,,\n")
    write(tmp_path, {
        "src/app.py": "",
        **{f"src/{k}": v for k, v in threaded.items()},
        "src/fastjson/_speed,ups.cpython-313t-x86_64-linux-gnu.so": real,
        "src/loose/_mod.cpython-313t-x86_64-linux-gnu.so": real,
        # The standard build's wheel and module are fine.
        **{f"src/{k}": v for k, v in dist_info(
            "standard", "1.0", ["cp313-cp313-manylinux_2_17_x86_64"], []).items()},
        "src/standard/_mod.cpython-313-x86_64-linux-gnu.so": real,
    })
    findings = lint(template, "SF502")
    assert summary(findings, tmp_path) == [
        ("SF502", "src/fastjson-1.0.dist-info/WHEEL", 4),
        ("SF502", "src/loose/_mod.cpython-313t-x86_64-linux-gnu.so", 1),
    ]
    messages = [f.message for f in findings]
    assert "free-threaded CPython 3.13 (cp313t)" in messages[0]
    assert "free-threaded CPython 3.13t" in messages[1]


def test_record_paths_are_read_as_csv(tmp_path: Path) -> None:
    from sam_fastapi.checks.platform.binaries import record_top_levels

    folder = tmp_path / "odd-1.0.dist-info"
    folder.mkdir()
    (folder / "RECORD").write_text(
        '"we,ird/__init__.py",sha256=AAAA,10\n'
        '"quo""ted/x.py",sha256=AAAA,10\n'
        "plain/y.py,sha256=AAAA,10\n"
        "odd-1.0.dist-info/RECORD,,\n", encoding="utf-8")
    assert record_top_levels(folder) == {"we,ird", 'quo"ted', "plain"}
