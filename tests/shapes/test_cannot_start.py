"""Functions that cannot start (a CodeUri never created, a module that fails to import): the
user learns which function and why, in one place, with no frame of sam-fastapi's own."""

from __future__ import annotations

import httpx
import pytest

from sam_fastapi.cli import main


def test_lint_names_the_missing_code_folder(shape, capsys) -> None:
    template = shape("cannot_start") / "template.yaml"
    assert main(["lint", str(template)]) == 1
    out = capsys.readouterr().out
    assert "SF102 error CodeUri folder 'invoices' does not exist" in out


def test_pytest_sam_fails_those_tests_naming_the_function_and_the_cause(
        shape, pytester: pytest.Pytester) -> None:
    shape("cannot_start", pytester.path)
    pytester.chdir()

    result = pytester.runpytest_subprocess("cannot_start")

    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "E*GatewayError: Invoices: CodeUri invoices/ does not exist",
        "E*where 502 = <Response [[]502 Bad Gateway] from Reports (Reports failed to start: "
        "JSONDecodeError: Expecting property name enclosed in double quotes*)>.status_code",
    ])
    assert "pytest_samfastapi/" not in result.stdout.str()
    assert "sam_fastapi/" not in result.stdout.str()


def test_serve_answers_502_and_logs_each_cause_once(shape, serve) -> None:
    server = serve(shape("cannot_start") / "template.yaml")
    statuses = [httpx.get(f"{server.url}/Prod/{path}", timeout=30).status_code
                for path in ("orders", "invoices", "invoices", "reports", "reports")]

    server.read_until("GET /Prod/reports -> Reports 502")
    server.read_until("GET /Prod/reports -> Reports 502")
    output = server.stop()

    assert statuses == [200, 502, 502, 502, 502]
    assert output.count("Invoices: CodeUri invoices/ does not exist") == 1
    assert output.count("Reports failed to start: JSONDecodeError") == 1
    assert output.count("cannot start, as logged above") == 2
    # The user's own line, once; Python's import machinery and sam-fastapi's frames never.
    assert output.count('SETTINGS = json.loads(os.environ.get("REPORT_SETTINGS", "{"))') == 1
    assert "importlib" not in output
    assert "sam_fastapi" not in output
    assert "Traceback" not in output
