"""The lint cache: reused when nothing changed, never hiding a finding, never in the project."""

from __future__ import annotations

import json
import os
import pickle
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


@pytest.mark.parametrize("damage", [b"", b"not a pickle", pickle.dumps({"x": 1})[:-3]])
def test_a_damaged_entry_is_a_miss(tmp_path: Path, damage: bytes) -> None:
    cache = Cache("lint", tmp_path)
    key = digest("k")
    cache.put(key, "value")
    (tmp_path / "lint" / key[:2] / key).write_bytes(damage)

    assert cache.get(key) is None


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
    assert translations(translator_starts) == 0
    assert entries(folder) == stored


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
    assert pickle.loads(entry.read_bytes()) is not None


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
