"""The corpus of broken projects: ``sam-fastapi lint`` on each gives exactly the expected findings.

Each folder of ``tests/corpus`` is one small project with one defect (or one nasty shape), and an
``expected.json``:

- ``defect``: what is wrong, in words;
- ``findings``: ``[rule, file, line]`` for every finding, file relative to the project copy;
- ``exit``: the exit code (default 1 when there are error findings, else 0);
- ``template``: the template to lint (default ``template.yaml``);
- ``args``: lint options (default ``DEFAULT_ARGS``: cfn-lint and the SAM transform cost seconds
  a run and are not the point of most cases);
- ``symlinks``, ``fifos``, ``sparse``, ``append``: what git cannot hold or should not: symlinks
  (``link: target``), named pipes, sparse files (``path: size``) and big files
  (``path: [line, times]``), made in the copy before the run.

The project is copied to ``tmp_path`` first: the corpus stays clean, and the copy has no
``pyproject.toml`` above it, so each case decides its own project root.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from sam_fastapi.cli import main
from sam_fastapi.plugins import get_plugin_manager, registered_rules

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.json").is_file())
#: Far above any case (the slowest, --import, takes a few seconds): only a hang reaches it.
TIME_LIMIT = 120
#: Everything but cfn-lint and the SAM transform (SF002), which cost seconds per run.
DEFAULT_ARGS = ("--select", "SF001,SF1,SF2,SF3,SF4,SF5")


def materialise(case: str, into: Path) -> dict[str, Any]:
    spec = json.loads((CORPUS / case / "expected.json").read_text(encoding="utf-8"))
    shutil.copytree(CORPUS / case, into, symlinks=True,
                    ignore=shutil.ignore_patterns("expected.json"))
    for link, target in spec.get("symlinks", {}).items():
        (into / link).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, into / link)
    for fifo in spec.get("fifos", ()):
        (into / fifo).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(into / fifo)
    for name, size in spec.get("sparse", {}).items():
        with open(into / name, "wb") as stream:
            stream.truncate(size)
    for name, (line, times) in spec.get("append", {}).items():
        with open(into / name, "a", encoding="utf-8") as stream:
            stream.write(line * times)
    return spec


def run_lint(args: list[str]) -> int:
    """``main(args)`` in a daemon thread: a reader stuck on a FIFO fails the case, not the run."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(main(args))
        except BaseException as exc:  # the test reports it
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(TIME_LIMIT)
    assert outcome, f"lint did not finish within {TIME_LIMIT} s"
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def test_the_corpus_is_large_enough_and_shows_every_rule():
    assert len(CASES) >= 40
    specs = [json.loads((CORPUS / case / "expected.json").read_text()) for case in CASES]
    shown = {rule for spec in specs for rule, _, _ in spec["findings"]}
    # SF000 (a crashed check) has its own tests: test_lint_hostile_checks.py.
    rules = set(registered_rules(get_plugin_manager(entry_points=False))) - {"SF000"}
    assert rules - shown == set()


@pytest.mark.parametrize("case", CASES)
def test_lint_reports_exactly_the_expected_findings(case, tmp_path, monkeypatch, capsys):
    project = tmp_path / case
    spec = materialise(case, project)
    report = tmp_path / "report.json"
    monkeypatch.chdir(project)
    code = run_lint(["lint", spec.get("template", "template.yaml"), "--format", "json",
                     "--no-cache", "--output", str(report), *spec.get("args", DEFAULT_ARGS)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    findings = json.loads(report.read_text(encoding="utf-8"))
    got = sorted([f["rule"], f["file"], f["line"]] for f in findings)
    assert got == sorted(spec["findings"]), (spec["defect"], findings)
    errors = any(f["severity"] == "error" for f in findings)
    assert code == spec.get("exit", 1 if errors else 0)
