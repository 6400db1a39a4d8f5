"""``sam-fastapi routes``: every API route of a template, and what serves it."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from sam_fastapi import hookimpl
from sam_fastapi.errors import UsageError

FORMATS = ("text", "json")


@hookimpl
def sam_fastapi_register_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "routes",
        help="map every API route to its function and FastAPI endpoint",
        description="Print every route of the template's APIs: method, path as the client "
                    "calls it (stage included), function and FastAPI endpoint, marking routes "
                    "no event delivers (unreachable) and events no route serves (unserved).",
    )
    parser.add_argument("template", nargs="?", type=Path, default=Path("template.yaml"),
                        metavar="TEMPLATE", help="the template, or a folder holding template.yaml")
    parser.add_argument("--format", default="text", help="text or json")
    parser.add_argument("--import", dest="import_apps", action="store_true",
                        help="RUNS YOUR CODE: import each function's app in a subprocess (its "
                             "environment variables, a time limit) to read its routes exactly")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # The table's makers are imported here: every command imports this module to build the
    # command line, and only this one needs them.
    from sam_fastapi.routes import format_text, rows

    if args.format not in FORMATS:
        raise UsageError(f"unknown format {args.format!r} (choose from {', '.join(FORMATS)})")
    template = args.template / "template.yaml" if args.template.is_dir() else args.template
    if not template.is_file():
        raise UsageError(f"{template}: no such file")
    found, notes = rows(template, import_apps=args.import_apps)
    for note in notes:
        print(note, file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(json.dumps([asdict(row) for row in found], indent=2) + "\n")
    else:
        sys.stdout.write(format_text(found))
    return 0
