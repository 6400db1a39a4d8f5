"""pytest hooks and options for ``pytest --sam template.yaml``.

Without ``--sam`` or ``sam_template`` in the ini file the plugin does nothing. Importing it
imports neither FastAPI, Mangum nor the project's code: the gateway is built when a test first
needs it.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_samfastapi.settings import open_session, read_settings, sam_session_key, shown
from sam_fastapi import paths

if TYPE_CHECKING:
    from pytest_samfastapi.replay import EventFile

pytest_plugins = ("pytest_samfastapi.fixtures",)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sam", "sam-fastapi: test through the SAM template's API events")
    group.addoption("--sam", dest="sam_template", metavar="TEMPLATE",
                    help="SAM template whose API events route the requests (ini: sam_template)")
    group.addoption("--sam-events", dest="sam_events", metavar="DIR",
                    help="recorded events replayed as tests (ini: sam_events; "
                         "default: events/ beside the template)")
    group.addoption("--sam-stage", dest="sam_stage", metavar="STAGE",
                    help="API stage to serve (default: the template's)")
    group.addoption("--sam-parameter", dest="sam_parameters", action="append",
                    metavar="KEY=VALUE", help="override a template parameter (repeatable)")
    group.addoption("--sam-isolation", dest="sam_isolation", choices=("thread", "process"),
                    help="run functions in the test process (thread, the default) or each "
                         "instance in a sandbox process of its own, as serve does (process; "
                         "ini: sam_isolation)")
    group.addoption("--sam-snapshot-update", dest="sam_snapshot_update", action="store_true",
                    help="write missing response snapshots and refresh those that differ")
    parser.addini("sam_template", "SAM template for sam_client and recorded events, "
                  "relative to the ini file", default="")
    parser.addini("sam_events", "folder of recorded events, relative to the ini file",
                  default="")
    parser.addini("sam_isolation", "thread (default) or process", default="")


def pytest_configure(config: pytest.Config) -> None:
    settings = read_settings(config)
    config.stash[sam_session_key] = open_session(settings) if settings else None
    if (settings and settings.events_dir.is_dir()
            and not _covered(config.args, settings.events_dir, config.invocation_params.dir)):
        # Recorded events are tests of the template, wherever the test files are.
        config.args.append(str(settings.events_dir))


def pytest_report_header(config: pytest.Config) -> list[str]:
    session = config.stash.get(sam_session_key, None)
    if session is None:
        return []
    settings = session.settings
    lines = [f"sam template: {shown(settings.template, config)} (from {settings.source})"]
    if settings.events_dir.is_dir():
        lines.append(f"sam events: {shown(settings.events_dir, config)}")
    if settings.stage:
        lines.append(f"sam stage: {settings.stage}")
    if settings.isolation != "thread":
        lines.append(f"sam isolation: {settings.isolation}")
    return lines


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Undo what threads functions left running wrote to ``os.environ`` during the test.

    Such a thread runs outside any function's environment; without this its writes would
    stay in the test process for the tests that follow. Only done while one is or was
    running during the test (it is reported as ``ThreadLeftRunningWarning``), since it also
    undoes what the test itself wrote to ``os.environ`` without ``monkeypatch``.
    """
    session = item.config.stash.get(sam_session_key, None)
    if session is None:
        return (yield)
    saved = dict(os.environ)
    before = session.invoker  # None until a test first uses the gateway
    reported = before.strays_reported if before is not None else 0
    had_strays = before is not None and bool(before.stray_threads())
    try:
        return (yield)
    finally:
        invoker = session.invoker
        if invoker is not None and (had_strays or invoker.strays_reported != reported
                                    or invoker.stray_threads()):
            _restore_environ(saved)


def _restore_environ(saved: dict[str, str]) -> None:
    for key in [key for key in os.environ if key not in saved]:
        del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> EventFile | None:
    session = parent.config.stash.get(sam_session_key, None)
    if session is None or file_path.suffix != ".json":
        return None
    # Only a session with a template imports the gateway (the plugin loads in every pytest run).
    from pytest_samfastapi.replay import EventFile
    from sam_fastapi.gateway.snapshots import SUFFIX

    if file_path.name.endswith(SUFFIX):
        return None
    if not file_path.is_relative_to(session.settings.events_dir):
        return None
    if not _stays_inside(file_path, session.settings.events_dir, session.project.project_root):
        return None  # a symlink out of the project is never read (SF103's promise)
    return EventFile.from_parent(parent, path=file_path)


def _stays_inside(path: Path, *folders: Path) -> bool:
    return paths.inside(path, *folders)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if terminalreporter.config.stash.get(sam_session_key, None) is None:
        return
    from pytest_samfastapi.replay import snapshot_note

    # Read from the reports, which come back from xdist workers too.
    notes = [note for report in terminalreporter.stats.get("passed", [])
             if (note := snapshot_note(report))]
    if notes:
        terminalreporter.section("sam snapshots")
        for note in notes:
            terminalreporter.write_line(note)


def _covered(args: list[str], folder: Path, base: Path) -> bool:
    """Whether a collection argument already reaches ``folder`` or something inside it."""
    for arg in args:
        path = (base / arg.split("::", 1)[0]).resolve()
        if folder.is_relative_to(path) or path.is_relative_to(folder):
            return True
    return False

