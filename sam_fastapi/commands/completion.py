"""``sam-fastapi completion bash|zsh|fish``: a shell completion script made from the parser.

The script is generated from the argparse parser itself (every command a plugin adds, its
options and their choices), so it never falls behind the command line; it needs nothing
installed but the shell.
"""

from __future__ import annotations

import argparse
import sys

from sam_fastapi import hookimpl

SHELLS = ("bash", "zsh", "fish")


@hookimpl
def sam_fastapi_register_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "completion", help="print a shell completion script",
        description="Print a completion script for the shell. Bash: add "
                    "'source <(sam-fastapi completion bash)' to ~/.bashrc; zsh: the same with "
                    "zsh in ~/.zshrc; fish: 'sam-fastapi completion fish | source' in "
                    "~/.config/fish/config.fish.")
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # The scripts' makers are imported here: every command imports this module to build the
    # command line, and only this one needs them.
    from sam_fastapi.cli import build_parser
    from sam_fastapi.completion import bash_script, describe, fish_script, zsh_script

    commands = describe(build_parser(args.plugin_manager))
    script = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}[args.shell](commands)
    sys.stdout.write(script)
    return 0
