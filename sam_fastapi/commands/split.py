"""``sam-fastapi split PACKAGE.MODULE:APP --out DIR``: one Lambda function per router.

Reading the app means importing it, which runs its code: that happens in a subprocess with a
timeout, never in this process.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sam_fastapi import hookimpl
from sam_fastapi.commands.init import add_project_options, ask_overwrite, report_written
from sam_fastapi.errors import UsageError
from sam_fastapi.scaffold import DEFAULT_TIMEOUT, GROUP_BY


@hookimpl
def sam_fastapi_register_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "split",
        help="turn a monolithic FastAPI app into one Lambda function per router",
        description="Import the app in a subprocess (this runs its code), group its routes, "
                    "and write a SAM project with one function per group, the package shared "
                    "through a layer, and recorded events proving every route answers as "
                    "the monolith does.",
    )
    parser.add_argument("target", metavar="PACKAGE.MODULE:APP", help="e.g. myapp.main:app")
    parser.add_argument("--out", type=Path, metavar="DIR", help="where to write the project")
    parser.add_argument("--group-by", choices=GROUP_BY, default="router",
                        help="the APIRouter a route came from, or its first path segment")
    parser.add_argument("--http-api", action="store_true",
                        help="an HTTP API (payload 2.0) instead of a REST API")
    parser.add_argument("--copy", action="store_true", dest="copy_code",
                        help="copy the package into the project instead of pointing the "
                             "layer at it")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    parser.add_argument("--path", type=Path, default=Path("."), metavar="DIR",
                        help="the folder the app is imported from (default: here)")
    parser.add_argument("--requirements", type=Path, metavar="FILE",
                        help="the dependency layer's requirements (default: the "
                             "distributions the app imported, pinned)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"for importing the app (default: {DEFAULT_TIMEOUT:g})")
    add_project_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sam_fastapi.scaffold.files import ScaffoldError, write_project
    from sam_fastapi.scaffold.monolith import MonolithError, run_monolith
    from sam_fastapi.scaffold.split import (
        Options,
        SplitError,
        equivalence_requests,
        format_plan,
        make_plan,
        split_files,
    )

    if args.out is None and not args.dry_run:
        raise UsageError("split needs --out DIR (or --dry-run to only print the plan)")
    if not args.path.is_dir():
        raise UsageError(f"--path {args.path}: not a folder")
    requirements = None
    if args.requirements is not None:
        try:
            requirements = args.requirements.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--requirements {args.requirements}: {exc}") from None
    path = args.path.resolve()
    try:
        app = run_monolith("routes", args.target, path=path, timeout=args.timeout)
        plan = make_plan(args.target, app, group_by=args.group_by)
        sys.stdout.write(format_plan(plan))
        if args.dry_run:
            return 0
        options = Options(out=args.out, http_api=args.http_api, copy_code=args.copy_code,
                          runtime=args.runtime, architecture=args.arch,
                          requirements=requirements)
        requests = equivalence_requests(plan)
        answers = run_monolith("record", args.target, path=path, timeout=args.timeout,
                               requests=requests)
        notes = len(plan.notes)
        files = split_files(plan, options, requests, answers)
        for note in plan.notes[notes:]:
            print(f"  {note.subject}: {note.reason}; {note.action}")
        result = write_project(args.out, files, force=args.force, confirm=ask_overwrite())
    except (MonolithError, SplitError, ScaffoldError) as exc:
        raise UsageError(str(exc)) from None
    report_written(args.out, result)
    events = sum(1 for name in files if name.endswith(".response.json"))
    print(f"{events} recorded events prove the functions answer as the monolith did; "
          f"next: cd {args.out} && pip install -r requirements-dev.txt && pytest")
    return 0
