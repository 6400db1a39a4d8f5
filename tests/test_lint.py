"""The lint runner: SF001/SF002 through the pipeline, findings from checks, filters, results."""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext, Memo
from sam_fastapi.config import LintConfig
from sam_fastapi.findings import Finding, Location, Rule, Severity, Violation
from sam_fastapi.lint import Linter, collect_templates
from sam_fastapi.plugins import get_plugin_manager
from sam_fastapi.template import Project

DOCS = "## What it does\nx\n## Why is this bad?\nx\n## Example\nx\n## Use instead\nx\n"


class HandlerFileCheck:
    """Reports in another file (``location``) and in the template (``path``)."""

    rule = Rule("SF950", "test-locations", Severity.WARNING, "Test rule.", DOCS)

    def run(self, project: Project, ctx: object) -> Iterator[Violation]:
        for function in project.functions.values():
            yield Violation("in the handler file", resource=function.logical_id,
                            location=Location("svc/app.py", 3, 5))
            yield Violation("at the handler", resource=function.logical_id,
                            path=("Resources", function.logical_id, "Properties", "Handler"))
            yield Violation("nowhere in particular")


class TestPlugin:
    @hookimpl
    def sam_fastapi_register_checks(self) -> list[HandlerFileCheck]:
        return [HandlerFileCheck()]


def linter(*select: str, **config: object) -> Linter:
    pm = get_plugin_manager(entry_points=False)
    pm.register(TestPlugin())
    return Linter(pm, LintConfig(select=select, **config))


def write(folder: Path, text: str, name: str = "template.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def pairs(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.rule, f.location.line, f.location.column) for f in findings]


FUNCTION = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  CastFunction:
    Type: AWS::Serverless::Function
    Metadata:
      sam-fastapi:
        ignore: {NOTE}
    Properties:
      CodeUri: svc/
      Handler: app.handler
      Runtime: python3.12
"""


# -- SF002 ------------------------------------------------------------------------------------


def test_sf002_names_the_resource_the_translator_rejects(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fine:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: s3://b/k.zip, Handler: app.handler, Runtime: python3.12}
          CastFunction:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: s3://b/k.zip
              Handler: app.handler
              Runtime: python3.12
              Events:
                List:
                  Type: Api
                  Properties: {Method: get}
        """)
    (finding,) = linter("SF002").lint([path]).findings

    assert (finding.rule, finding.severity, finding.resource) == ("SF002", Severity.ERROR,
                                                                  "CastFunction")
    assert finding.location == Location(str(path), 6, 3)
    assert finding.message == ("Resource with id [CastFunction] is invalid. Event with id [List] "
                               "is invalid. Property 'Path' is required.")


