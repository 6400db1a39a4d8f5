"""The lint cache: reused when nothing changed, never hiding a finding, never in the project."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sam_fastapi.cache import Cache, cache_dir, digest
from sam_fastapi.cli import main

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  CastFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: svc/
      Handler: app.handler
      Runtime: python3.12
"""

# Audit hooks cannot be removed, so this one only records process starts for the fixture.
_started: list[str] = []


def _audit(event: str, args: tuple) -> None:
    if event == "subprocess.Popen":
        _started.append(" ".join(map(str, args[1] or ())))


sys.addaudithook(_audit)


@pytest.fixture
def translator_starts() -> Iterator[list[str]]:
    """The command lines of the translator processes started while the test runs."""
    _started.clear()
    yield _started


def translations(started: list[str]) -> int:
    return sum("sam_fastapi.translate" in command for command in started)


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "svc").mkdir(parents=True)
    (folder / "svc" / "app.py").write_text("handler = None\n", encoding="utf-8")
    (folder / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    return folder


def lint(project: Path, capsys: pytest.CaptureFixture[str], *options: str) -> list[tuple]:
    main(["lint", "--format", "json", "--select", "SF0,SF1,E,W", *options,
          str(project / "template.yaml")])
    return [(f["rule"], f["line"]) for f in json.loads(capsys.readouterr().out)]


# -- the cache object -------------------------------------------------------------------------


def test_put_then_get_and_a_miss(tmp_path: Path) -> None:
    cache = Cache("lint", tmp_path)
    key = digest("a", b"b")
    cache.put(key, {"value": [1, 2]})

    assert cache.get(key) == {"value": [1, 2]}
    assert cache.get(digest("other")) is None
    assert entries(tmp_path) == [tmp_path / "lint" / key[:2] / key]


def test_digest_separates_its_parts() -> None:
    assert digest("ab", "c") != digest("a", "bc")
    assert digest("a", b"b") == digest(b"a", "b")


@pytest.mark.parametrize("damage", [b"", b"not json", b'{"format": 2, "key"', b"\xff\xfe",
                                    b"[" * 100_000, pickle.dumps("value")])
def test_a_damaged_entry_is_a_miss(tmp_path: Path, damage: bytes) -> None:
    cache = Cache("lint", tmp_path)
    key = digest("k")
    cache.put(key, "value")
    (tmp_path / "lint" / key[:2] / key).write_bytes(damage)

    assert cache.get(key) is None


def test_an_entry_written_for_another_key_is_a_miss(tmp_path: Path) -> None:
    cache = Cache("lint", tmp_path)
    mine, other = digest("mine"), digest("other")
    cache.put(other, "for other inputs")
    (tmp_path / "lint" / mine[:2]).mkdir(parents=True)
    (tmp_path / "lint" / other[:2] / other).rename(tmp_path / "lint" / mine[:2] / mine)

    assert cache.get(mine) is None


def test_a_value_json_cannot_hold_is_not_stored(tmp_path: Path) -> None:
    cache = Cache("lint", tmp_path)
    cache.put(digest("a"), {"path": Path("x")})
    cache.put(digest("b"), float("nan"))

    assert entries(tmp_path) == []


def test_an_unwritable_cache_folder_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = Cache("lint", blocker)

    cache.put(digest("k"), "value")
    assert cache.get(digest("k")) is None


def test_cache_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAM_FASTAPI_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_dir() == tmp_path / "explicit"

    monkeypatch.delenv("SAM_FASTAPI_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "sam-fastapi"

    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "sam-fastapi"


# -- through lint -----------------------------------------------------------------------------


def test_an_unchanged_project_reuses_the_analysis(
    project: Path, capsys: pytest.CaptureFixture[str], translator_starts: list[str]
) -> None:
    folder = Path(os.environ["SAM_FASTAPI_CACHE_DIR"])

    first = lint(project, capsys)
    assert translations(translator_starts) == 1
    stored = entries(folder)
    assert len(stored) == 1

    translator_starts.clear()
    assert lint(project, capsys) == first == [("SF101", 6)]
    assert translator_starts == []  # neither the translator nor cfn-lint was started
    assert entries(folder) == stored


#: What only a miss needs: the machinery that starts and talks to the cfn-lint and translator
#: processes, and what those processes import.
CHILD_MODULES = ("sam_fastapi.child", "sam_fastapi.translate", "sam_fastapi.cfn_memos",
                 "cfnlint", "samtranslator")


def test_an_unchanged_run_imports_no_child_machinery(project: Path, tmp_path: Path) -> None:
    code = ("import sys; from sam_fastapi.cli import main; "
            "code = main(['lint', 'template.yaml']); "
            f"print(sorted(m for m in sys.modules if m.partition('.')[0] in {CHILD_MODULES!r} "
            f"or m in {CHILD_MODULES!r}))")
    env = {**os.environ, "SAM_FASTAPI_CACHE_DIR": str(tmp_path / "cache")}

    def imported() -> str:
        result = subprocess.run([sys.executable, "-c", code], cwd=project, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.stderr == ""
        return result.stdout.splitlines()[-1]

    assert "sam_fastapi.child" in imported()  # a miss: the cfn-lint and translator children
    assert imported() == "[]"  # the cache answers: none of it is imported


def test_a_miss_starts_each_analysis_once(
    project: Path, capsys: pytest.CaptureFixture[str], translator_starts: list[str]
) -> None:
    lint(project, capsys, "--no-cache")

    assert sorted(c.rsplit(" ", 1)[-1] for c in translator_starts) == [
        "sam_fastapi.cfn", "sam_fastapi.translate"]


def test_sam_fastapi_cache_dir_moves_the_cache(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SAM_FASTAPI_CACHE_DIR", str(tmp_path / "elsewhere"))

    lint(project, capsys)
    assert len(entries(tmp_path / "elsewhere" / "lint")) == 1


def test_no_cache_neither_reads_nor_writes(
    project: Path, capsys: pytest.CaptureFixture[str], translator_starts: list[str]
) -> None:
    folder = Path(os.environ["SAM_FASTAPI_CACHE_DIR"])
    lint(project, capsys)
    stored = entries(folder)

    translator_starts.clear()
    assert lint(project, capsys, "--no-cache") == [("SF101", 6)]
    assert translations(translator_starts) == 1
    assert entries(folder) == stored

    other = project.parent / "other"
    other.mkdir()
    (other / "template.yaml").write_text(TEMPLATE.replace("svc/", "gone/"), encoding="utf-8")
    lint(other, capsys, "--no-cache")
    assert entries(folder) == stored


def test_a_changed_code_folder_is_never_hidden(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lint(project, capsys) == [("SF101", 6)]

    (project / "svc" / "requirements.txt").write_text("fastapi\n")
    assert lint(project, capsys) == []

    (project / "svc" / "requirements.txt").unlink()
    assert lint(project, capsys) == [("SF101", 6)]


def test_a_changed_template_is_never_hidden(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = project / "template.yaml"
    assert lint(project, capsys) == [("SF101", 6)]

    template.write_text(TEMPLATE + "  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                        "      BucketNam: x\n", encoding="utf-8")
    assert lint(project, capsys) == [("SF101", 6), ("E3002", 12)]

    template.write_text(TEMPLATE, encoding="utf-8")
    assert lint(project, capsys) == [("SF101", 6)]


def test_changed_samconfig_and_cfnlintrc_are_never_hidden(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    template = project / "template.yaml"
    template.write_text(
        "Parameters:\n  Code:\n    Type: String\n    Default: svc/\n"
        + TEMPLATE.replace("CodeUri: svc/", "CodeUri: !Ref Code")
        + "  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketNam: x\n",
        encoding="utf-8")
    monkeypatch.chdir(project)
    assert lint(project, capsys) == [("SF101", 10), ("E3002", 16)]

    (project / "samconfig.toml").write_text(
        '[default.deploy.parameters]\nparameter_overrides = "Code=missing/"\n')
    assert lint(project, capsys, "--select", "SF10,E") == [("SF102", 10), ("E3002", 16)]

    (project / ".cfnlintrc").write_text("ignore_checks:\n  - E3002\n")
    assert lint(project, capsys, "--select", "SF10,E") == [("SF102", 10)]


def test_a_corrupt_entry_is_analysed_again_and_replaced(
    project: Path, capsys: pytest.CaptureFixture[str], translator_starts: list[str]
) -> None:
    folder = Path(os.environ["SAM_FASTAPI_CACHE_DIR"])
    first = lint(project, capsys)
    (entry,) = entries(folder)
    entry.write_bytes(b"\x80\x05garbage")

    translator_starts.clear()
    assert lint(project, capsys) == first
    assert translations(translator_starts) == 1
    assert entries(folder) == [entry]
    assert json.loads(entry.read_bytes())["value"]["findings"] == []


def test_the_cache_is_never_written_inside_the_project(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SAM_FASTAPI_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(project)
    before = entries(project)

    lint(project, capsys)
    lint(project, capsys)
    assert entries(project) == before
    assert len(entries(tmp_path / "xdg" / "sam-fastapi" / "lint")) == 1


def test_a_narrower_selection_never_hides_findings_later(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "template.yaml").write_text(
        TEMPLATE + "  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketNam: x\n",
        encoding="utf-8")
    main(["lint", "--format", "json", "--select", "SF1", str(project / "template.yaml")])
    assert [f["rule"] for f in json.loads(capsys.readouterr().out)] == ["SF101"]

    assert lint(project, capsys) == [("SF101", 6), ("E3002", 12)]


def test_cached_findings_follow_the_working_folder_of_each_run(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    translator_starts: list[str],
) -> None:
    (project / "template.yaml").write_text(
        TEMPLATE + "      Events:\n        E:\n          Type: Api\n"
        "          Properties: {Method: get}\n", encoding="utf-8")
    template = str(project / "template.yaml")

    def files_and_rules() -> list[tuple[str, str]]:
        main(["lint", "--format", "json", "--select", "SF002,SF101,E3002", template])
        return sorted((f["file"], f["rule"]) for f in json.loads(capsys.readouterr().out))

    monkeypatch.chdir(project.parent)
    assert files_and_rules() == [("project/template.yaml", rule)
                                 for rule in ("E3002", "SF002", "SF101")]
    translator_starts.clear()
    monkeypatch.chdir(project)
    assert files_and_rules() == [("template.yaml", rule) for rule in ("E3002", "SF002", "SF101")]
    assert translations(translator_starts) == 0


# -- planted entries: a cache restored from elsewhere is untrusted input ---------------------

BROKEN = Path(__file__).parent.parent / "examples" / "broken"


class _RunsACommand:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def broken_findings(capsys: pytest.CaptureFixture[str], *options: str) -> list[tuple]:
    main(["lint", "--format", "json", *options, str(BROKEN)])
    return sorted((f["rule"], f["file"], f["line"]) for f in json.loads(capsys.readouterr().out))


@pytest.fixture
def broken_entry(capsys: pytest.CaptureFixture[str]) -> tuple[Path, list[tuple]]:
    """The cache entry of examples/broken after a first run, and that run's findings."""
    found = broken_findings(capsys)
    (entry,) = entries(Path(os.environ["SAM_FASTAPI_CACHE_DIR"]))
    return entry, found


def test_a_planted_pickle_runs_nothing(
    broken_entry: tuple[Path, list[tuple]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry, found = broken_entry
    marker = tmp_path / "ran"
    entry.write_bytes(pickle.dumps(_RunsACommand(marker)))

    assert broken_findings(capsys) == found
    assert not marker.exists()


def test_a_planted_empty_analysis_hides_nothing(
    broken_entry: tuple[Path, list[tuple]], capsys: pytest.CaptureFixture[str]
) -> None:
    entry, found = broken_entry
    assert len(found) == 21
    assert broken_findings(capsys, "--no-cache") == found
    key = entry.name
    for planted in (
        pickle.dumps(({"Resources": {}}, {}, [])),
        json.dumps({"format": 2, "key": key, "value": [{"Resources": {}}, {}, []]}).encode(),
        json.dumps({"format": 2, "key": key,
                    "value": {"template": {"Resources": {}}, "positions": {},
                              "external": [{"rule": "E0000"}]}}).encode(),
    ):
        entry.write_bytes(planted)
        assert broken_findings(capsys) == found


def test_stored_findings_never_change_what_our_checks_report(
    broken_entry: tuple[Path, list[tuple]], capsys: pytest.CaptureFixture[str]
) -> None:
    """An entry of the right shape holds only cfn-lint's and the transform's findings: our
    checks run on the files as they are on disk, whatever it says."""
    entry, found = broken_entry
    key = entry.name
    entry.write_bytes(json.dumps({"format": 2, "key": key,
                                  "value": {"findings": [], "rules": []}}).encode())

    ours = [f for f in found if f[0] not in ("SF002",) and f[0].startswith("SF")]
    assert len(ours) == 20
    assert broken_findings(capsys) == ours


@pytest.mark.parametrize("value", [
    None, 7, "text", [], {"external": []}, {"rules": [], "findings": None},
    {"rules": [], "findings": [None]}, {"rules": [], "findings": [{}]},
    {"rules": [], "findings": [{"rule": "E1", "name": "n", "severity": "fatal", "message": "m",
                                "resource": None, "location": ["t.yaml", 1, 1, None, None]}]},
    {"rules": [], "findings": [{"rule": "E1", "name": "n", "severity": "error", "message": "m",
                                "resource": None, "location": ["t.yaml", "1", 1, None, None]}]},
    {"rules": [], "findings": [{"rule": "E1", "name": "n", "severity": "error", "message": "m",
                                "resource": None, "location": {"file": "t.yaml"}}]},
    {"rules": [], "findings": [{"rule": ["E1"], "name": "n", "severity": "error", "message": "m",
                                "resource": None, "location": ["t.yaml", 1, 1, None, None]}]},
    {"rules": [{"id": "E1"}], "findings": []},
])
def test_a_wrong_shape_entry_is_analysed_again(
    project: Path, capsys: pytest.CaptureFixture[str], translator_starts: list[str],
    value: object,
) -> None:
    first = lint(project, capsys)
    (entry,) = entries(Path(os.environ["SAM_FASTAPI_CACHE_DIR"]))
    entry.write_text(json.dumps({"format": 2, "key": entry.name, "value": value}))

    translator_starts.clear()
    assert lint(project, capsys) == first
    assert translations(translator_starts) == 1


def test_every_run_in_a_sequence_of_edits_equals_a_cold_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Edits, and edits back to a state the cache has seen: lint with the cache reports what
    ``--no-cache`` reports, every time."""
    template = project / "template.yaml"
    bucket = "  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketNam: x\n"
    edits = [
        lambda: template.write_text(TEMPLATE + "      MemorySize: 256\n"),
        lambda: template.write_text(TEMPLATE + "      MemorySize: 257\n" + bucket),
        lambda: (project / "svc" / "requirements.txt").write_text(""),
        lambda: template.write_text(TEMPLATE + "      MemorySize: 256\n"),  # seen before
        lambda: (project / "svc" / "app.py").write_text("def handler(:\n"),
        lambda: template.write_text(TEMPLATE.replace("CastFunction", "CrewFunction")),
        lambda: template.write_text(TEMPLATE + "      Events:\n        E:\n          Type: Api\n"
                                    "          Properties: {Method: get}\n"),
        lambda: template.write_text(TEMPLATE),  # back to the start
    ]
    seen = set()
    for edit in edits:
        edit()
        cached = lint(project, capsys, "--select", "SF,E")
        assert cached == lint(project, capsys, "--select", "SF,E", "--no-cache")
        seen.add(tuple(cached))
    assert len(seen) >= 5  # the edits did change the findings


@pytest.mark.parametrize("value", [
    None,
    {"external": []},  # the shape stored before cfn-lint's rules were kept with the findings
    {"findings": [], "rules": [{"id": "E3012"}]},
    {"findings": [], "rules": [{"id": "E3012", "name": "x", "severity": "fatal", "summary": "s",
                                "docs": "d", "help_uri": None}]},
    {"findings": [], "rules": [{"id": "E3012", "name": "x", "severity": "error", "summary": "s",
                                "docs": "d", "help_uri": 3}]},
])
def test_a_lint_entry_of_another_shape_is_refused(value: object) -> None:
    from sam_fastapi.cfn import CfnLintReport

    with pytest.raises(ValueError):
        CfnLintReport.from_json(value)


def test_a_lint_entry_round_trips_with_its_rules() -> None:
    from sam_fastapi.cfn import CfnLintReport
    from sam_fastapi.findings import Finding, Location, Rule, Severity

    report = CfnLintReport(
        [Finding("E3012", "Check values", Severity.ERROR, "bad", Location("t.yaml", 5, 7))],
        [Rule("E3012", "Check values", Severity.ERROR, "Checks values.", "Checks values.",
              help_uri="https://example.com/e3012")])

    assert CfnLintReport.from_json(json.loads(json.dumps(report.to_json()))) == report
