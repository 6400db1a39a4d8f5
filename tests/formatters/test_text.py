"""The text report: a ``path:line:col: RULE severity message`` line per finding, a summary."""

from __future__ import annotations

from sam_fastapi.findings import Finding, Location, Severity
from sam_fastapi.formatters.text import TextFormatter
from sam_fastapi.plugins import get_plugin_manager

FINDINGS = [
    Finding("SF101", "requirements-missing", Severity.ERROR, "no requirements.txt in svc/",
            Location("app/template.yaml", 12, 7, 12, 20), "CastFunction"),
    Finding("W3005", "Obsolete DependsOn", Severity.WARNING, "Obsolete DependsOn on resource",
            Location("app/template.yaml", 30, 5)),
    Finding("I3011", "Retain policy", Severity.INFO, "Set DeletionPolicy",
            Location("other/template.yaml", 4, 3), "Table"),
]


def test_each_finding_is_one_line_then_a_summary() -> None:
    text = TextFormatter().format(FINDINGS, {})

    assert text.splitlines() == [
        "app/template.yaml:12:7: SF101 error no requirements.txt in svc/ [CastFunction]",
        "app/template.yaml:30:5: W3005 warning Obsolete DependsOn on resource",
        "other/template.yaml:4:3: I3011 info Set DeletionPolicy [Table]",
        "Found 3 problems (1 error, 1 warning, 1 info).",
    ]
    assert text.endswith("\n")


def test_summary_counts_plurals_and_omits_absent_levels() -> None:
    errors = [FINDINGS[0], FINDINGS[0]]

    assert TextFormatter().format(errors, {}).splitlines()[-1] == "Found 2 problems (2 errors)."
    assert TextFormatter().format([FINDINGS[1]], {}).splitlines()[-1] == (
        "Found 1 problem (1 warning).")


def test_no_findings_says_so() -> None:
    assert TextFormatter().format([], {}) == "No problems found.\n"


def test_text_is_the_registered_formatter_named_text() -> None:
    pm = get_plugin_manager(entry_points=False)
    names = [f.name for group in pm.hook.sam_fastapi_register_formatters() for f in group]

    assert sorted(names) == ["github", "json", "sarif", "text"]
