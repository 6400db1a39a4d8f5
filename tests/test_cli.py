"""The command line: exit codes, one-line errors, several templates, ``python -m``, ``rules``."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sam_fastapi import __version__
from sam_fastapi.cli import main
from sam_fastapi.plugins import get_plugin_manager, registered_rules

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  CastFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: svc/
      Handler: app.handler
      Runtime: python3.12
      Events:
        List:
          Type: HttpApi
          Properties:
            Path: /casts
            Method: get
"""

APP = """\
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/casts")
def list_casts() -> list[str]:
    return []


handler = Mangum(app)
"""


def make_project(folder: Path, *, requirements: bool = True) -> Path:
    (folder / "svc").mkdir(parents=True)
    (folder / "svc" / "app.py").write_text(APP, encoding="utf-8")
    if requirements:
        (folder / "svc" / "requirements.txt").write_text("fastapi\nmangum\n", encoding="utf-8")
    (folder / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    return folder / "template.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    assert err.startswith("sam-fastapi: error: "), err
    assert err.count("\n") == 1, err
    return err.removeprefix("sam-fastapi: error: ").rstrip("\n")


# -- exit codes -------------------------------------------------------------------------------


def test_a_clean_project_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = make_project(tmp_path)

    assert run(capsys, "lint", str(template)) == (0, "No problems found.\n", "")


def test_findings_at_the_fail_level_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = make_project(tmp_path, requirements=False)

    code, out, err = run(capsys, "lint", str(template))
    assert code == 1
    assert out.splitlines() == [
        f"{template}:7:7: SF101 error no requirements.txt in CodeUri folder of CastFunction; "
        "add one (empty when a layer provides the dependencies) [CastFunction]",
        "Found 1 problem (1 error).",
    ]
    assert err == ""


def test_default_template_is_template_yaml_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path, requirements=False)
    monkeypatch.chdir(tmp_path)

    code, out, _ = run(capsys, "lint", "--format", "json", "--select", "SF1")
    assert code == 1
    assert [(f["file"], f["line"], f["rule"]) for f in json.loads(out)] == [
        ("template.yaml", 7, "SF101")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lint", "missing.yaml"], "missing.yaml: no such file"),
        (["lint", "--bogus"], "unrecognized arguments: --bogus"),
        (["lint", "--format", "xml", "{template}"],
         "unknown format 'xml' (choose from github, json, sarif, text)"),
        (["lint", "--fail-level", "fatal", "{template}"], "argument --fail-level: invalid choice"),
        (["lint", "--select", "SF1", "--output", "{tmp}/no/such/folder/report.txt", "{template}"],
         "{tmp}/no/such/folder/report.txt: cannot write the report: No such file or directory"),
        (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
        (["rules", "SF99999"], "unknown rule 'SF99999'; `sam-fastapi rules` lists them"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    template = make_project(tmp_path)
    argv = [a.format(template=template, tmp=tmp_path) for a in argv]

    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert one_line_error(err).startswith(message.format(tmp=tmp_path))


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)

    assert code == 2
    assert "Lint, test and serve FastAPI apps on AWS Lambda with AWS SAM." in out
    assert "lint" in out and "rules" in out


@pytest.mark.parametrize("option", ["--version", "-V"])
def test_version_names_the_lint_tools_in_use(option: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([option])

    assert info.value.code == 0
    assert capsys.readouterr().out == (
        f"sam-fastapi {__version__} (cfn-lint {importlib.metadata.version('cfn-lint')}, "
        f"aws-sam-translator {importlib.metadata.version('aws-sam-translator')}, "
        f"Python {platform.python_version()})\n")


def test_version_says_when_the_lint_tools_are_not_installed(tmp_path: Path) -> None:
    # An environment with sam-fastapi's runtime only: no site-packages, pluggy and packaging
    # linked in, sam-fastapi from the checkout.
    for name in ("pluggy", "packaging"):
        (tmp_path / name).symlink_to(Path(importlib.import_module(name).__file__).parent)
    root = Path(__file__).parents[1]
    done = subprocess.run([sys.executable, "-S", "-m", "sam_fastapi", "--version"],
                          env={"PYTHONPATH": f"{root}:{tmp_path}"}, capture_output=True,
                          text=True)

    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"sam-fastapi {__version__} (cfn-lint not installed, "
                           f"aws-sam-translator not installed, Python "
                           f"{platform.python_version()})\n")


def test_output_option_writes_the_report_to_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = make_project(tmp_path, requirements=False)
    report = tmp_path / "report.sarif"

    assert run(capsys, "lint", "--format", "sarif", "--select", "SF1", "--output", str(report),
               str(template)) == (1, "", "")
    assert json.loads(report.read_text())["runs"][0]["results"][0]["ruleId"] == "SF101"


# -- several templates ------------------------------------------------------------------------


def test_several_templates_and_folders_in_one_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = make_project(tmp_path / "one", requirements=False)
    make_project(tmp_path / "services" / "two", requirements=False)
    make_project(tmp_path / "services" / "three")

    code, out, err = run(capsys, "lint", "--format", "json", "--select", "SF1", str(first),
                         str(tmp_path / "services"))
    assert (code, err) == (1, "")
    assert sorted((f["file"], f["rule"]) for f in json.loads(out)) == [
        (str(first), "SF101"),
        (str(tmp_path / "services" / "two" / "template.yaml"), "SF101"),
    ]


def test_a_folder_with_a_template_at_its_top(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(tmp_path, requirements=False)

    code, out, _ = run(capsys, "lint", "--select", "SF1", str(tmp_path))
    assert code == 1
    assert out.startswith(f"{tmp_path / 'template.yaml'}:7:7: SF101 ")


def test_a_folder_without_a_template_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()

    code, out, err = run(capsys, "lint", str(tmp_path / "empty"))
    assert (code, out) == (2, "")
    assert one_line_error(err) == (
        f"{tmp_path / 'empty'}: no template.yaml, template.yml or template.json in this folder")


def test_a_template_without_sam_resources_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(textwrap.dedent("""\
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
        """), encoding="utf-8")

    assert run(capsys, "lint", str(template)) == (
        0, "No problems found.\n", f"{template}: no SAM resources to check\n")


# -- python -m and the installed script -------------------------------------------------------


def test_python_dash_m_runs_the_cli(tmp_path: Path) -> None:
    make_project(tmp_path, requirements=False)

    result = subprocess.run(
        [sys.executable, "-m", "sam_fastapi", "lint", "--select", "SF1", "template.yaml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("template.yaml:7:7: SF101 error ")
    assert result.stderr == ""

    missing = subprocess.run([sys.executable, "-m", "sam_fastapi", "lint", "nope.yaml"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2
    assert missing.stderr == "sam-fastapi: error: nope.yaml: no such file\n"


# -- rules ------------------------------------------------------------------------------------


def test_rules_lists_every_registered_rule(capsys: pytest.CaptureFixture[str]) -> None:
    rules = registered_rules(get_plugin_manager())
    code, out, err = run(capsys, "rules")

    assert (code, err) == (0, "")
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == sorted(rules)
    assert {"SF000", "SF001", "SF002", "SF101", "SF102"} <= set(listed)
    sf101 = next(line for line in out.splitlines() if line.startswith("SF101"))
    assert sf101.split(None, 3)[1:] == [
        "requirements-missing", "error", "A Python function's code folder has no requirements.txt."]


@pytest.mark.parametrize("name", ["SF101", "sf101", "requirements-missing"])
def test_rules_explains_one_rule_by_id_or_name(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    code, out, _ = run(capsys, "rules", name)

    assert code == 0
    assert out.startswith("# SF101 requirements-missing (error)\n\n"
                          "A Python function's code folder has no requirements.txt.\n\n")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert f"\n{section}\n" in out


def test_help_lists_lint_first_and_every_option_has_a_help_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from sam_fastapi.cli import build_parser

    parser = build_parser(get_plugin_manager(entry_points=False))
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    listed = parser.format_help().split("COMMAND\n", 1)[1].split()
    assert listed[0] == "lint", listed
    missing = [f"{name} {action.option_strings or action.dest}"
               for name, sub in [("sam-fastapi", parser), *commands.choices.items()]
               for action in sub._actions
               if not action.help and not isinstance(action, argparse._SubParsersAction)]
    assert not missing, missing


# -- ruff's and cfn-lint's conventions ----------------------------------------------------------


def test_exit_zero_reports_and_exits_0(tmp_path: Path, capsys) -> None:
    template = make_project(tmp_path, requirements=False)

    code, out, _ = run(capsys, "lint", str(template), "--exit-zero")

    assert code == 0
    assert " SF101 error " in out and out.endswith("Found 1 problem (1 error).\n")


def test_fail_level_none_reports_and_exits_0(tmp_path: Path) -> None:
    template = make_project(tmp_path, requirements=False)

    done = subprocess.run(
        [sys.executable, "-m", "sam_fastapi", "lint", str(template), "--fail-level", "none"],
        capture_output=True, text=True, check=False)

    assert (done.returncode, done.stderr) == (0, "")
    assert " SF101 error " in done.stdout
    assert done.stdout.endswith("Found 1 problem (1 error).\n")


def test_fail_level_help_lists_none(capsys) -> None:
    code, _, err = run(capsys, "lint", "--fail-level", "fatal")

    assert code == 2
    assert "(choose from 'info', 'warning', 'error', 'none')" in err


# -- a template on standard input ---------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def lint_process(*argv: str, stdin: bytes | None = None,
                 cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "sam_fastapi", "lint", "--no-cache", *argv],
                          input=stdin, capture_output=True, cwd=cwd, check=False)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(),
                                       done.stderr.decode())


def project_files(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.parametrize("example", ["movies", "broken"])
def test_a_template_on_stdin_gives_the_findings_of_the_file(example: str) -> None:
    template = f"examples/{example}/template.yaml"
    before = project_files(REPO / "examples" / example)

    from_file = lint_process(template)
    from_stdin = lint_process("-", "--stdin-filename", template,
                              stdin=(REPO / template).read_bytes())

    assert (from_stdin.returncode, from_stdin.stdout, from_stdin.stderr) == (
        from_file.returncode, from_file.stdout, from_file.stderr)
    assert from_file.returncode == (1 if example == "broken" else 0)
    assert f"{template}:" in from_stdin.stdout or example == "movies"
    assert project_files(REPO / "examples" / example) == before  # nothing written there


def test_stdin_defaults_to_template_yaml_in_the_working_folder_and_its_config(
    tmp_path: Path,
) -> None:
    template = make_project(tmp_path, requirements=False)
    text = template.read_bytes()
    template.unlink()  # the text comes only from standard input

    done = lint_process("-", stdin=text, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("template.yaml:7:7: SF101 error no requirements.txt")

    (tmp_path / "pyproject.toml").write_text('[tool.sam-fastapi]\nignore = ["SF101"]\n')
    done = lint_process("-", stdin=text, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "No problems found.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml", "svc"]


@pytest.mark.parametrize(("text", "message"), [
    (b"\xff\xfe", "template.yaml:1:1: SF001 error template is not UTF-8 text"),
    (b"Resources: [", "template.yaml:2:1: SF001 error did not find expected node content"),
    (b"- 1\n", "template.yaml:1:1: SF001 error template is not a mapping of sections"),
])
def test_bad_input_on_stdin_is_a_finding(tmp_path: Path, text: bytes, message: str) -> None:
    done = lint_process("-", stdin=text, cwd=tmp_path)

    assert done.returncode == 1
    assert done.stdout.startswith(message), done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("argv", "message"), [
    (("-", "template.yaml"), "- reads one template from standard input; give no other paths"),
    (("--stdin-filename", "template.yaml"), "--stdin-filename names the template read from "
                                            "standard input; give - as the path"),
])
def test_stdin_misuse_is_a_one_line_error(tmp_path: Path, argv: tuple[str, ...],
                                          message: str) -> None:
    make_project(tmp_path)

    done = lint_process(*argv, stdin=b"", cwd=tmp_path)

    assert (done.returncode, done.stdout) == (2, "")
    assert one_line_error(done.stderr) == message


def test_quiet_prints_the_findings_and_nothing_else(tmp_path: Path, capsys) -> None:
    template = make_project(tmp_path, requirements=False)
    clean = make_project(tmp_path / "clean")

    code, out, err = run(capsys, "lint", str(template), "--quiet")
    assert (code, err) == (1, "")
    assert out == (f"{template}:7:7: SF101 error no requirements.txt in CodeUri folder of "
                   "CastFunction; add one (empty when a layer provides the dependencies) "
                   "[CastFunction]\n")
    assert run(capsys, "lint", str(clean), "-q") == (0, "", "")


def test_statistics_counts_findings_per_rule(tmp_path: Path, capsys) -> None:
    first = make_project(tmp_path / "a", requirements=False)
    second = make_project(tmp_path / "b", requirements=False)

    code, out, _ = run(capsys, "lint", str(first), str(second), "--statistics")

    assert (code, out) == (1, "2 SF101 requirements-missing\n")
    code, _, err = run(capsys, "lint", str(first), "--statistics", "--format", "json")
    assert code == 2
    assert one_line_error(err) == ("--statistics prints text; it cannot be combined with "
                                   "--format json")
