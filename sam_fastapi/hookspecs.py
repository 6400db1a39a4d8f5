"""Every hook sam-fastapi calls, declared once.

Built-in checks, formatters and commands register through these same hooks as third-party
plugins do (``sam_fastapi.plugins.DEFAULT_PLUGINS``); a distribution adds its own through the
``sam_fastapi`` entry-point group. Implement them with ``@sam_fastapi.hookimpl``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from sam_fastapi.checks.base import Check
    from sam_fastapi.findings import Rule
    from sam_fastapi.formatters.base import Formatter

hookspec = pluggy.HookspecMarker("sam_fastapi")


@hookspec
def sam_fastapi_register_checks() -> Sequence[Check]:
    """Return the checks this plugin adds to ``sam-fastapi lint``.

    Called once per run, before any template is read. Each check carries its ``rule``
    (id, name, default severity, docs) and ``run(project, ctx)`` yields ``Violation`` objects
    for a ``Project``; ``ctx`` (``sam_fastapi.checks.base.CheckContext``) carries the lint
    configuration and a memo shared by the checks of one run. A check that raises is reported
    as SF000 and the run goes on.
    """


@hookspec
def sam_fastapi_register_rules() -> Sequence[Rule]:
    """Return rules that are reported by the lint pipeline itself rather than by a check.

    The built-in plugin uses it for SF000 (check crashed), SF001 (template unreadable) and
    SF002 (SAM transform failed), so that ``sam-fastapi rules`` documents them too.
    """


@hookspec
def sam_fastapi_register_formatters() -> Sequence[Formatter]:
    """Return output formatters for ``--format``; each has a unique ``name``.

    Called once per run. A later plugin's formatter of the same name replaces an earlier one,
    so a plugin can override a built-in.
    """


@hookspec
def sam_fastapi_register_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add subcommands to the ``sam-fastapi`` command line.

    ``subparsers`` is the ``argparse`` sub-parser collection; a command sets its handler with
    ``parser.set_defaults(handler=callable)``, where ``callable(args) -> int`` returns the exit
    code. Called once when the command line is built.
    """
