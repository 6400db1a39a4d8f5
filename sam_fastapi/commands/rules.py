"""``sam-fastapi rules [RULE]``: what each rule does, why, and how to fix it."""

from __future__ import annotations

import argparse
import sys

from sam_fastapi import hookimpl
from sam_fastapi.errors import UsageError
from sam_fastapi.plugins import registered_rules


@hookimpl
def sam_fastapi_register_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rules", help="list the rules, or explain one")
    parser.add_argument("rule", nargs="?",
                        help="a rule id (SF203) or name (makefile-recipe-not-tab)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rules = registered_rules(args.plugin_manager)
    if args.rule is None:
        width = max(len(r.name) for r in rules.values())
        for rule in rules.values():
            sys.stdout.write(f"{rule.id}  {rule.name:<{width}}  "
                             f"{rule.severity.label:<7}  {rule.summary}\n")
        return 0
    wanted = args.rule.upper() if args.rule.upper() in rules else args.rule
    rule = rules.get(wanted) or next((r for r in rules.values() if r.name == args.rule), None)
    if rule is None:
        raise UsageError(f"unknown rule {args.rule!r}; `sam-fastapi rules` lists them")
    heading = f"# {rule.id} {rule.name} ({rule.severity.label})"
    sys.stdout.write(f"{heading}\n\n{rule.summary}\n\n{rule.docs}")
    return 0
