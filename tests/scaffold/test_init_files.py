"""``init``'s project: lint-clean, accepted by the translator, its layer builds into python/,
and its own tests pass through ``pytest --sam``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sam_fastapi.cli import main
from sam_fastapi.scaffold import RUNTIMES
from sam_fastapi.scaffold.files import write_project
from sam_fastapi.scaffold.init import check_resource, init_files
from sam_fastapi.template import build_project, load_template
from sam_fastapi.translate import translate


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    """A REST project with two resources, and an HTTP API project on arm64 and python3.13."""
    rest = tmp_path_factory.mktemp("init") / "movies"
    write_project(rest, init_files("movies", ["casts", "movies"]))
    http = tmp_path_factory.mktemp("init") / "shop"
    write_project(http, init_files("shop", ["orders"], http_api=True, architecture="arm64",
                                   runtime="python3.13"))
    return {"rest": rest, "http": http}


def test_projects_are_lint_clean_and_translate(projects, capsys):
    templates = [str(root / "template.yaml") for root in projects.values()]
    assert main(["lint", *templates]) == 0
    assert "No problems found." in capsys.readouterr().out
    for template in templates:
        assert translate(load_template(template)) == []


def test_every_offered_runtime_is_accepted_by_cfn_lint(tmp_path, capsys):
    """``init --runtime`` offers only what the installed cfn-lint knows (python3.14 included)."""
    assert "python3.14" in RUNTIMES
    templates = []
    for runtime in RUNTIMES:
        root = tmp_path / runtime.replace(".", "")
        write_project(root, init_files("shop", ["orders"], runtime=runtime))
        templates.append(str(root / "template.yaml"))
    code = main(["lint", *templates])
    out = capsys.readouterr().out
    assert code == 0, out
    # Only the deprecation warning of python3.10 (deprecated 2026-10-31), no invalid runtime.
    problems = [line for line in out.splitlines() if ": " in line]
    assert all("/python310/" in line and " W2531 " in line for line in problems), out


def test_rest_project_tests_pass(projects, project_pytest):
    run = project_pytest(projects["rest"], "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "sam template: template.yaml (from sam_template in pyproject.toml)" in run.stdout
    assert "events/casts/health.json::replay PASSED" in run.stdout
    # 4 tests per service, the routing test, and one replayed event per service.
    assert "11 passed" in run.stdout


def test_http_api_project_tests_pass(projects, project_pytest):
    root = projects["http"]
    project = build_project(load_template(root / "template.yaml"), root / "template.yaml")
    function = project.functions["OrdersFunction"]
    assert function.architectures == ("arm64",)
    assert function.runtime == "python3.13"
    assert [(e.type, e.path, e.method) for e in function.events] == [
        ("HttpApi", "/orders", "ANY"), ("HttpApi", "/orders/{proxy+}", "ANY")]
    assert project.layers["SharedLayer"].build_architecture == "arm64"

    run = project_pytest(root, "-q")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 passed" in run.stdout


def test_layer_makefile_installs_into_python(projects, tmp_path):
    root = projects["rest"]
    makefile = (root / "layers/shared/Makefile").read_text()
    assert makefile.splitlines()[1].startswith("\t")
    artifacts = tmp_path / "artifacts"
    dry_run = subprocess.run(
        ["make", "-n", "build-SharedLayer", f"ARTIFACTS_DIR={artifacts}"],
        cwd=root / "layers/shared", capture_output=True, text=True, check=True,
    )
    # `layer build` writes a layer into OUT/python/ (tests/commands/test_layer.py runs this
    # very recipe through make).
    assert dry_run.stdout.strip() == (
        f'sam-fastapi layer build SharedLayer --out "{artifacts}"')


def test_layout_follows_the_movies_example(tmp_path):
    files = init_files("p", ["casts", "movie-reviews"])
    for folder in ("casts_service", "movie_reviews_service"):
        assert files[f"{folder}/requirements.txt"] == ""
        assert "handler = Mangum(app" in files[f"{folder}/app/main.py"]
    assert "app/api/movie_reviews.py" in "\n".join(files)
    assert 'APIRouter(prefix="/movie-reviews"' in files[
        "movie_reviews_service/app/api/movie_reviews.py"]
    assert "Path: /movie-reviews/{proxy+}" in files["template.yaml"]
    assert "MovieReviewsFunction:" in files["template.yaml"]
    assert "fastapi" in files["layers/shared/requirements.txt"]
    assert 'stack_name = "p"' in files["samconfig.toml"]
    assert set(files) >= {"events/casts/health.json", "events/casts/health.response.json",
                          "tests/test_casts.py", "tests/test_routing.py", "pyproject.toml"}


def test_generating_twice_gives_the_same_files():
    assert init_files("p", ["casts"]) == init_files("p", ["casts"])
    assert init_files("p", ["casts"], http_api=True) == init_files("p", ["casts"], http_api=True)


@pytest.mark.parametrize("name", ["Casts", "1st", "casts/x", "", "app", "tests"])
def test_bad_resource_names_are_refused(name):
    with pytest.raises(ValueError, match=repr(name)):
        check_resource(name)


def test_the_readmes_install_gives_the_tests_every_module_they_import(projects) -> None:
    """``pip install -r requirements-dev.txt && pytest`` (the README's words) installs what the
    generated app and tests import; ``pip install sam-fastapi pytest`` failed 5 tests of 6."""
    import ast
    import sys

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from sam_fastapi._metadata import packages_distributions

    root = projects["rest"]
    assert "pip install -r requirements-dev.txt" in (root / "README.md").read_text()
    installed: set[str] = set()
    for line in (root / "requirements-dev.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            installed |= {canonicalize_name(Requirement(r).name) for r in
                          (root / line[3:]).read_text().split()}
        elif line:
            requirement = Requirement(line)
            installed.add(canonicalize_name(requirement.name))
            if "pytest" in requirement.extras:
                installed.add("pytest")  # the extra's floor: tests/plugin/test_sam_floor.py
    local = {"app", "tests", "conftest"}
    imported = set()
    for source in root.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - local - set(sys.stdlib_module_names)
    owners = packages_distributions()
    missing = {m for m in third_party
               if not {canonicalize_name(d) for d in owners.get(m, [m])} & installed}
    assert third_party >= {"fastapi", "mangum", "pydantic"}
    assert not missing, f"imported by the project, not installed by its README: {missing}"
