"""The invocation running in this context: its gateway, invoker and instance.

The invoker sets it on the instance's thread around each call; FastAPI's worker threads and
tasks inherit it. ``lambda_calls`` and ``http_calls`` read it to answer a handler's calls to
other functions of the template in-process, through the same gateway and invoker. In a
sandbox process (``runtime.worker``) the parent process stands in for all three: the calls
are sent to it, and its gateway and invoker answer them.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sam_fastapi.runtime import worker

if TYPE_CHECKING:
    from sam_fastapi.gateway import Gateway
    from sam_fastapi.gateway.instance import Instance
    from sam_fastapi.gateway.invoker import Invoker


@dataclass(frozen=True)
class Running:
    gateway: Gateway | None  # None for an Invoker used on its own
    invoker: Invoker
    instance: Instance


RUNNING: contextvars.ContextVar[Running | None] = contextvars.ContextVar(
    "sam_fastapi_running", default=None)


def waiting_caller() -> Running | None:
    """The invocation whose handler runs in this context while its caller waits for it.

    None outside a handler, and in a thread the handler left running after it returned: a
    call from there is not part of any invocation.
    """
    running = RUNNING.get()
    if running is None and worker.PARENT is not None:
        parent = worker.PARENT
        running = Running(parent, parent, parent)  # type: ignore[arg-type]
    return running if running is not None and running.instance.busy else None
