"""action.yml, the composite GitHub Action: its lint step run here as Actions runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def test_the_action_takes_templates_fail_level_and_format() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"templates", "fail-level", "format"} <= set(ACTION["inputs"])
    uses = [step.get("uses", "") for step in ACTION["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    install = next(s for s in ACTION["runs"]["steps"] if "pip" in s.get("run", ""))
    assert "sam-fastapi[lint]" in install["run"]


def run_lint_step(tmp_path: Path, **inputs: str) -> dict[str, str]:
    """The Lint step's script with the inputs as Actions passes them (env), the installed tool
    standing where the install step puts it."""
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "lint")
    tool = tmp_path / "runner" / "sam-fastapi" / "bin"
    tool.mkdir(parents=True)
    (tool / "sam-fastapi").symlink_to(Path(sys.executable).parent / "sam-fastapi")
    output = tmp_path / "github_output"
    env = {**os.environ, "RUNNER_TEMP": str(tmp_path / "runner"), "GITHUB_OUTPUT": str(output),
           "GITHUB_WORKSPACE": str(ROOT), **{k: inputs[k.lower()] for k in step["env"]
                                             if k.lower() in inputs}}
    subprocess.run(["bash", "-e", "-c", step["run"]], cwd=ROOT, env=env, check=True,
                   capture_output=True, text=True)
    return dict(line.split("=", 1) for line in output.read_text().splitlines())


def test_the_lint_step_writes_sarif_with_repository_paths_and_keeps_the_exit_code(
        tmp_path: Path) -> None:
    sarif = ROOT / "sam-fastapi.sarif"
    try:
        outputs = run_lint_step(tmp_path, templates="examples/broken examples/movies",
                                fail_level="error", format="sarif")
        assert outputs == {"exit-code": "1", "sarif-file": "sam-fastapi.sarif"}
        log = json.loads(sarif.read_text())
    finally:
        sarif.unlink(missing_ok=True)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]}
    assert "examples/broken/template.yaml" in uris


def test_github_format_annotates_and_the_fail_level_reaches_lint(tmp_path: Path) -> None:
    broken = run_lint_step(tmp_path / "a", templates="examples/broken", fail_level="error",
                           format="github")
    assert broken == {"exit-code": "1"}  # annotations on stdout, no SARIF to upload
    clean = run_lint_step(tmp_path / "b", templates="examples/movies", fail_level="info",
                          format="github")
    assert clean == {"exit-code": "0"}
    bad = run_lint_step(tmp_path / "c", templates="examples/movies", fail_level="severe",
                        format="github")
    assert bad == {"exit-code": "2"}  # lint's usage error: the input reached the command line
