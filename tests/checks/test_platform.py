"""SF502 native-binary-wrong-platform, SF503 layer-incompatible, SF504 package-too-large.

Projects are real templates and folders on disk, linted through the real runner (cfn-lint and
the translator deselected). Native binaries are real headers: a small real ELF extension module
copied from the virtualenv, and ELF, Mach-O and PE headers written byte by byte after their
specifications.
"""

from __future__ import annotations

import os
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
