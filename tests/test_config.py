"""``[tool.sam-fastapi]`` settings, command-line overrides and per-resource suppressions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sam_fastapi.cli import main
from sam_fastapi.config import ConfigError, LintConfig, load_config
from sam_fastapi.findings import Severity

# Two functions without requirements.txt (SF101 at lines 7 and 16), one silenced on its
# resource, and a cfn-lint warning (W3005 at line 22).
TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: svc/
      Runtime: python3.12
  Quiet:
    Type: AWS::Serverless::Function
    Metadata:
      sam-fastapi:
        ignore: [SF10]
    Properties:
      Handler: app.handler
      CodeUri: svc/
      Runtime: python3.12
  Bucket:
    Type: AWS::S3::Bucket
  Topic:
    Type: AWS::SNS::Topic
    DependsOn: Bucket
    Properties:
      TopicName: !Ref Bucket
"""


def write_pyproject(folder: Path, body: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    return tmp_path


def lint(project: Path, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, list[str]]:
    code = main(["lint", str(project / "template.yaml"), *options])
    out, err = capsys.readouterr()
    assert err == ""
    return code, [
        " ".join(line.removeprefix(f"{project / 'template.yaml'}:").split()[:3])
        for line in out.splitlines()[:-1]
    ]


# -- reading the file -------------------------------------------------------------------------


def test_no_pyproject_or_no_section_is_the_default(tmp_path: Path) -> None:
    assert load_config(tmp_path) == LintConfig()
    write_pyproject(tmp_path, "[project]\nname = 'x'\n[tool.ruff]\nline-length = 1\n")
    assert load_config(tmp_path) == LintConfig()


def test_all_settings_are_read_from_the_nearest_pyproject(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.sam-fastapi]\nselect = ['E']\n")
    (tmp_path / "app" / "deeper").mkdir(parents=True)
    nearest = write_pyproject(tmp_path / "app", """\
        [tool.sam-fastapi]
        select = ["SF", "E3"]
        ignore = ["SF2"]
        fail-level = "warning"
        severity = {SF101 = "warn", W3005 = "error"}
        cache = false
        """)
    config = load_config(tmp_path / "app" / "deeper")

    assert config == LintConfig(
        select=("SF", "E3"),
        ignore=("SF2",),
        fail_level=Severity.WARNING,
        severities={"SF101": Severity.WARNING, "W3005": Severity.ERROR},
        use_cache=False,
        source=nearest,
    )


def test_select_and_ignore_match_by_prefix() -> None:
    config = LintConfig(select=("SF1", "E3"), ignore=("SF10", "E3002"))

    assert [r for r in ("SF101", "SF110", "SF201", "E3001", "E3002", "W3005")
            if config.is_selected(r)] == ["SF110", "E3001"]
    assert LintConfig().is_selected("anything")


def test_command_line_overrides_select_and_fail_level_and_adds_ignores() -> None:
    config = LintConfig(select=("E",), ignore=("SF2",), fail_level=Severity.ERROR)
    merged = config.with_options(select=["SF1"], ignore=["W"], fail_level="info", use_cache=False)

    assert merged.select == ("SF1",)
    assert merged.ignore == ("SF2", "W")
    assert merged.fail_level == Severity.INFO
    assert not merged.use_cache
    assert config.with_options() == config


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("tool = 1\n", None),
        ("[tool]\nsam-fastapi = 3\n", "must be a table"),
        ("[tool.sam-fastapi]\nselect = 'SF1'\n", "select must be a list of rule ids"),
        ("[tool.sam-fastapi]\nignore = [1]\n", "ignore must be a list of rule ids"),
        ("[tool.sam-fastapi]\nfail-level = 'fatal'\n",
         "fail-level: unknown fail level 'fatal' (choose from info, warning, error, none)"),
        ("[tool.sam-fastapi]\nseverity = {SF101 = 'loud'}\n", "severity: unknown severity 'loud'"),
        ("[tool.sam-fastapi]\nseverity = ['SF101']\n", "severity: must be a table"),
        ("[tool.sam-fastapi]\ncache = 'no'\n", "cache must be true or false"),
        ("[tool.sam-fastapi]\nselct = ['SF']\n", "unknown setting 'selct'"),
        ("[tool.sam-fastapi\n", "cannot read"),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path: Path, body: str, fragment: str | None) -> None:
    path = write_pyproject(tmp_path, body)
    if fragment is None:  # a pyproject whose ``tool`` is not a table has no settings for us
        assert load_config(tmp_path) == LintConfig()
        return
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)

    assert str(path) in str(info.value)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


