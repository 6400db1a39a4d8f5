"""``sam-fastapi lint --watch``: real processes on a copy of examples/movies.

Every report the watch prints after an edit must be what a cold ``lint --no-cache`` prints
for the same files, whatever the warm cfn-lint and translator children remember.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sam_fastapi.child import Call, WarmChildren

SAM_FASTAPI = str(Path(sys.executable).with_name("sam-fastapi"))
MOVIES = Path(__file__).parent.parent / "examples" / "movies"
WAITING = "Watching for changes (Ctrl-C stops)."
#: Seconds a report may take on a loaded 2-core machine (the first one imports everything).
PATIENCE = 240


class Watch:
    """A running ``lint --watch``; its standard output read line by line as it comes."""

    def __init__(self, project: Path, *options: str) -> None:
        self.process = subprocess.Popen(
            [SAM_FASTAPI, "lint", "--watch", *options], cwd=project, env=_environment(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self) -> str:
        line = self.lines.get(timeout=PATIENCE)
        assert line is not None, f"the watch exited: {self.stop()}"
        return line

    def report(self) -> tuple[str, list[str]]:
        """The next report: its heading (without the time) and its lines."""
        heading = self.next_line()
        assert heading.startswith("["), heading
        lines = []
        while (line := self.next_line()) != f"[{line[1:9]}] {WAITING}":
            if line.startswith("[") and line[9:11] == "] ":  # a run started at once
                heading, lines = line, []
                continue
            lines.append(line)
        return heading[11:], lines

    def stop(self) -> tuple[int, str]:
        """Ctrl-C: the exit code and what was written on standard error."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            _, err = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return self.process.returncode, err

    def children(self) -> dict[str, int]:
        """The watch's child processes by module (``sam_fastapi.cfn``, ...): their pids."""
        found = {}
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if b"-m" in command:
                    found[command[command.index(b"-m") + 1].decode()] = int(pid)
        return found


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def cold(project: Path) -> list[str]:
    """What a cold ``lint --no-cache`` prints for the project as it is now."""
    done = subprocess.run([SAM_FASTAPI, "lint", "--no-cache"], cwd=project, env=_environment(),
                          capture_output=True, text=True, timeout=PATIENCE)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout.splitlines()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "movies"
    shutil.copytree(MOVIES, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return copy


@pytest.fixture
def watch(project: Path) -> Iterator[Watch]:
    running = Watch(project, "--no-cache")
    yield running
    running.stop()


linux_only = pytest.mark.skipif(
    not Path(f"/proc/self/task/{os.getpid()}/children").is_file(),
    reason="finds the watch's children through /proc/PID/task/TID/children")


def test_each_report_after_an_edit_is_what_a_cold_run_prints(project: Path, watch: Watch) -> None:
    template = project / "template.yaml"
    files = _contents(project)
    heading, first = watch.report()
    assert heading == "Linting template.yaml"
    assert first == cold(project) == ["No problems found."]

    edits = [
        # one function's property
        (template, "      CodeUri: cast_service/\n",
         "      CodeUri: cast_service/\n      MemorySize: 512\n"),
        # an error cfn-lint finds (below Lambda's minimum memory)
        (template, "      MemorySize: 512\n", "      MemorySize: 64\n"),
        # cfn-lint's configuration file, read afresh by the warm cfn-lint on every run
        (project / ".cfnlintrc", None, "ignore_checks: [E3034]\n"),
        # an error of our own checks, in a handler
        (project / "cast_service" / "app" / "main.py", "\n", "\ndef broken(:\n"),
        # the settings lint reads from pyproject.toml
        (project / "pyproject.toml", None, '[tool.sam-fastapi]\nseverity = {SF305 = "warning"}\n'),
        # a layer's Makefile
        (project / "layers" / "shared" / "Makefile", "\tsam-fastapi", "    sam-fastapi"),
        # an error the SAM transform finds
        (template, "              Authorizer: NONE\n", "              Authorizer: Missing\n"),
        # a template that no longer decodes
        (template, "Resources:\n", "Resources: [\n"),
    ]
    seen = set()
    for path, old, new in edits:
        if old is None:
            path.write_text(new, encoding="utf-8")
        else:
            edit(path, old, new)
        heading, lines = watch.report()
        assert heading.endswith(" changed") and path.name in heading
        assert lines == cold(project), (path.name, new)
        seen.update(line.split()[1] for line in lines[:-1])
    assert {"E3034", "SF305", "SF203", "SF002", "SF001"} <= seen

    for path, old, new in reversed(edits):
        if old is None:
            path.unlink()
        else:
            edit(path, new, old)
    _, lines = watch.report()
    assert lines == cold(project) == first
    assert _contents(project) == files  # nothing written into the project


def _contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@linux_only
def test_a_killed_child_is_replaced_and_the_findings_stay_those_of_a_cold_run(
        project: Path, watch: Watch) -> None:
    watch.report()
    children = watch.children()
    assert {"sam_fastapi.cfn", "sam_fastapi.translate"} <= set(children)
    os.kill(children["sam_fastapi.cfn"], signal.SIGKILL)
    os.kill(children["sam_fastapi.translate"], signal.SIGKILL)

    edit(project / "template.yaml", "      CodeUri: cast_service/\n",
         "      CodeUri: cast_service/\n      MemorySize: 64\n")
    _, lines = watch.report()
    assert lines == cold(project)
    assert not any(" SF000 " in line for line in lines)
    assert any(" E3034 " in line for line in lines)
    fresh = watch.children()
    assert fresh["sam_fastapi.cfn"] != children["sam_fastapi.cfn"]
    # The README's example shows this very edit.
    assert lines[0] in readme_example()


def readme_example() -> list[str]:
    """The lines the README shows for ``sam-fastapi lint --watch``."""
    readme = (MOVIES.parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ sam-fastapi lint --watch\n", 1)[1].split("```", 1)[0]
    return block.splitlines()


def test_the_readme_example_has_the_lines_the_watch_prints() -> None:
    shown = [line[11:] if line.startswith("[") else line for line in readme_example()]
    assert shown == ["Linting template.yaml", "No problems found.", WAITING,
                     "template.yaml changed", shown[4], "Found 1 problem (1 error).", WAITING]


def test_a_deleted_template_is_said_and_watched_for(project: Path, watch: Watch) -> None:
    template = project / "template.yaml"
    watch.report()
    text = template.read_text(encoding="utf-8")
    template.unlink()
    assert watch.report() == ("template.yaml changed",
                              ["template.yaml: no such file; watching for it"])

    template.write_text(text.replace("MemorySize: 256", "MemorySize: 64"), encoding="utf-8")
    _, lines = watch.report()
    assert lines == cold(project)
    assert any(" E3034 " in line for line in lines)


def test_ctrl_c_exits_0_without_a_traceback(project: Path) -> None:
    running = Watch(project)
    running.report()
    code, err = running.stop()
    assert code == 0
    assert "Traceback" not in err


@pytest.mark.parametrize(("options", "message"), [
    (["--format", "json"], "--watch prints text reports; it cannot be combined with --format json"),
    (["--output", "report.txt"], "--watch prints its reports; it cannot be combined with --output"),
    (["-"], "--watch lints files on disk; it cannot read standard input (-)"),
    (["missing.yaml"], "missing.yaml: no such file"),
])
def test_what_watch_cannot_do_is_a_one_line_usage_error(project: Path, options: list[str],
                                                        message: str) -> None:
    done = subprocess.run([SAM_FASTAPI, "lint", "--watch", *options], cwd=project,
                          capture_output=True, text=True, timeout=PATIENCE,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr == f"sam-fastapi: error: {message}\n"
    assert not (project / "report.txt").exists()


def test_a_warm_child_that_dies_before_answering_is_asked_again_in_a_fresh_one() -> None:
    module = "sam_fastapi.translate"
    template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn": {
        "Type": "AWS::Serverless::Function",
        "Properties": {"Runtime": "python3.12", "Handler": "app.handler",
                       "Events": {"E": {"Type": "Api", "Properties": {"Method": "get"}}}}}}}
    one_shot = Call(module)
    one_shot.send(template)
    expected = one_shot.answer()
    children = WarmChildren()
    try:
        warm = children.get(module)
        call = Call(module, children)
        call.send(template)
        warm.process.kill()
        assert call.answer() == expected
        assert expected and "Path" in expected[0]["message"]
        assert children.get(module).process.pid != warm.process.pid
    finally:
        children.close()


def test_a_configuration_with_rules_of_its_own_gets_a_child_for_that_run_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sam_fastapi.cfn import CfnLintJob

    monkeypatch.chdir(tmp_path)
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n"
        "    Properties: {Runtime: python3.12, MemorySize: 64}\n", encoding="utf-8")
    (tmp_path / "own_rules").mkdir()
    (tmp_path / ".cfnlintrc").write_text("append_rules: [own_rules]\n", encoding="utf-8")
    children = WarmChildren()
    try:
        first = children.get("sam_fastapi.cfn")
        warm = CfnLintJob(Path("template.yaml"), None, children).result()
        assert first.spent  # it said so with its answer, and answers no more
        assert first.process.wait(timeout=60) == 0
        (tmp_path / ".cfnlintrc").unlink()
        again = CfnLintJob(Path("template.yaml"), None, children).result()
        assert children.get("sam_fastapi.cfn") is not first
    finally:
        children.close()
    assert warm == CfnLintJob(Path("template.yaml")).result() == again
    assert {f.rule for f in warm.findings} >= {"E3034"}
