"""``sam-fastapi layer build``: Lambda-platform dependency folders without Docker, cached.

Meant to be what ``sam build`` runs for a layer built with ``BuildMethod: makefile``, in the
layer folder's Makefile (the recipe line starts with a tab)::

    build-SharedLayer:
        sam-fastapi layer build SharedLayer --out "$(ARTIFACTS_DIR)"

``sam build`` runs that recipe in a scratch copy of the layer folder, away from the template,
so the template is looked for above the working directory and then above ``--out`` (which is
``<project>/.aws-sam/build/<LogicalId>`` there), skipping ``.aws-sam`` itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from sam_fastapi import hookimpl
from sam_fastapi.errors import UsageError


@hookimpl
def sam_fastapi_register_commands(subparsers: argparse._SubParsersAction) -> None:
    layer = subparsers.add_parser("layer", help="build Lambda layers for the Lambda platform")
    actions = layer.add_subparsers(title="actions", metavar="ACTION")
    parser = actions.add_parser(
        "build",
        help="install a layer's (or function's) requirements.txt for its Lambda runtime",
        description=(
            "Install wheels for the Lambda runtime and architecture of each layer (into "
            "OUT/python) or function (into OUT) with pip's platform options, without Docker. "
            "An unchanged build is restored from the cache. Without LOGICAL_ID, every layer "
            "and function with a requirements.txt is built, each into OUT/<LogicalId>."
        ),
    )
    parser.add_argument("logical_ids", nargs="*", metavar="LOGICAL_ID",
                        help="layers or functions of the template")
    parser.add_argument("-t", "--template", type=Path,
                        help="the SAM template (default: template.yaml above the working "
                             "directory, else above --out)")
    parser.add_argument("--out", type=Path,
                        help="the artifacts folder: $(ARTIFACTS_DIR) in a Makefile "
                             "(default: .aws-sam/sam-fastapi/<LogicalId> beside the template)")
    parser.add_argument("--runtime", help="build for this runtime (python3.12) instead of "
                                          "the template's")
    parser.add_argument("--architecture", choices=("x86_64", "arm64"),
                        help="build for this architecture instead of the template's")
    parser.add_argument("--cache-dir", type=Path,
                        help="cache folder (default: $SAM_FASTAPI_CACHE_DIR, else the user "
                             "cache folder); builds are kept in its layers/ folder")
    parser.add_argument("--cache-size", default=None, metavar="SIZE",
                        help="evict least recently used builds above this total (default: 2G)")
    parser.add_argument("--no-cache", action="store_true",
                        help="run pip even when an identical build is cached, and keep nothing")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pip's output")
    parser.set_defaults(handler=run)
    layer.set_defaults(handler=lambda args: _usage(layer))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    import shutil  # here, like the rest: every command imports this module to build its parser

    from sam_fastapi.cache import cache_dir
    from sam_fastapi.layers.build import build
    from sam_fastapi.layers.errors import BuildError
    from sam_fastapi.layers.plan import targets
    from sam_fastapi.layers.store import DEFAULT_MAX_BYTES, TreeStore, parse_size

    store = None
    if not args.no_cache:
        try:
            max_bytes = parse_size(args.cache_size) if args.cache_size else DEFAULT_MAX_BYTES
        except ValueError as exc:
            raise UsageError(f"--cache-size: {exc}") from None
        store = TreeStore((args.cache_dir or cache_dir()) / "layers", max_bytes)
    planned = targets(args.logical_ids, template=args.template, out=args.out,
                      runtime=args.runtime, architecture=args.architecture,
                      cache_dir=args.cache_dir, use_cache=not args.no_cache)
    for folder in dict.fromkeys(t.fresh for t in planned if t.fresh is not None):
        shutil.rmtree(folder, ignore_errors=True)
    for target in planned:
        try:
            result = build(target.requirements, target.platform, target.dest, store=store,
                           progress=_progress(target.logical_id, args.verbose))
        except (BuildError, OSError) as exc:
            raise UsageError(f"{target.logical_id}: {exc}") from None
        count = len(result.packages)
        how = ("restored from cache" if result.from_cache
               else f"{count} package{'' if count == 1 else 's'} installed")
        sys.stdout.write(f"{target.logical_id}: {target.platform} -> {target.dest} "
                         f"({how}, {result.seconds:.2f}s)\n")
    return 0



def _progress(logical_id: str, verbose: bool) -> Callable[[str], None] | None:
    if verbose:
        return lambda line: print(f"  {logical_id}: {line}", file=sys.stderr, flush=True)
    if sys.stderr.isatty() and not os.environ.get("CI"):
        def per_package(line: str) -> None:
            if line.startswith(("Collecting ", "Processing ", "Building wheel for ")):
                print(f"  {logical_id}: {line.split(' (from ')[0]}", file=sys.stderr, flush=True)
        return per_package
    return None
