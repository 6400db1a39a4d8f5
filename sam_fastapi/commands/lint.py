"""``sam-fastapi lint``: the CI gate."""

from __future__ import annotations

import argparse
import gc
import importlib.util
import sys
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from sam_fastapi import hookimpl
from sam_fastapi.config import NO_FAIL_LEVEL, LintConfig
from sam_fastapi.errors import UsageError
from sam_fastapi.findings import Severity

if TYPE_CHECKING:
    from sam_fastapi.child import WarmChildren
    from sam_fastapi.formatters.base import Formatter
    from sam_fastapi.lint import LintResult


@hookimpl(tryfirst=True)  # help lists the CI gate first (pluggy calls later plugins first)
def sam_fastapi_register_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="check SAM templates, their code folders, Makefiles and handlers",
        description="Run aws-sam-translator, cfn-lint and sam-fastapi's own checks.",
    )
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("template.yaml")],
                        metavar="PATH", help="templates, folders holding template.yaml, or "
                        "handlers, requirements*.txt and Makefiles (each stands for the "
                        "nearest template above it); - reads one template from standard input")
    parser.add_argument("--stdin-filename", type=Path, metavar="PATH",
                        help="with -: where the template on standard input lives, for its code "
                             "folders, configuration and the paths findings name (default: "
                             "template.yaml in the working folder)")
    parser.add_argument("--format", default="text", help="text, json, sarif or github")
    parser.add_argument("--fail-level", choices=[*(s.label for s in Severity), NO_FAIL_LEVEL],
                        help="lowest severity that fails the run (default: error); none: "
                             "report findings and exit 0")
    parser.add_argument("--select", action="append", metavar="RULE",
                        help="only these rule ids (or prefixes); repeat or comma-separate")
    parser.add_argument("--ignore", action="append", metavar="RULE",
                        help="skip these rule ids (or prefixes); repeat or comma-separate")
    parser.add_argument("--no-cache", action="store_true",
                        help="analyse everything again instead of reusing unchanged results")
    parser.add_argument("--output", type=Path, help="write the report to this file")
    parser.add_argument("--exit-zero", action="store_true",
                        help="exit 0 even when findings reach the fail level (2 still means "
                             "a usage or tool error)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print the findings and nothing else (no summary, no notes)")
    parser.add_argument("--statistics", action="store_true",
                        help="print how many findings each rule has instead of the findings")
    parser.add_argument("--watch", action="store_true",
                        help="lint, then lint again whenever the template, a handler, Makefile "
                             "or requirements*.txt of its code folders, .cfnlintrc or "
                             "pyproject.toml changes, with cfn-lint and the SAM transform kept "
                             "running between runs; text reports only; Ctrl-C stops (exit 0)")
    parser.add_argument("--import", dest="import_apps", action="store_true",
                        help="RUNS YOUR CODE: import each function's app in a subprocess (its "
                             "environment variables, a time limit) to read its routes exactly")
    parser.set_defaults(handler=run)


#: The path that stands for standard input.
STDIN = Path("-")


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or () for v in value.split(",") if v.strip()]


#: What lint runs beside its own checks: (module, distribution), from the ``lint`` extra.
LINT_STACK = (("cfnlint", "cfn-lint"), ("samtranslator", "aws-sam-translator"))


def require_lint_stack() -> None:
    """A one-line UsageError naming the install command when the ``lint`` extra is missing."""
    missing = [dist for module, dist in LINT_STACK if importlib.util.find_spec(module) is None]
    if missing:
        raise UsageError(
            f"lint needs {' and '.join(missing)}, not installed here: "
            "pip install 'sam-fastapi[lint]' (or, for a tool environment of its own, "
            "pipx install 'sam-fastapi[lint]')")


#: Allocations between two young-generation collections during lint (Python's default: 700).
#: A run makes many short-lived objects (syntax trees, paths) and few cycles; collecting that
#: often cost about 15% of an unchanged re-run of a 100-function project (mypy does the same).
GC_THRESHOLD = (100_000, 20, 20)


def run(args: argparse.Namespace) -> int:
    previous = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        return _run(args)
    finally:
        gc.set_threshold(*previous)


