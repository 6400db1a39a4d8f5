"""``sam-fastapi completion``: scripts generated from the parser, proven in a real bash."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sam_fastapi.cli import main

SAM_FASTAPI = str(Path(sys.executable).with_name("sam-fastapi"))
needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def complete(script: str, *words: str) -> list[str]:
    """What the bash completion function offers for ``words`` (the last one being typed)."""
    line = " ".join(f"'{w}'" for w in ("sam-fastapi", *words))
    done = subprocess.run(
        ["bash", "-c", f'source "$1"; COMP_WORDS=({line}); COMP_CWORD={len(words)}; '
                       '_sam_fastapi; printf "%s\\n" "${COMPREPLY[@]}"', "bash", script],
        capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.splitlines() if w]


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory: pytest.TempPathFactory) -> str:
    done = subprocess.run([SAM_FASTAPI, "completion", "bash"], capture_output=True, text=True,
                          timeout=60, check=True)
    path = tmp_path_factory.mktemp("completion") / "sam-fastapi.bash"
    path.write_text(done.stdout, encoding="utf-8")
    return str(path)


@needs_bash
def test_sourcing_the_bash_script_registers_the_completion() -> None:
    done = subprocess.run(
        ["bash", "-c", f"source <({SAM_FASTAPI} completion bash); complete -p sam-fastapi"],
        capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "complete -o default -F _sam_fastapi sam-fastapi"


@needs_bash
def test_bash_completes_commands_options_and_choices(bash_script: str) -> None:
    assert complete(bash_script, "l") == ["lint", "layer"]
    assert complete(bash_script, "li") == ["lint"]
    assert "--fail-level" in complete(bash_script, "lint", "--f")
    assert complete(bash_script, "lint", "--wa") == ["--watch"]
    assert complete(bash_script, "lint", "--fail-level", "") == ["info", "warning", "error", "none"]
    assert complete(bash_script, "layer", "") == ["build", "-h", "--help"]
    assert complete(bash_script, "layer", "build", "--arch") == ["--architecture"]
    assert complete(bash_script, "completion", "f") == ["fish"]


def test_zsh_and_fish_scripts_name_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "zsh"]) == 0
    zsh = capsys.readouterr().out
    assert "bashcompinit" in zsh and "complete -o default -F _sam_fastapi sam-fastapi" in zsh
    assert main(["completion", "fish"]) == 0
    fish = capsys.readouterr().out
    assert "complete -c sam-fastapi -n __fish_use_subcommand -a lint -d " in fish
    assert ("complete -c sam-fastapi -n '__fish_seen_subcommand_from lint' -l fail-level "
            "-x -a 'info warning error none'") in fish


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_accepts_its_script(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["completion", "fish"]) == 0
    (tmp_path / "c.fish").write_text(capsys.readouterr().out, encoding="utf-8")
    done = subprocess.run(["fish", "--no-execute", str(tmp_path / "c.fish")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "tcsh"]) == 2
    assert "choose from" in capsys.readouterr().err