def test_sf002_for_globals_points_at_the_globals_key(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Timeout: 10
            Bogus: 1
        Resources:
          CastFunction:
            Type: AWS::Serverless::Function
            Properties: {CodeUri: s3://b/k.zip, Handler: app.handler, Runtime: python3.12}
        """)
    (finding,) = linter("SF002").lint([path]).findings

    assert finding.location == Location(str(path), 5, 5)
    assert finding.message.startswith(
        "'Globals' section is invalid. 'Bogus' is not a supported property of 'Function'.")
    assert finding.resource is None


def test_sf002_is_silenced_by_the_resource_metadata(tmp_path: Path) -> None:
    path = write(tmp_path, FUNCTION.replace("{NOTE}", "[SF002]").replace(
        "      Runtime: python3.12\n",
        "      Runtime: python3.12\n      Events:\n        E:\n          Type: Api\n"
        "          Properties: {Method: get}\n"))

    assert linter("SF002").lint([path]).findings == []


def test_no_transform_no_sf002(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        Resources:
          CastFunction:
            Type: AWS::Serverless::Function
            Properties:
              Events: {E: {Type: Api, Properties: {Method: get}}}
        """)

    assert pairs(linter("SF002", "E3038").lint([path]).findings) == [("E3038", 3, 5)]


# -- SF001 ------------------------------------------------------------------------------------


def test_sf001_replaces_every_other_finding(tmp_path: Path) -> None:
    path = write(tmp_path, "Resources:\n  Fn: {Type: AWS::Serverless::Function\n")
    result = linter().lint([path])

    assert pairs(result.findings) == [("SF001", 3, 1)]
    assert result.findings[0].name == "template-unreadable"
    assert result.notes == []
    assert linter("SF1").lint([path]).findings == []


# -- findings from checks ---------------------------------------------------------------------


def test_violations_become_findings_at_their_location_or_template_path(tmp_path: Path) -> None:
    path = write(tmp_path, FUNCTION.replace("{NOTE}", "[]"))
    findings = linter("SF950").lint([path]).findings

    assert [(f.location.file, f.location.line, f.location.column, f.message, f.resource)
            for f in findings] == [
        (str(path), 1, 1, "nowhere in particular", None),
        (str(path), 10, 7, "at the handler", "CastFunction"),
        ("svc/app.py", 3, 5, "in the handler file", "CastFunction"),
    ]
    assert {f.severity for f in findings} == {Severity.WARNING}


@pytest.mark.parametrize(
    ("ignore", "kept"),
    [("[SF950]", 1), ("[SF9]", 1), ("[SF951, E]", 3), ("SF950", 3), ("[]", 3), ("{a: b}", 3)],
)
def test_resource_metadata_ignore_is_a_list_of_prefixes(
    tmp_path: Path, ignore: str, kept: int
) -> None:
    path = write(tmp_path, FUNCTION.replace("{NOTE}", ignore))

    assert len(linter("SF950").lint([path]).findings) == kept


def test_severity_overrides_and_failed(tmp_path: Path) -> None:
    path = write(tmp_path, FUNCTION.replace("{NOTE}", "[]"))
    result = linter("SF950", severities={"SF950": Severity.INFO}).lint([path])

    assert {f.severity for f in result.findings} == {Severity.INFO}
    assert result.failed(Severity.INFO)
    assert not result.failed(Severity.WARNING)
    assert {"SF000", "SF001", "SF002", "SF101", "SF950"} <= set(result.rules)


def test_findings_of_several_templates_are_sorted_and_notes_kept(tmp_path: Path) -> None:
    second = write(tmp_path / "b", FUNCTION.replace("{NOTE}", "[]"))
    first = write(tmp_path / "a", FUNCTION.replace("{NOTE}", "[]"))
    plain = write(tmp_path / "c", "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n")
    result = linter("SF950").lint([second, plain, first])

    assert [(f.location.file, f.location.line) for f in result.findings] == [
        (str(first), 1), (str(first), 10), (str(second), 1), (str(second), 10),
        ("svc/app.py", 3), ("svc/app.py", 3)]
    assert result.notes == [f"{plain}: no SAM resources to check"]
    assert result.templates == [second, plain, first]


def test_files_below_the_working_folder_are_shown_relative_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "app", FUNCTION.replace("{NOTE}", "[]").replace(
        "CodeUri: svc/", "CodeUri: svc/\n      MemorySize: 64"))
    monkeypatch.chdir(tmp_path)
    findings = linter("SF950", "E3034").lint([path]).findings

    assert sorted({f.location.file for f in findings}) == ["app/template.yaml", "svc/app.py"]


# -- collecting templates ---------------------------------------------------------------------


def test_collect_templates_from_files_and_folders(tmp_path: Path) -> None:
    top = write(tmp_path, "Resources: {}\n")
    nested = write(tmp_path / "svc", "Resources: {}\n", name="template.yml")
    json_template = write(tmp_path / "other", "{}", name="template.json")
    write(tmp_path / "deep" / "er", "Resources: {}\n")
    (tmp_path / "empty").mkdir()

    templates, problems = collect_templates(
        [tmp_path, tmp_path / "missing.yaml", tmp_path / "empty"])
    assert templates == sorted([top, nested, json_template])
    assert problems == [
        f"{tmp_path / 'missing.yaml'}: no such file",
        f"{tmp_path / 'empty'}: no template.yaml, template.yml or template.json in this folder",
    ]


# -- odd input through every check ------------------------------------------------------------


#: A template cfn-lint itself crashes on (an AttributeError: Metadata is a list, not a mapping).
CFN_LINT_CRASHES = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Metadata: [BuildMethod]
    Properties: {Handler: app.handler, Runtime: python3.12, CodeUri: s3://b/k.zip,
                 Events: {E: {Type: Api, Properties: {Method: get}}}}
