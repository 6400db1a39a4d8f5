"""Serving the gateway for tests that drive it over HTTP: ``sam-fastapi serve`` in a real
subprocess (``Serving``), or an ASGI app under a real uvicorn in a thread (``Server``)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from sam_fastapi.commands.serve import bind


class Serving:
    """``sam-fastapi serve`` in a subprocess; its stderr read line by line."""

    def __init__(self, template: Path, *options: str, env: dict[str, str] | None = None) -> None:
        """``env``: the whole environment of serve (default: this process's)."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sam_fastapi", "serve", str(template), "--port", "0",
             *options],
            cwd=template.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"},
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


class Server:
    """uvicorn serving an ASGI app on a free loopback port, in a thread."""

    def __init__(self, app) -> None:
        self.app = app
        sock = bind("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(10)
