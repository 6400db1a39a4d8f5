"""Nested applications with a local Location: lint follows them, and routes, pytest --sam and
serve include their APIs and functions (parameters passed down, own API ids and stages)."""

from __future__ import annotations

import httpx
import pytest

from sam_fastapi.cli import main


def test_lint_follows_nested_templates_and_reports_at_their_own_paths(shape, capsys,
                                                                     monkeypatch) -> None:
    root = shape("nested_broken")
    monkeypatch.chdir(root)

    assert main(["lint", "template.yaml", "--format", "text"]) == 1

    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "billing/template.yaml:8:7: SF101 error no requirements.txt in CodeUri folder of "
        "Invoices; add one (empty when a layer provides the dependencies) [Invoices]",
        "billing/template.yaml:9:7: SF301 error Handler 'invoices.handler': module invoices not "
        "found; looked for src/invoices.py or src/invoices/__init__.py; create the module or "
        "fix Handler [Invoices]",
        "loop/template.yaml:7:7: SF104 error Location ../template.yaml nests a template into "
        "itself (template.yaml -> loop/template.yaml -> template.yaml); point Location at the "
        "nested template [Back]",
        "template.yaml:12:7: SF104 error Location shipping/template.yaml does not exist; point "
        "Location at the nested template [ShippingApp]",
    ]


def test_a_working_nested_project_lints_clean_and_routes_lists_every_stack(shape,
                                                                           capsys) -> None:
    template = shape("nested") / "template.yaml"
    assert main(["lint", str(template)]) == 0
    assert main(["routes", str(template)]) == 0
    out = capsys.readouterr().out
    assert "GET     /Prod/items         Catalog           main:items" in out
    assert "GET     /orders/{order_id}  OrdersApp/Orders  main:order" in out


def test_pytest_sam_runs_the_projects_tests(shape, pytester: pytest.Pytester) -> None:
    shape("nested", pytester.path)
    pytester.chdir()

    pytester.runpytest_subprocess("nested").assert_outcomes(passed=3)


def test_serve_routes_to_root_and_nested_functions(shape, serve) -> None:
    server = serve(shape("nested") / "template.yaml")

    items = httpx.get(f"{server.url}/Prod/items", timeout=30).json()
    orders = httpx.get(f"{server.url}/orders", timeout=30).json()

    assert items["stage"] == "Prod"
    assert (orders["env"], orders["currency"], orders["stage"]) == ("dev", "EUR", "$default")
    assert orders["api"] != items["api"]
    server.read_until("GET /orders -> OrdersApp/Orders 200")
    assert "Traceback" not in server.stop()


def test_parameter_overrides_reach_the_root_and_through_it_the_nested_stack(
        shape, pytester: pytest.Pytester) -> None:
    shape("nested", pytester.path)
    pytester.makepyfile(test_env="""
        def test_env(sam_client):
            assert sam_client.get("/orders").json()["env"] == "prod"
    """)

    result = pytester.runpytest_subprocess("--sam", "nested/template.yaml",
                                           "--sam-parameter", "Env=prod", "test_env.py")

    result.assert_outcomes(passed=1)
