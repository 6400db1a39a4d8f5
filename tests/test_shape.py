"""The code's shape the style guide asks for, kept by tests: no module imports another
module's private names, and checks get their run's state through ``run(project, ctx)``."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from sam_fastapi.plugins import get_plugin_manager, registered_checks

PACKAGES = [Path(__file__).resolve().parent.parent / name
            for name in ("sam_fastapi", "pytest_samfastapi")]


def test_no_module_imports_a_private_name_of_another():
    offenders = []
    for package in PACKAGES:
        for path in package.rglob("*.py"):
            tree = ast.parse(path.read_bytes())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                        and node.module.startswith(("sam_fastapi", "pytest_samfastapi")):
                    private = [a.name for a in node.names
                               if a.name.startswith("_") and not a.name.startswith("__")]
                    if private:
                        offenders.append(f"{path.name}: from {node.module} import {private}")
    assert offenders == []


def test_every_builtin_check_takes_the_run_context():
    for check in registered_checks(get_plugin_manager(entry_points=False)):
        parameters = list(inspect.signature(check.run).parameters)
        assert parameters == ["project", "ctx"], type(check)
        assert not hasattr(check, "configure"), type(check)
