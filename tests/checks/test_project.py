"""SF101 requirements-missing, SF102 code-folder-missing, SF103 path-outside-project."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from sam_fastapi.config import LintConfig
from sam_fastapi.findings import Finding
from sam_fastapi.lint import Linter
from sam_fastapi.plugins import get_plugin_manager

HANDLER = (
    "from fastapi import FastAPI\nfrom mangum import Mangum\n\n"
    "app = FastAPI()\nhandler = Mangum(app)\n"
)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def service(root: Path, folder: str, requirements: bool = True) -> None:
    write(root, {f"{folder}/app/__init__.py": "", f"{folder}/app/main.py": HANDLER})
    if requirements:
        write(root, {f"{folder}/requirements.txt": ""})


def function(name: str, code_uri: str, extra: str = "") -> str:
    return (
        f"  {name}:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        f"      CodeUri: {code_uri}\n"
        "      Handler: app.main.handler\n"
        "      Runtime: python3.12\n" + extra
    )


def lint(template: Path, select: str) -> list[Finding]:
    linter = Linter(get_plugin_manager(entry_points=False),
                    LintConfig(select=(select,), use_cache=False))
    return linter.lint([template]).findings


def found(findings: list[Finding]) -> set[tuple[str, int, str | None]]:
    return {(f.rule, f.location.line, f.resource) for f in findings}


HEAD = "Transform: AWS::Serverless-2016-10-31\nResources:\n"


def test_sf101_reports_a_python_function_folder_without_requirements(tmp_path):
    service(tmp_path, "cast_service", requirements=False)
    service(tmp_path, "movie_service")
    write(tmp_path, {"template.yaml": HEAD + function("CastFunction", "cast_service/")
                     + function("MovieFunction", "movie_service/")})
    assert found(lint(tmp_path / "template.yaml", "SF101")) == {(
        "SF101", 6, "CastFunction")}


def test_sf101_skips_makefile_builds_images_s3_and_other_runtimes(tmp_path):
    service(tmp_path, "made", requirements=False)
    service(tmp_path, "node", requirements=False)
    write(tmp_path, {"template.yaml": HEAD
                     + function("Made", "made/", "    Metadata:\n      BuildMethod: makefile\n")
                     + function("Remote", "s3://bucket/code.zip")
                     + "  Node:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                       "      CodeUri: node/\n      Handler: index.handler\n"
                       "      Runtime: nodejs20.x\n"
                     + "  Image:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                       "      PackageType: Image\n"
                       "      ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1\n"})
    assert lint(tmp_path / "template.yaml", "SF101") == []


def test_sf102_reports_missing_code_and_layer_folders(tmp_path):
    service(tmp_path, "cast_service")
    write(tmp_path, {"template.yaml": HEAD + function("CastFunction", "cast_service/")
                     + function("GoneFunction", "gone_service/")
                     + "  SharedLayer:\n    Type: AWS::Serverless::LayerVersion\n"
                       "    Properties:\n      ContentUri: layers/shared\n"})
    findings = lint(tmp_path / "template.yaml", "SF102")
    assert found(findings) == {("SF102", 12, "GoneFunction"), ("SF102", 18, "SharedLayer")}
    assert "gone_service" in findings[0].message


def test_sf103_reports_paths_that_leave_the_project_and_never_reads_them(tmp_path):
    project = tmp_path / "project"
    outside = tmp_path / "elsewhere"
    service(outside, "svc", requirements=False)  # SF101 would fire if it were read
    service(project, "inside")
    (project / "linked").symlink_to(outside / "svc")
    (project / "loop").symlink_to(project / "loop")
    write(project, {"samconfig.toml": "version = 0.1\n", "template.yaml": HEAD
                    + function("Up", "../elsewhere/svc/")
                    + function("Absolute", f"{outside / 'svc'}/")
                    + function("Linked", "linked/")
                    + function("Loop", "loop/")
                    + function("Inside", "inside/")})
    findings = lint(project / "template.yaml", "SF1")
    assert found(findings) == {
        ("SF103", 6, "Up"), ("SF103", 12, "Absolute"), ("SF103", 18, "Linked"),
        ("SF103", 24, "Loop"),
    }
    reasons = {f.resource: f.message for f in findings}
    assert "a path out of the project" in reasons["Up"]
    assert "an absolute path" in reasons["Absolute"]
    assert "a symlink out of the project" in reasons["Linked"]
    assert "a symlink loop" in reasons["Loop"]


def test_sf103_allows_a_template_in_a_subfolder_to_reach_code_beside_it(tmp_path):
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'demo'\n"})
    service(tmp_path, "src/cast_service")
    os.makedirs(tmp_path / "infra")
    template = HEAD + function("CastFunction", "../src/cast_service/")
    write(tmp_path, {"infra/template.yaml": template})
    assert lint(tmp_path / "infra" / "template.yaml", "SF1") == []
