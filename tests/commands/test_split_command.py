"""``sam-fastapi split`` on the command line: the plan, --dry-run, the unsafe-route report,
and one-line refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sam_fastapi.cli import main

MONOLITHS = Path(__file__).parent.parent / "scaffold" / "monoliths"


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["split", "movies_monolith.main:app", "--path", str(MONOLITHS),
                 "--out", str(out), "--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert plan.startswith("split movies_monolith.main:app by router into 2 functions:\n")
    assert ("casts -> CastsFunction (casts_service/, router movies_monolith.api.casts.router)"
            in plan)
    assert "  API paths: /movies, /movies/{proxy+}\n" in plan
    assert "  PUT     /movies/{movie_id}  (update_movie)\n" in plan
    assert not out.exists()


def test_the_plan_reports_what_cannot_be_split_safely(capsys):
    assert main(["split", "shop_monolith.main:app", "--path", str(MONOLITHS), "--dry-run"]) == 0
    plan = capsys.readouterr().out
    report = plan[plan.index("not split safely:"):]
    assert ("  /ws/orders (WebSocket): API Gateway REST and HTTP APIs do not carry WebSocket "
            "connections; left out of every function") in report
    assert "  /legacy (mounted starlette.applications.Starlette): a mounted app is opaque" in report
    assert ("  shop_monolith.deps.AUDIT: module state used by groups products, orders: after the "
            "split each function has its own copy") in report
    assert ("  startup work: shop_monolith.main.lifespan runs for the whole app, whichever group "
            "needs it; kept in every function") in report
    assert "  GET     /api/v1/orders/{order_id}/items  (list_items)" in plan


def test_group_by_prefix(capsys):
    assert main(["split", "shop_monolith.main:app", "--path", str(MONOLITHS), "--dry-run",
                 "--group-by", "prefix"]) == 0
    plan = capsys.readouterr().out
    assert "by prefix into 3 functions" in plan
    assert "api -> ApiFunction (api_service/, prefix /api)" in plan
    # Nothing answers /api/v1 itself: no event for it.
    assert "  API paths: /api/v1/{proxy+}\n" in plan
    assert "root -> RootFunction (root_service/, the root path)" in plan
    assert "health -> HealthFunction (health_service/, prefix /health)" in plan


def test_requirements_file_fills_the_dependency_layer(tmp_path, capsys):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("fastapi==0.110.0\npydantic>=2\n")
    out = tmp_path / "out"
    assert main(["split", "movies_monolith.main:app", "--path", str(MONOLITHS), "--out",
                 str(out), "--copy", "--requirements", str(requirements)]) == 0
    assert "12 recorded events prove the functions answer" in capsys.readouterr().out
    assert (out / "layers/shared/requirements.txt").read_text() == (
        "fastapi==0.110.0\npydantic>=2\nmangum>=0.17,<1\n")


@pytest.mark.parametrize(("args", "message"), [
    (["movies_monolith.main:app"], "split needs --out DIR (or --dry-run"),
    (["no_such_package.main:app", "--dry-run"],
     "importing no_such_package.main failed: ModuleNotFoundError: "
     "No module named 'no_such_package'"),
    (["movies_monolith.main", "--dry-run"], "expected PACKAGE.MODULE:APP"),
    (["movies_monolith.main:app", "--dry-run", "--group-by", "tags"], "invalid choice: 'tags'"),
])
def test_bad_arguments_are_one_line_errors(args, message, capsys):
    assert main(["split", *args, "--path", str(MONOLITHS)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_refuses_a_layer_that_would_lead_out_of_the_project(tmp_path, capsys):
    out = tmp_path / "elsewhere"
    assert main(["split", "movies_monolith.main:app", "--path", str(MONOLITHS),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is outside the project" in err
    assert "or use --copy" in err
    assert not out.exists()


def test_refuses_to_write_inside_the_folder_the_layer_ships(tmp_path, capsys):
    shutil.copytree(MONOLITHS / "movies_monolith", tmp_path / "movies_monolith")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'movies'\n")
    assert main(["split", "movies_monolith.main:app", "--path", str(tmp_path),
                 "--out", str(tmp_path / "deploy")]) == 2
    assert "the folder the layer would ship whole" in capsys.readouterr().err
    assert not (tmp_path / "deploy").exists()


def test_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "notes.md").write_text("mine\n")
    assert main(["split", "movies_monolith.main:app", "--path", str(MONOLITHS),
                 "--out", str(tmp_path), "--copy"]) == 2
    assert "is not empty; use --force" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.md"]
