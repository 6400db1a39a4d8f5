"""The README's shown outputs are what the commands print today: run them and compare, so the
README cannot drift (it once said 14 problems where lint found 21). On a mismatch, re-run the
command and paste its output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sam_fastapi.cli import main

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shown(command: str) -> list[str]:
    """The lines the README shows under ``$ command`` in a console block."""
    match = re.search(rf"^\$ {re.escape(command)}\n(.*?)^```", README, re.MULTILINE | re.DOTALL)
    assert match, f"the README shows no output of {command!r}"
    return match[1].splitlines()


def test_the_broken_example_listing_is_what_lint_prints(monkeypatch, capsys) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["lint", "examples/broken", "--no-cache"]) == 1
    printed = capsys.readouterr().out.splitlines()
    lines = shown("sam-fastapi lint examples/broken")
    assert lines[-1] == printed[-1]  # the summary: how many problems of each severity
    for line in lines[:-1]:
        if line == "...":
            continue
        head, _, tail = line.partition(" ... ")
        assert any(p.startswith(head) and p.endswith(tail) for p in printed), (
            f"README line not printed by lint: {line}")


def test_the_serve_request_line_has_the_logged_shape() -> None:
    example = re.search(r"One line per\s+request \(`([^`]+)`\)", README)
    assert example, "the README no longer shows serve's request line"
    # The shape tests/gateway/test_asgi.py reads from serve's log.
    assert re.fullmatch(r"[A-Z]+ /\S+ -> [A-Za-z0-9]+ \d{3} \d+\.\d ms (cold|warm)", example[1])


@pytest.mark.parametrize("statement", [
    "A function that fails to import answers 502; the rest keep working.",
])
def test_statements_proven_elsewhere_are_still_in_the_readme(statement: str) -> None:
    # tests/gateway/test_asgi.py::test_a_handler_that_fails_to_import_answers_502_and_the_rest_
    # keeps_working proves it; this keeps the sentence and the proof together.
    assert statement in " ".join(README.split())


def test_without_chromium_the_browser_test_says_why_it_skipped(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    test = "tests/gateway/test_asgi.py::test_swagger_ui_renders_the_operations_in_headless_chromium"
    env = {**os.environ, "PATH": str(tmp_path)}  # no chromium anywhere
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", test],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    # Default options, no -rs on the command line: the summary names the file and the reason.
    assert re.search(r"^SKIPPED \[\d+\] tests/gateway/test_asgi.py:\d+: ", done.stdout, re.M)
    assert "chromium is not installed (apt-get install chromium)" in done.stdout
    assert "apt-get install chromium" in README


def test_the_serve_banner_is_what_serve_prints() -> None:
    from serving import Serving

    # On a free port rather than 3000, so the test never meets a server already there.
    template = ROOT / "examples" / "movies" / "template.yaml"
    serving = Serving(template)
    try:
        banner = list(serving.lines)
    finally:
        serving.stop()
    port = serving.url.rsplit(":", 1)[1]
    # Serving names the template by its absolute path; the README runs in its folder.
    printed = [line.rstrip("\n").replace(f"127.0.0.1:{port}/", "127.0.0.1:3000/")
               .replace(f"({template}, ", "(template.yaml, ") for line in banner]

    assert shown("sam-fastapi serve template.yaml") == printed
