"""A template whose functions have no API events (a queue worker, a schedule): every command."""

from __future__ import annotations

import httpx
import pytest

from sam_fastapi.cli import main


def test_lint_is_clean_and_routes_says_there_are_none(shape, capsys) -> None:
    template = shape("no_api") / "template.yaml"
    assert main(["lint", str(template)]) == 0
    assert main(["routes", str(template)]) == 0
    assert "no API routes" in capsys.readouterr().out


def test_pytest_sam_invokes_every_function(shape, pytester: pytest.Pytester) -> None:
    shape("no_api", pytester.path)
    pytester.chdir()

    result = pytester.runpytest_subprocess("no_api")

    result.assert_outcomes(passed=3)


def test_a_request_fails_on_the_test_line_saying_the_template_has_no_api(
        shape, pytester: pytest.Pytester) -> None:
    root = shape("no_api", pytester.path)
    (root / "tests" / "test_request.py").write_text(
        "def test_orders(sam_client):\n    sam_client.post('/orders', json={})\n")

    result = pytester.runpytest_subprocess("--sam", str(root / "template.yaml"),
                                           str(root / "tests" / "test_request.py"))

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        ">*sam_client.post('/orders', json={})",
        "E*GatewayError: sam_client.post('/orders'): template.yaml has no API: no function has "
        "an Api or HttpApi event (functions: OrderWorker, NightlyReport); call them with "
        "sam_client.invoke(logical_id, event)",
    ])
    assert "<SamClient template.yaml>" in result.stdout.str()
    assert "pytest_samfastapi/" not in result.stdout.str()  # no frame of the plugin's own
    assert "sam_fastapi/" not in result.stdout.str()


def test_serve_starts_says_nothing_to_route_and_answers_404(shape, serve) -> None:
    server = serve(shape("no_api") / "template.yaml")
    server.read_until("nothing to route: template.yaml has no API")

    answer = httpx.get(server.url + "/orders", timeout=30)

    assert (answer.status_code, answer.json()) == (404, {"message": "Not Found"})
    server.read_until("GET /orders -> gateway 404")
    assert "Traceback" not in server.stop()
