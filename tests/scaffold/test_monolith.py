"""Reading a monolith in a subprocess: its routes, where they came from, what they share, and
one-line errors for apps that cannot be read."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest

from sam_fastapi.scaffold.monolith import MonolithError, run_monolith, sample

MONOLITHS = Path(__file__).parent / "monoliths"


@pytest.fixture(scope="module")
def shop() -> dict:
    return run_monolith("routes", "shop_monolith.main:app", path=MONOLITHS)


def _routes(app: dict) -> dict[tuple[str, str], dict]:
    return {(m, r["path"]): r for r in app["routes"] for m in r.get("methods") or ("*",)}


def test_reads_routes_through_nested_routers(shop):
    routes = _routes(shop)
    review = routes[("POST", "/api/v1/products/{product_id}/reviews")]
    # The reviews router is nested in products, itself gathered with orders in `api`:
    # the route belongs to the outermost router with a prefix of its own.
    assert review["router"] == "shop_monolith.api.products.router"
    assert review["endpoint"] == "shop_monolith.api.products.add_review"
    assert routes[("GET", "/api/v1/orders/{order_id}/items")]["router"] == (
        "shop_monolith.api.orders.router")
    assert routes[("GET", "/")]["router"] is None
    assert shop["package"] == "shop_monolith"
    assert shop["source_root"] == str(MONOLITHS)


def test_reports_what_cannot_be_split(shop):
    kinds = {(r["kind"], r["path"]) for r in shop["routes"]}
    assert ("websocket", "/ws/orders") in kinds
    assert ("mount", "/legacy") in kinds
    assert shop["lifespan"] == "shop_monolith.main.lifespan"
    assert shop["middleware"] == ["starlette.middleware.base.BaseHTTPMiddleware"]
    assert "/openapi.json" in shop["docs"]


def test_finds_module_state_through_dependencies_and_helpers(shop):
    routes = _routes(shop)
    # AUDIT is reached only through the routers' `audit` dependency; PRODUCTS through the
    # `_product` helper; settings (a pydantic model) is configuration, not state.
    assert routes[("GET", "/api/v1/products/{product_id}")]["state"] == [
        "shop_monolith.catalog.PRODUCTS", "shop_monolith.deps.AUDIT"]
    assert "shop_monolith.catalog.PRODUCTS" in routes[("POST", "/api/v1/orders")]["state"]
    assert routes[("GET", "/")]["state"] == []


def test_sample_requests_follow_the_schema(shop):
    routes = _routes(shop)
    assert routes[("GET", "/api/v1/orders/{order_id}/items")]["samples"]["GET"]["path"] == (
        "/api/v1/orders/1/items")
    order = routes[("POST", "/api/v1/orders")]["samples"]["POST"]
    assert order["json"] == {"lines": [{"product_id": 1, "quantity": 1}], "note": "sample"}
    review = routes[("POST", "/api/v1/products/{product_id}/reviews")]["samples"]["POST"]
    assert review["json"] == {"stars": 1, "text": "sample"}


def test_records_answers_in_one_session():
    requests = [
        {"method": "POST", "path": "/casts", "query": [],
         "headers": [["content-type", "application/json"]], "body": '{"name":"Ada"}'},
        {"method": "GET", "path": "/casts/1", "query": [], "headers": [], "body": ""},
        {"method": "GET", "path": "/casts/2", "query": [], "headers": [], "body": ""},
    ]
    answers = run_monolith("record", "movies_monolith.main:app", path=MONOLITHS,
                           requests=requests)
    assert [a["status"] for a in answers] == [201, 200, 404]
    assert ["content-type", "application/json"] in answers[1]["headers"]


def _package(tmp_path: Path, source: str) -> Path:
    package = tmp_path / "bad"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(textwrap.dedent(source))
    return tmp_path


@pytest.mark.parametrize(("source", "message"), [
    ("app = FastAPI(\n", "main.py:1: SyntaxError: '(' was never closed"),
    ("import not_installed_anywhere\n",
     "importing bad.main failed: ModuleNotFoundError: No module named 'not_installed_anywhere'"),
    ("app = 42\n", "bad.main:app: app is a int, not a FastAPI app"),
    ("raise RuntimeError('no database')\n",
     "importing bad.main failed: RuntimeError: no database"),
])
def test_bad_apps_are_one_line_errors(tmp_path, source, message):
    root = _package(tmp_path, source)
    with pytest.raises(MonolithError, match=re.escape(message)) as raised:
        run_monolith("routes", "bad.main:app", path=root)
    assert "\n" not in str(raised.value)


def test_prints_of_the_app_do_not_spoil_the_answer(tmp_path):
    root = _package(tmp_path, """\
        from fastapi import FastAPI
        print("connecting...")
        app = FastAPI()

        @app.get("/ping")
        def ping():
            return "pong"
        """)
    app = run_monolith("routes", "bad.main:app", path=root)
    assert [r["path"] for r in app["routes"] if r["kind"] == "api"] == ["/ping"]
    assert app["is_package"] is True


def test_a_namespace_package_is_read(tmp_path):
    (tmp_path / "ns").mkdir()
    (tmp_path / "ns" / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    app = run_monolith("routes", "ns.main:app", path=tmp_path)
    assert (app["package"], app["is_package"]) == ("ns", True)
    assert app["package_path"] == str(tmp_path / "ns")
    assert app["source_root"] == str(tmp_path)


def test_an_app_that_hangs_is_stopped(tmp_path):
    root = _package(tmp_path, "import time\ntime.sleep(60)\n")
    with pytest.raises(MonolithError, match=r"did not load within 2 s .*--timeout"):
        run_monolith("routes", "bad.main:app", path=root, timeout=2)


def test_a_target_without_app_is_refused(tmp_path):
    with pytest.raises(MonolithError, match=r"expected PACKAGE\.MODULE:APP"):
        run_monolith("routes", "bad.main", path=tmp_path)


def test_the_app_is_never_imported_here(shop):
    assert "shop_monolith" not in sys.modules


@pytest.mark.parametrize(("schema", "value"), [
    ({"type": "integer", "minimum": 1888, "maximum": 2100}, 1888),
    ({"type": "integer", "exclusiveMinimum": 5}, 6),
    ({"type": "integer", "maximum": 0}, 0),
    ({"type": "number"}, 1),
    ({"type": "string", "minLength": 10}, "samplexxxx"),
    ({"type": "string", "maxLength": 3}, "sam"),
    ({"type": "string", "format": "uuid"}, "00000000-0000-4000-8000-000000000001"),
    ({"type": "string", "enum": ["b", "a"]}, "b"),
    ({"anyOf": [{"type": "null"}, {"type": "boolean"}]}, True),
    ({"type": "array", "items": {"type": "integer"}, "minItems": 2}, [1, 1]),
    ({"type": "integer", "default": 7}, 7),
])
def test_sample_values(schema, value):
    assert sample(schema, {}) == value


def test_sample_follows_references():
    schema = {"components": {"schemas": {"Cast": {
        "type": "object", "properties": {"name": {"type": "string"}}}}}}
    assert sample({"$ref": "#/components/schemas/Cast"}, schema) == {"name": "sample"}
