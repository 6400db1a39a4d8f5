"""One execution environment of a function, whatever runs it: the contract with the invoker.

The ``Invoker`` keeps a pool of instances per function and drives each through ``init`` (load
the handler: Lambda's init phase) and ``call`` (one invocation), and ``stop``s the ones it
discards (a timeout, a failed init, an exit). How an instance isolates the function is its
own business: ``inprocess.InProcessInstance`` runs it on a thread of this process with its
modules, path, environment and working directory swapped in.

Lambda's error objects and the runtime's handling of a handler (``runtime.handler``) are the
same for every kind of instance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from sam_fastapi.gateway.function import FunctionSpec
    from sam_fastapi.gateway.running import Running
    from sam_fastapi.runtime.context import LambdaContext
    from sam_fastapi.runtime.handler import Outcome


class Instance(Protocol):
    """One execution environment of one function."""

    #: It runs in this process and swaps process-wide state: the invoker serializes calls.
    in_process: ClassVar[bool]
    spec: FunctionSpec
    #: The init phase succeeded: calls go straight to the handler.
    loaded: bool
    #: A caller is blocked on this instance's current phase (its handler may call others).
    busy: bool
    log_stream: str
    #: The variables the function sees beside its own (AWS_LAMBDA_*, AWS_REGION...).
    environment: dict[str, str]

    def init(self, timeout: float) -> Outcome:
        """Load the handler as the runtime does; Lambda's init error in ``error``."""
        ...

    def call(self, event: Any, context: LambdaContext, timeout: float,
             running: Running) -> Outcome:
        """Run the handler on ``event``; ``running`` is what nested calls from it see."""
        ...

    def stop(self) -> None:
        """Release the instance's resources; it is not called again."""
        ...
