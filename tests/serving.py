"""``sam-fastapi serve`` in a real subprocess, for tests that drive it over HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path


class Serving:
    """``sam-fastapi serve`` in a subprocess; its stderr read line by line."""

    def __init__(self, template: Path, *options: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sam_fastapi", "serve", str(template), "--port", "0",
             *options],
            cwd=template.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        first = self.read_until("sam-fastapi serve: http")
        self.url = re.search(r"(http://\S+?)/ ", first).group(1)

    def read_until(self, text: str) -> str:
        deadline = time.monotonic() + 60
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError("serve exited:\n" + "".join(self.lines))
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} in:\n" + "".join(self.lines))

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)
        rest, _ = self.process.communicate(timeout=30)
        return "".join(self.lines) + rest
