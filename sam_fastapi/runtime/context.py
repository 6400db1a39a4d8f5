"""The context object a Python handler receives (APIGW-BEHAVIOR §6.4; awslambdaric's class)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: The variable Lambda sets to each invocation's X-Ray trace header.
TRACE_ID = "_X_AMZN_TRACE_ID"


@dataclass
class LambdaContext:
    function_name: str
    function_version: str
    invoked_function_arn: str
    # The runtime reads it from AWS_LAMBDA_FUNCTION_MEMORY_SIZE, so it is a string there too.
    memory_limit_in_mb: str
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float  # seconds since the epoch, on ``clock``
    clock: Callable[[], float]
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self.clock()) * 1000))

    def log(self, message: str) -> None:
        print(message, end="")
