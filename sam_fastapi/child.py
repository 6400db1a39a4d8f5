"""``python -m MODULE`` in a child process that answers in JSON on stdout.

cfn-lint and the SAM transform each run in one, so a lint run uses both cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


class ChildFailed(Exception):
    """The child exited non-zero; ``returncode`` and the last line it wrote on stderr."""

    def __init__(self, returncode: int, last_line: str) -> None:
        super().__init__(last_line)
        self.returncode = returncode
        self.last_line = last_line


class JsonChild:
    def __init__(self, module: str, *args: str, stdin: bool = False) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def answer(self) -> Any:
        """The decoded answer; ``ChildFailed`` on a non-zero exit, ValueError on bad JSON."""
        self.process.stdin = None  # written and closed by the caller, if used at all
        out, err = self.process.communicate()
        if self.process.returncode != 0:
            lines = err.decode(errors="replace").strip().splitlines() or ["no output"]
            raise ChildFailed(self.process.returncode, lines[-1])
        return json.loads(out)

    def cancel(self) -> None:
        self.process.kill()
        self.process.communicate()
