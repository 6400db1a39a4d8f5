"""The ``sam-fastapi`` command line: parse arguments, call the library, exit."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from sam_fastapi import __version__
from sam_fastapi.errors import UsageError


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2, without the usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


#: The tools ``lint`` runs, named by ``--version``: a bug report needs their versions.
LINT_TOOLS = ("cfn-lint", "aws-sam-translator")


def version_text() -> str:
    """``sam-fastapi X (cfn-lint Y, aws-sam-translator Z, Python V)``."""
    import importlib.metadata
    import platform

    tools = []
    for name in LINT_TOOLS:
        try:
            tools.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            tools.append(f"{name} not installed")
    return f"sam-fastapi {__version__} ({', '.join(tools)}, Python {platform.python_version()})"


class _VersionAction(argparse.Action):
    """``--version``, with the versions looked up only when asked (every command builds the
    parser, ``layer build`` on every ``sam build``)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(version_text())
        parser.exit()


def build_parser(pm) -> argparse.ArgumentParser:
    parser = _Parser(prog="sam-fastapi", description="Lint, test and serve FastAPI apps on AWS "
                     "Lambda with AWS SAM.")
    parser.add_argument("-V", "--version", action=_VersionAction,
                        help="show the versions of sam-fastapi, cfn-lint and aws-sam-translator")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    pm.hook.sam_fastapi_register_commands(subparsers=subparsers)
    return parser


#: Built-in commands that call no hook, and their modules. Each starts with only its own module
#: registered: no other command, no installed plugin (none can add a command of the same name),
#: so a broken or slow plugin never stops a Makefile's ``sam-fastapi layer build``, which runs
#: on every ``sam build`` and mostly restores a cached layer in less time than start-up takes.
SELF_CONTAINED = {
    name: f"sam_fastapi.commands.{name}" for name in ("init", "layer", "routes", "serve", "split")
}


#: Allocations between two young-generation collections while the command line is built
#: (Python's default: 700). Start-up makes thousands of objects that live as long as the
#: process (modules, classes, functions, the parser) and almost no cycles: collecting every
#: 700 of them walks the young ones again and again (6 M instructions of an unchanged ``lint``
#: re-run). The command then runs with the thresholds it was started with.
STARTUP_GC_THRESHOLD = (100_000, 20, 20)


def main(argv: Sequence[str] | None = None) -> int:
    from sam_fastapi.plugins import PluginLoadError, get_plugin_manager

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        previous = gc.get_threshold()
        gc.set_threshold(*STARTUP_GC_THRESHOLD)
        try:
            own = SELF_CONTAINED.get(argv[0]) if argv else None
            pm = (get_plugin_manager(entry_points=False, builtins=(own,)) if own
                  else get_plugin_manager())
            parser = build_parser(pm)
            args = parser.parse_args(argv)
        finally:
            gc.set_threshold(*previous)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 2
        args.plugin_manager = pm
        return handler(args)
    except (UsageError, PluginLoadError) as exc:
        print(f"sam-fastapi: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def entry() -> None:
    """The ``sam-fastapi`` console script (and ``python -m sam_fastapi``): ``main``, then exit.

    What is still alive at exit is frozen first, so the interpreter frees it without the cyclic
    collector walking every object again on the way out: that walk was a tenth of an unchanged
    ``lint`` re-run of a 100-function project (35-55 ms). Tests call ``main``, which freezes
    nothing.
    """
    code = main()
    gc.freeze()
    sys.exit(code)
