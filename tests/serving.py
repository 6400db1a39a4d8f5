"""A real uvicorn serving an ASGI app on an ephemeral loopback port, for the serve tests."""

from __future__ import annotations

import threading
import time

import httpx
import uvicorn

from sam_fastapi.commands.serve import bind


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
