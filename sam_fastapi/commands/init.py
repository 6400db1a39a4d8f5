"""``sam-fastapi init DIR``: start a project in the per-resource SAM/FastAPI layout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sam_fastapi import hookimpl
from sam_fastapi.errors import UsageError
from sam_fastapi.scaffold import ARCHITECTURES, RUNTIMES

if TYPE_CHECKING:
    from sam_fastapi.scaffold.files import WriteResult


@hookimpl
def sam_fastapi_register_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init",
        help="write a new project: one FastAPI function per resource, a layer, tests",
        description="Write a SAM project in the layout of examples/movies: per-resource "
                    "service folders, a shared dependency layer, template.yaml, samconfig.toml "
                    "and tests run by `pytest --sam`.",
    )
    parser.add_argument("directory", type=Path, metavar="DIR", help="where to write it")
    parser.add_argument("--resource", action="append", metavar="NAME",
                        help="a resource served by its own function at /NAME (repeatable; "
                             "default: items)")
    parser.add_argument("--http-api", action="store_true",
                        help="an HTTP API (payload 2.0) instead of a REST API")
    add_project_options(parser)
    parser.set_defaults(handler=run)


def add_project_options(parser: argparse.ArgumentParser) -> None:
    """The options init and split share for the project they write."""
    parser.add_argument("--arch", choices=ARCHITECTURES, default="x86_64",
                        help="the functions' and layer's architecture (default: x86_64)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="python3.12",
                        help="the functions' Lambda runtime (default: python3.12)")
    parser.add_argument("--force", action="store_true",
                        help="write into a folder that is not empty; files sam-fastapi did not "
                             "write are still only replaced if you answer yes")


def run(args: argparse.Namespace) -> int:
    from sam_fastapi.scaffold.files import ScaffoldError, write_project
    from sam_fastapi.scaffold.init import init_files

    directory: Path = args.directory
    name = directory.resolve().name
    try:
        files = init_files(name, args.resource or (), http_api=args.http_api,
                           runtime=args.runtime, architecture=args.arch)
        result = write_project(directory, files, force=args.force, confirm=ask_overwrite())
    except (ValueError, ScaffoldError) as exc:
        raise UsageError(str(exc)) from None
    report_written(directory, result)
    print(f"next: cd {directory} && pip install -r requirements-dev.txt && pytest")
    return 0


def ask_overwrite():
    """A yes/no question per file when a person is at the terminal, else no question at all
    (and so no file of the user's is replaced)."""
    if not sys.stdin.isatty():
        return None

    def confirm(name: str) -> bool:
        answer = input(f"{name} exists and was not written by sam-fastapi; replace it? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    return confirm


def report_written(directory: Path, result: WriteResult) -> None:
    print(f"wrote {len(result.written)} files to {directory}"
          + (f" ({len(result.unchanged)} already up to date)" if result.unchanged else ""))
    for name in result.kept:
        print(f"kept {name}: it exists and sam-fastapi did not write it", file=sys.stderr)
