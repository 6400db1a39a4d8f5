"""``sam-fastapi rules [RULE]``: what each rule does, why, and how to fix it."""

from __future__ import annotations

import argparse
import sys

from sam_fastapi import hookimpl
from sam_fastapi.errors import UsageError
from sam_fastapi.findings import Rule


@hookimpl
def sam_fastapi_register_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rules", help="list the rules, or explain one")
    parser.add_argument("rule", nargs="?", help="a rule id (SF203) or name (makefile-recipe-not-tab)")
    parser.set_defaults(handler=run)


def all_rules(pm) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for group in pm.hook.sam_fastapi_register_rules():
        rules.update((r.id, r) for r in group)
    for group in pm.hook.sam_fastapi_register_checks():
        rules.update((c.rule.id, c.rule) for c in group)
    return dict(sorted(rules.items()))


def run(args: argparse.Namespace) -> int:
    rules = all_rules(args.plugin_manager)
    if args.rule is None:
        width = max(len(r.name) for r in rules.values())
        for rule in rules.values():
            sys.stdout.write(f"{rule.id}  {rule.name:<{width}}  {rule.severity.label:<7}  {rule.summary}\n")
        return 0
    wanted = args.rule.upper() if args.rule.upper() in rules else args.rule
    rule = rules.get(wanted) or next((r for r in rules.values() if r.name == args.rule), None)
    if rule is None:
        raise UsageError(f"unknown rule {args.rule!r}; `sam-fastapi rules` lists them")
    sys.stdout.write(f"# {rule.id} {rule.name} ({rule.severity.label})\n\n{rule.summary}\n\n{rule.docs}")
    return 0