def _run(args: argparse.Namespace) -> int:
    require_lint_stack()
    formatter = _formatter(args)
    if args.watch:
        return _watch(args, formatter)
    texts = _standard_input(args)
    if texts:
        templates, problems = list(texts), []
    else:
        from sam_fastapi.lint import collect_templates

        templates, problems = collect_templates(args.paths)
    if problems:
        raise UsageError(problems[0])
    if not templates:  # only handlers or requirements no template deploys (pre-commit's files)
        if not args.quiet:
            print("No template deploys these files: nothing to check.", file=sys.stderr)
        return 0
    children = _started_children(args, templates, texts)
    try:
        results = _lint(args, templates, texts, children)
    finally:
        if children is not None:
            children.close()
    report = _report(args, formatter, results)
    if args.output:
        try:
            args.output.write_text(report, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{args.output}: cannot write the report: {exc.strerror}") from None
    else:
        sys.stdout.write(report)
    # Each template fails at its own configuration's fail level.
    failed = any(result.failed(config.fail_level) for config, result in results)
    return 1 if failed and not args.exit_zero else 0


def _started_children(args: argparse.Namespace, templates: list[Path],
                      texts: dict[Path, bytes]) -> WarmChildren | None:
    """The cfn-lint and translator processes, started now when a template's analysis is not in
    the cache, so that their imports (a second or more) overlap this process loading its checks
    and configuration. None, and no process, when the cache has every template or the
    selection runs neither."""
    from sam_fastapi.lint import analysed

    select = _split(args.select)
    if select and all(prefix.upper().startswith("SF") for prefix in select):
        return None
    if not args.no_cache and all(analysed(t, texts.get(t)) for t in templates):
        return None
    from sam_fastapi.child import WarmChildren

    children = WarmChildren()
    for module in ("sam_fastapi.cfn", "sam_fastapi.translate"):
        children.get(module)
    return children


def _formatter(args: argparse.Namespace) -> Formatter:
    formatters = {f.name: f for group in args.plugin_manager.hook.sam_fastapi_register_formatters()
                  for f in group}
    formatter = formatters.get(args.format)
    if formatter is None:
        choices = ", ".join(sorted(formatters))
        raise UsageError(f"unknown format {args.format!r} (choose from {choices})")
    if args.statistics and args.format != "text":
        raise UsageError(f"--statistics prints text; it cannot be combined with --format "
                         f"{args.format}")
    return formatter


def _lint(args: argparse.Namespace, templates: list[Path], texts: dict[Path, bytes],
          children: WarmChildren | None = None) -> list[tuple[LintConfig, LintResult]]:
    """Each group of templates linted under its configuration; a bad configuration or a
    cfn-lint that cannot run is a UsageError."""
    from sam_fastapi.cfn import CfnLintError
    from sam_fastapi.config import ConfigError
    from sam_fastapi.lint import Linter
    from sam_fastapi.plugins import registered_rules

    pm = args.plugin_manager
    select, ignore = _split(args.select), _split(args.ignore)
    try:
        groups = _configured(templates, args, select, ignore, registered_rules(pm))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    try:
        return [(config, Linter(pm, config, texts=texts, children=children).lint(group))
                for config, group in groups]
    except CfnLintError as exc:
        raise UsageError(str(exc)) from None


def _report(args: argparse.Namespace, formatter: Formatter,
            results: list[tuple[LintConfig, LintResult]]) -> str:
    """The report of all the results, as ``--format`` and ``--statistics`` ask; the notes (a
    template with nothing to check) go to standard error unless ``--quiet``."""
    from sam_fastapi.formatters import text
    from sam_fastapi.lint import LintResult

    result = LintResult.combined([result for _, result in results])
    if not args.quiet:
        for note in result.notes:
            print(note, file=sys.stderr)
    if args.statistics:
        lines = text.statistics(result.findings)
    elif args.quiet and args.format == "text":
        lines = text.finding_lines(result.findings)
    else:
        return formatter.format(result.findings, result.rules)
    return "".join(f"{line}\n" for line in lines)


#: The formats ``--watch`` prints: a stream of reports, each complete in itself.
WATCH_FORMATS = ("text",)


def _watch(args: argparse.Namespace, formatter: Formatter) -> int:
    """Lint, then lint again on every change of what the run read, until Ctrl-C (exit 0).

    The first run stops on a usage error as ``lint`` does; after it, a run's error (a
    configuration being edited, a template deleted) is printed and the watch goes on.
    """
    from sam_fastapi import watch
    from sam_fastapi.child import WarmChildren
    from sam_fastapi.lint import collect_templates

    if args.format not in WATCH_FORMATS:
        raise UsageError(f"--watch prints {' or '.join(WATCH_FORMATS)} reports; it cannot be "
                         f"combined with --format {args.format}")
    if STDIN in args.paths or args.stdin_filename is not None:
        raise UsageError("--watch lints files on disk; it cannot read standard input (-)")
    if args.output is not None:
        raise UsageError("--watch prints its reports; it cannot be combined with --output")
    children = WarmChildren()
    watching = watch.watched(args.paths, [])
    before = watch.snapshot(watching)
    heading = f"Linting {' '.join(map(str, args.paths))}"
    first = True
    try:
        while True:
            _say(heading)
            templates, problems = collect_templates(args.paths)
            if first and problems:
                raise UsageError(problems[0])
            for problem in problems:
                print(f"{problem}; watching for it", flush=True)
            results: list[tuple[LintConfig, LintResult]] = []
            try:
                results = _lint(args, templates, {}, children) if templates else []
            except UsageError as exc:
                if first:
                    raise
                print(f"sam-fastapi: error: {exc}", flush=True)
            first = False
            if results:
                sys.stdout.write(_report(args, formatter, results))
            watching = watch.watched(
                args.paths, [p for _, result in results for p in result.projects])
            after = watch.snapshot(watching)
            # A file that changed while the run read it is linted again at once. (Files the
            # run no longer depends on, a broken template's code folders, are left out.)
            during = [path for path, state in before.items()
                      if path in after and after[path] != state]
            if not during:
                _say("Watching for changes (Ctrl-C stops).")
                after, during = watch.wait_for_change(watching, after)
            before = after
            heading = f"{_listed(during)} changed"
    except KeyboardInterrupt:
        return 0
    finally:
        children.close()


def _say(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)


def _listed(paths: list[Path], most: int = 3) -> str:
    from sam_fastapi.lint import shown_path

    names = [shown_path(str(path)) for path in paths[:most]]
    more = f" and {len(paths) - most} more" if len(paths) > most else ""
    return ", ".join(names) + more


def _standard_input(args: argparse.Namespace) -> dict[Path, bytes]:
    """``lint -``: the template read from standard input, under the path it is said to live at.

    The text is passed through to the analysers; nothing is written beside the project.
    """
    if STDIN not in args.paths:
        if args.stdin_filename is not None:
            raise UsageError("--stdin-filename names the template read from standard input; "
                             "give - as the path")
        return {}
    if len(args.paths) > 1:
        raise UsageError("- reads one template from standard input; give no other paths")
    if sys.stdin is None:
        raise UsageError("- reads the template from standard input, which is closed")
    try:
        text = sys.stdin.buffer.read()
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the template from standard input: {exc}") from None
    return {args.stdin_filename or Path("template.yaml"): text}


def _configured(templates: list[Path], args: argparse.Namespace, select: list[str],
                ignore: list[str], ours: Iterable[str]) -> list[tuple[LintConfig, list[Path]]]:
    """The templates grouped by the configuration nearest to each, as ruff does for files:
    each group's ``[tool.sam-fastapi]`` with the command line's options over it."""
    from sam_fastapi.cfn import cfn_lint_rule_ids
    from sam_fastapi.config import check_rule_ids, load_config, rule_selectors

    groups: dict[Path | None, tuple[LintConfig, list[Path]]] = {}
    for template in templates:
        found = load_config(template.resolve().parent)
        if found.source not in groups:
            check_rule_ids(rule_selectors(found, select, ignore), ours, cfn_lint_rule_ids)
            config = found.with_options(
                select=select,
                ignore=ignore,
                fail_level=args.fail_level,
                use_cache=False if args.no_cache else None,
            )
            if args.import_apps:
                config = replace(config, import_apps=True)
            groups[found.source] = (config, [])
        groups[found.source][1].append(template)
    return list(groups.values())


