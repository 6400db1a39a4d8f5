"""Reading templates: an unreadable file is one SF001 finding with its line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from sam_fastapi.cli import main
from sam_fastapi.findings import Location
from sam_fastapi.template import TemplateError, build_project, load_template


def load_error(path: Path) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        load_template(path)
    return info.value


@pytest.mark.parametrize(
    ("name", "content", "line", "fragment"),
    [
        ("indent.yaml", "Resources:\n  Fn:\n    Type: x\n   Bad: y\n", 4, "expected"),
        ("flow.yaml", "Resources:\n  Fn: {Type: x\nOutputs: {}\n", 3, "expected ','"),
        ("tab.yaml", "Resources:\n\tFn: {}\n", 2, "cannot start any token"),
        ("syntax.json", '{\n  "Resources": {\n    "Fn": {,}\n  }\n}\n', 3, ""),
        ("dup.yaml", "Resources:\n  Fn: {Type: a}\n  Other: {}\n  Fn: {Type: b}\n", 4,
         "duplicate key 'Fn' (first at line 2)"),
        ("dup.json", '{\n  "Resources": {},\n  "Resources": {}\n}\n', 3,
         "duplicate key 'Resources' (first at line 2)"),
        ("list.yaml", "- Resources\n- Outputs\n", 1, "not a mapping"),
        ("scalar.yaml", "just text\n", 1, "not a mapping"),
    ],
)
def test_unreadable_templates_raise_with_the_line(
    tmp_path: Path, name: str, content: str, line: int, fragment: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    error = load_error(path)

    assert error.location.file == str(path)
    assert error.location.line == line
    assert fragment in error.message
    assert str(path) not in error.message
    assert "\n" not in str(error)


def test_non_utf8_bytes_name_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_bytes(b"Resources:\n  Fn:\n    Type: caf\xe9\n")
    error = load_error(path)

    assert error.location == Location(str(path), 3, 14)
    assert error.message == "template is not UTF-8 text (byte 0xe9 cannot be decoded)"


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n", "null\n"])
def test_an_empty_document_is_an_empty_template(tmp_path: Path, content: str) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(content, encoding="utf-8")

    assert load_template(path) == {}


@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbfResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        b"    Properties:\n      CodeUri: svc/\n",
        b"Resources:\r\n  Fn:\r\n    Type: AWS::Serverless::Function\r\n"
        b"    Properties:\r\n      CodeUri: svc/\r\n",
    ],
    ids=["bom", "crlf"],
)
def test_bom_and_crlf_read_with_the_right_lines(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "template.yaml"
    path.write_bytes(raw)
    project = build_project(load_template(path), path)

    assert project.functions["Fn"].code_dir == tmp_path / "svc"
    assert project.locate(("Resources", "Fn", "Properties", "CodeUri")) == Location(
        str(path), 5, 7)


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Resources: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")

    with pytest.raises(TemplateError):
        load_template(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"Resources:\n  Fn: {Type: x\n", ":3:1: SF001 error "),
        (b"Resources:\n  A: {}\n  A: {}\n",
         ":3:3: SF001 error duplicate key 'A' (first at line 2)"),
        (b"- a\n- b\n", ":1:1: SF001 error template is not a mapping of sections"),
        (b"Resources:\n  A: \"\xff\"\n", ":2:7: SF001 error template is not UTF-8 text"),
    ],
    ids=["syntax", "duplicate", "list", "non-utf8"],
)
def test_lint_reports_sf001_as_one_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    path = tmp_path / "template.yaml"
    path.write_bytes(content)

    assert main(["lint", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith(f"{path}{expected}")
    assert out.splitlines()[1] == "Found 1 problem (1 error)."
    assert err == ""


def test_lint_of_an_empty_template_is_a_finding_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "template.yaml"
    path.write_bytes(b"")

    assert main(["lint", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == f"{path}:1:1: E1001 error 'Resources' is a required property"
    assert err == f"{path}: no SAM resources to check\n"