# -- through the command line -----------------------------------------------------------------


def test_defaults_report_unsuppressed_findings(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = lint(project, capsys, "--select", "SF101,W3005")

    assert code == 1
    assert lines == ["7:7: SF101 error", "22:5: W3005 warning"]


def test_resource_metadata_suppresses_only_on_that_resource(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "template.yaml").write_text(
        TEMPLATE.replace("ignore: [SF10]", "ignore: [W3005]"), encoding="utf-8")

    code, lines = lint(project, capsys, "--select", "SF101,W3005")

    assert code == 1
    assert lines == ["7:7: SF101 error", "16:7: SF101 error", "22:5: W3005 warning"]


def test_pyproject_ignore_severity_and_fail_level_apply(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_pyproject(project, """\
        [tool.sam-fastapi]
        select = ["SF101", "W3005"]
        severity = {SF101 = "warning"}
        """)
    assert lint(project, capsys) == (0, ["7:7: SF101 warning", "22:5: W3005 warning"])

    write_pyproject(project, """\
        [tool.sam-fastapi]
        select = ["SF101", "W3005"]
        severity = {SF101 = "warning"}
        fail-level = "warning"
        """)
    assert lint(project, capsys) == (1, ["7:7: SF101 warning", "22:5: W3005 warning"])

    write_pyproject(project, """\
        [tool.sam-fastapi]
        select = ["SF101", "W3005"]
        ignore = ["W"]
        """)
    assert lint(project, capsys) == (1, ["7:7: SF101 error"])


def test_fail_level_none_in_the_file_reports_and_exits_0(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_pyproject(project, """\
        [tool.sam-fastapi]
        select = ["SF101", "W3005"]
        fail-level = "none"
        """)
    assert lint(project, capsys) == (0, ["7:7: SF101 error", "22:5: W3005 warning"])
    # The command line still overrides the file.
    assert lint(project, capsys, "--fail-level", "error") == (
        1, ["7:7: SF101 error", "22:5: W3005 warning"])


def test_command_line_select_overrides_and_ignore_extends_the_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_pyproject(project, """\
        [tool.sam-fastapi]
        select = ["W3005"]
        ignore = ["SF2"]
        """)

    assert lint(project, capsys, "--select", "SF101", "--select", "W3") == (
        1, ["7:7: SF101 error", "22:5: W3005 warning"])
    assert lint(project, capsys, "--select", "SF101,W3", "--ignore", "SF1") == (
        0, ["22:5: W3005 warning"])
    assert lint(project, capsys, "--select", "W3", "--fail-level", "warning") == (
        1, ["22:5: W3005 warning"])


def test_each_template_uses_the_configuration_nearest_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = []
    for name, ignored in (("orders", "W3005"), ("billing", "SF101")):
        folder = tmp_path / name
        (folder / "svc").mkdir(parents=True)
        (folder / "svc" / "app.py").write_text("def handler(event, context):\n    return {}\n")
        (folder / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
        write_pyproject(folder, f"""\
            [tool.sam-fastapi]
            select = ["SF101", "W3005"]
            ignore = ["{ignored}"]
            """)
        templates.append(str(folder / "template.yaml"))

    def findings(*options: str) -> tuple[int, list[str]]:
        code = main(["lint", *templates, "-q", *options])
        out, err = capsys.readouterr()
        assert err == ""
        return code, [" ".join(line.removeprefix(f"{tmp_path}/").split()[:3])
                      for line in out.splitlines()]

    assert findings() == (1, ["billing/template.yaml:22:5: W3005 warning",
                              "orders/template.yaml:7:7: SF101 error"])
    # The command line still applies to every template, over each one's file.
    assert findings("--ignore", "SF101") == (0, ["billing/template.yaml:22:5: W3005 warning"])
    assert findings("--ignore", "SF101", "--fail-level", "warning") == (
        1, ["billing/template.yaml:22:5: W3005 warning"])
    # A fail level in one project's file does not decide for the other's findings.
    write_pyproject(tmp_path / "orders", """\
        [tool.sam-fastapi]
        select = ["SF101"]
        fail-level = "none"
        """)
    assert findings() == (0, ["billing/template.yaml:22:5: W3005 warning",
                              "orders/template.yaml:7:7: SF101 error"])


def test_a_bad_configuration_of_any_template_exits_2(
    project: Path, tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path_factory.mktemp("other")
    (other / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    bad = write_pyproject(other, "[tool.sam-fastapi]\nselect = ['SF1O1']\n")

    assert main(["lint", str(project / "template.yaml"), str(other / "template.yaml")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("sam-fastapi: error: unknown rule 'SF1O1'")
    assert str(bad) in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "body",
    ["tool = 1\n[tool.sam-fastapi]\n", "[tool.sam-fastapi]\nfail-level = 'fatal'\n",
     "[tool.sam-fastapi]\nselect = 'SF1'\n", "[tool.sam-fastapi\n"],
)
def test_bad_configuration_exits_2_with_one_line(
    project: Path, capsys: pytest.CaptureFixture[str], body: str
) -> None:
    write_pyproject(project, body)

    assert main(["lint", str(project / "template.yaml")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("sam-fastapi: error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


# -- unknown rule ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "options", "where"), [
    ("", ("--select", "SF1O1"), "--select"),  # a letter O for a zero
    ("", ("--ignore", "SF101,XX9"), "--ignore"),
    ("", ("--select", "sf1"), "--select"),  # ids are upper case, and matched as given
    ("[tool.sam-fastapi]\nselect = ['SF1O1']\n", (), "[tool.sam-fastapi] select"),
    ("[tool.sam-fastapi]\nignore = ['XX9']\n", (), "[tool.sam-fastapi] ignore"),
    ("[tool.sam-fastapi]\nseverity = {XX9 = 'info'}\n", (), "[tool.sam-fastapi] severity"),
    # A severity names one rule: a prefix there would silently change nothing.
    ("[tool.sam-fastapi]\nseverity = {SF1 = 'info'}\n", (), "[tool.sam-fastapi] severity"),
])
def test_an_unknown_rule_stops_the_run_with_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], body: str, options: tuple[str, ...],
    where: str,
) -> None:
    if body:
        write_pyproject(project, body)
    assert main(["lint", str(project / "template.yaml"), *options]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("sam-fastapi: error: unknown rule ")
    assert where in err and err.count("\n") == 1


def test_rule_ids_and_prefixes_of_ours_and_cfn_lints_are_accepted(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_pyproject(project, """\
        [tool.sam-fastapi]
        select = ["SF", "E", "W3005"]
        severity = {W3005 = "info", SF101 = "info"}
        """)
    code, lines = lint(project, capsys, "--select", "SF1,W3", "--ignore", "E3012")
    assert (code, lines) == (0, ["7:7: SF101 info", "22:5: W3005 info"])


def test_cfn_lints_rule_ids_are_read_without_importing_it() -> None:
    import subprocess
    import sys

    code = ("import sys; from sam_fastapi.cfn import cfn_lint_rule_ids; "
            "ids = cfn_lint_rule_ids(); print(len(ids), 'cfnlint' in sys.modules, "
            "sorted(ids)[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[1] == "False"
    from cfnlint.core import get_rules

    from sam_fastapi.cfn import cfn_lint_rule_ids

    shipped = {rule.id for rule in get_rules([], [], ["I"], [], True, [])}
    assert shipped <= cfn_lint_rule_ids()
    assert int(out[0]) == len(cfn_lint_rule_ids()) > 200
