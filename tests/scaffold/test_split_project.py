"""Split projects end to end: the two test monoliths split, linted, translated, and proven
equivalent by their own ``pytest`` (recorded events replayed through ``pytest --sam``)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sam_fastapi.cli import main
from sam_fastapi.template import build_project, load_template
from sam_fastapi.translate import translate

MONOLITHS = Path(__file__).parent / "monoliths"


def _split(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["split", *args]) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def movies(tmp_path_factory) -> Path:
    """The movies example as one app, split by router, its package copied into the project."""
    root = tmp_path_factory.mktemp("split") / "movies"
    _split("movies_monolith.main:app", "--path", str(MONOLITHS), "--out", str(root), "--copy")
    return root


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    """The shop in a repository (src/ layout, pyproject.toml at the top), split into deploy/
    behind an HTTP API, the layer pointing at src/ where the package is."""
    repo = tmp_path_factory.mktemp("split") / "repo"
    shutil.copytree(MONOLITHS / "shop_monolith", repo / "src" / "shop_monolith",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    _split("shop_monolith.main:app", "--path", str(repo / "src"), "--out",
           str(repo / "deploy"), "--http-api")
    return repo / "deploy"


def test_split_projects_are_lint_clean_and_translate(movies, shop, capsys):
    templates = [str(movies / "template.yaml"), str(shop / "template.yaml")]
    assert main(["lint", *templates]) == 0
    findings = capsys.readouterr().out.splitlines()[:-1]
    # The only notes are about the monoliths' own code: `include_router(module.router)` is
    # more than the static route reader follows. The generated code reads clean.
    assert findings, "expected the reader's notes on the monoliths' include_router calls"
    for finding in findings:
        assert " SF400 info " in finding, finding
        file = finding.split(":", 1)[0]
        assert "/movies_monolith/" in file or "/shop_monolith/" in file, finding
    for template in templates:
        assert translate(load_template(template)) == []


def test_movies_functions_answer_as_the_monolith(movies, project_pytest):
    run = project_pytest(movies, "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    for event in ("casts/001-get-health", "casts/003-post-create-cast",
                  "casts/006-delete-delete-cast", "movies/005-put-update-movie"):
        assert f"events/{event}.json::replay PASSED" in run.stdout
    # Three routing tests, and one event per route and method of the monolith.
    assert "15 passed" in run.stdout


def test_shop_functions_answer_as_the_monolith(shop, project_pytest):
    run = project_pytest(shop, "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "events/orders/002-get-get-order.json::replay PASSED" in run.stdout
    assert "events/root/002-get-health.json::replay PASSED" in run.stdout
    assert "14 passed" in run.stdout


def test_the_proof_fails_when_a_function_answers_differently(movies, tmp_path, project_pytest):
    changed = tmp_path / "changed"
    shutil.copytree(movies, changed)
    casts = changed / "layers/code/movies_monolith/api/casts.py"
    casts.write_text(casts.read_text().replace('"service": "cast"', '"service": "CAST"'))
    run = project_pytest(changed, "events/casts/001-get-health.json")
    assert run.returncode == 1
    assert "the response differs from 001-get-health.response.json" in run.stdout
    assert '-    "service": "cast",' in run.stdout
    assert '+    "service": "CAST",' in run.stdout


def test_a_function_serves_only_its_groups_paths(movies):
    from sam_fastapi.gateway import Gateway

    template = movies / "template.yaml"
    gateway = Gateway(build_project(load_template(template), template))
    assert gateway.request("GET", "/casts/health").status == 200
    movies_health = json.loads((movies / "events/movies/001-get-health.json").read_text())
    # Sent straight to the casts function, a movies path finds no route there.
    result = gateway.invoke("CastsFunction", movies_health).result
    assert (result["statusCode"], json.loads(result["body"])) == (404, {"detail": "Not Found"})
    assert gateway.invoke("MoviesFunction", movies_health).result["statusCode"] == 200


def test_snapshots_hold_the_monoliths_answers(shop):
    get_order = json.loads((shop / "events/orders/002-get-get-order.response.json").read_text())
    # The app's exception handler and its middleware, as in the monolith; x-request-id,
    # different on every response, is not pinned.
    assert get_order == {"status": 404, "body": {"error": "order 1 not found", "kind": "order"},
                         "headers": {"content-type": "application/json", "x-shop-api": "2.1"}}
    created = json.loads((shop / "events/orders/003-post-create-order.response.json").read_text())
    assert created["body"]["currency"] == "EUR"  # set by the monolith's lifespan
    # Set by the `audit` dependency of the orders router.
    assert created["headers"]["x-audited"] == "yes"
    event = json.loads((shop / "events/orders/003-post-create-order.json").read_text())
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /api/v1/orders"
    assert json.loads(event["body"]) == {"lines": [{"product_id": 1, "quantity": 1}],
                                         "note": "sample"}


def test_layout_of_a_copied_split(movies, tmp_path):
    project = build_project(load_template(movies / "template.yaml"), movies / "template.yaml")
    assert sorted(project.functions) == ["CastsFunction", "MoviesFunction"]
    casts = project.functions["CastsFunction"]
    assert [(e.path, e.method) for e in casts.events] == [
        ("/casts", "ANY"), ("/casts/{proxy+}", "ANY")]
    assert [ref.logical_id for ref in casts.layers] == ["SharedLayer", "CodeLayer"]
    assert project.layers["CodeLayer"].content_dir == movies / "layers/code"
    assert (movies / "layers/code/movies_monolith/api/casts.py").read_text() == (
        MONOLITHS / "movies_monolith/api/casts.py").read_text()
    entry = (movies / "casts_service/app/main.py").read_text()
    assert "from movies_monolith.main import app as monolith" in entry
    assert "from movies_monolith.api.casts import get_cast" in entry
    assert "    '/casts/{cast_id}', get_cast, methods=['GET'],\n" in entry
    assert "/movies" not in entry
    assert 'handler = Mangum(app, lifespan="off")' in entry
    assert (movies / "casts_service/requirements.txt").read_text() == ""
    requirements = (movies / "layers/shared/requirements.txt").read_text().splitlines()
    assert any(line.startswith("fastapi==") for line in requirements)
    assert "mangum>=0.17,<1" in requirements
    dry_run = subprocess.run(["make", "-n", "build-SharedLayer", f"ARTIFACTS_DIR={tmp_path}"],
                             cwd=movies / "layers/shared", capture_output=True, text=True,
                             check=True)
    assert f'sam-fastapi layer build SharedLayer --out "{tmp_path}"' in dry_run.stdout
    assert (movies / "samconfig.toml").is_file()


def test_layout_of_a_split_that_shares_the_source(shop):
    project = build_project(load_template(shop / "template.yaml"), shop / "template.yaml")
    assert sorted(project.functions) == ["OrdersFunction", "ProductsFunction", "RootFunction"]
    assert project.layers["CodeLayer"].content_dir.resolve() == shop.parent / "src"
    assert "ContentUri: ../src" in (shop / "template.yaml").read_text()
    assert not (shop / "layers/code").exists()
    # samconfig.toml would make deploy/ a project of its own, with src/ outside it.
    assert not (shop / "samconfig.toml").exists()
    # The app's own routes share no prefix: an event per route.
    assert [(e.type, e.path) for e in project.functions["RootFunction"].events] == [
        ("HttpApi", "/"), ("HttpApi", "/health")]
    entry = (shop / "root_service/app/main.py").read_text()
    assert "app.add_route('/health', health, methods=['GET', 'HEAD'], name='health')" in entry
    entry = (shop / "orders_service/app/main.py").read_text()
    assert 'handler = Mangum(app, lifespan="auto")' in entry
    readme = (shop / "README.md").read_text()
    assert "/ws/orders (WebSocket)" in readme