"""


def test_cfn_lint_crashing_on_odd_input_is_sf000_and_the_rest_still_runs(tmp_path: Path) -> None:
    path = write(tmp_path, CFN_LINT_CRASHES)
    pm = get_plugin_manager(entry_points=False)
    findings = Linter(pm, LintConfig()).lint([path]).findings

    assert [(rule, line) for rule, line, _ in pairs(findings) if rule.startswith("SF0")] == [
        ("SF000", 1), ("SF002", 3)]
    assert findings[0].message.startswith("cfn-lint crashed: AttributeError: ")


def test_cfn_lint_crashing_gives_the_same_findings_through_warm_children(tmp_path: Path) -> None:
    from sam_fastapi.child import WarmChildren

    path = write(tmp_path, CFN_LINT_CRASHES)
    pm = get_plugin_manager(entry_points=False)
    config = LintConfig(use_cache=False)
    children = WarmChildren()
    try:
        # Twice: the crashed child is replaced, and the fresh one crashes the same way.
        warm = [Linter(pm, config, children=children).lint([path]).findings for _ in range(2)]
    finally:
        children.close()
    cold = Linter(pm, config).lint([path]).findings
    assert warm == [cold, cold]
    assert cold[0].message.startswith("cfn-lint crashed: AttributeError: ")


ODD_RESOURCES = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Layers: not-a-list, Environment: [1]}
Resources:
  EventsList:
    Type: AWS::Serverless::Function
    Properties: {Handler: a.h, Runtime: python3.12, Events: [a, b]}
  PathInt:
    Type: AWS::Serverless::Function
    Properties:
      Handler: 3
      Runtime: [python3.12]
      Events: {E: {Type: Api, Properties: {Path: 42, Method: [get]}}}
  EventPropsString:
    Type: AWS::Serverless::Function
    Properties: {Events: {E: {Type: HttpApi, Properties: not-a-map}, F: 3}}
  CodeDict:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: {Path: svc}, Handler: app.handler, Runtime: python3.12}
  CodeInt:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: 7, Handler: app.handler, Runtime: 3.12}
  PropsString:
    Type: AWS::Serverless::Function
    Properties: a string
  OddMetadata:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: 3, ContextPath: [x], BuildProperties: text}
    Properties: {Handler: [a], Runtime: python3.12, Timeout: soon, Architectures: arm64}
  JustText: just a string
  OddApi:
    Type: AWS::Serverless::Api
    Properties: {StageName: [a], Domain: x, BinaryMediaTypes: image/png}
  OddHttpApi:
    Type: AWS::Serverless::HttpApi
    Properties: {Domain: {BasePath: []}, StageName: {Ref: [x]}}
  OddLayer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: [a], CompatibleRuntimes: python3.12}
  OddRefs:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Layers: [{Ref: [x]}, {Fn::GetAtt: 3}, 7]
      Events: {E: {Type: Api, Properties: {RestApiId: {Ref: 3}, Path: /a, Method: get}}}
"""


def test_wrong_types_everywhere_never_crash_any_check(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "app.py").write_text("handler = None\n")
    path = write(tmp_path, ODD_RESOURCES)
    pm = get_plugin_manager(entry_points=False)
    findings = Linter(pm, LintConfig(use_cache=False)).lint([path]).findings

    assert [f.message for f in findings if f.rule == "SF000"] == []
    assert findings, "the odd template is reported, not silently accepted"


class MemoCheck:
    """Two rules sharing one analysis through ``ctx.memo``; each reports what it was given."""

    computed: list[str] = []

    def __init__(self, rule_id: str) -> None:
        self.rule = Rule(rule_id, f"test-memo-{rule_id}", Severity.WARNING, "Test rule.", DOCS)

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        def compute() -> str:
            MemoCheck.computed.append(project.template_path.name)
            return project.template_path.name

        shared = ctx.memo.get("analysis", compute)
        yield Violation(f"{shared} import={ctx.config.import_apps}")


class MemoPlugin:
    @hookimpl
    def sam_fastapi_register_checks(self) -> list[MemoCheck]:
        return [MemoCheck("SF951"), MemoCheck("SF952")]


def test_checks_share_one_memo_per_template_and_get_the_configuration(tmp_path):
    MemoCheck.computed = []
    first = write(tmp_path, FUNCTION, "a/template.yaml")
    second = write(tmp_path, FUNCTION, "b/template.yaml")
    pm = get_plugin_manager(entry_points=False)
    pm.register(MemoPlugin())
    result = Linter(pm, LintConfig(select=("SF95",), use_cache=False,
                                   import_apps=True)).lint([first, second])
    assert sorted(MemoCheck.computed) == ["template.yaml", "template.yaml"]
    assert [f.message for f in result.findings] == ["template.yaml import=True"] * 4


def test_a_memo_computation_that_raises_raises_for_every_asker():
    memo = Memo()
    calls = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("no")

    for _ in range(2):
        with pytest.raises(ValueError):
            memo.get("k", broken)
    assert calls == [1]


def test_a_memo_asker_waits_for_the_computation_under_way():
    memo = Memo()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> object:
        calls.append(1)
        started.set()
        release.wait(10)
        return object()

    results: list[object] = []
    first = threading.Thread(target=lambda: results.append(memo.get("k", slow)))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: results.append(memo.get("k", slow)))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waiting for the first asker's result, not computing its own
    release.set()
    first.join(10)
    second.join(10)
    assert calls == [1]
    assert len(results) == 2 and results[0] is results[1] is memo.get("k", slow)
