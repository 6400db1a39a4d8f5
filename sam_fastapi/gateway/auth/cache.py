"""Authorizer results kept for their TTL, as API Gateway caches them per identity (§5.3, §5.4).

The key is the authorizer and its identity values (the token for a TOKEN authorizer); a cached
IAM policy is evaluated again against each later request's ARN.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any


class ResultCache:
    """Answers of authorizers by key, each until its TTL passes on ``clock``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self.clock() >= expires:
            del self._entries[key]
            return None
        return value

    def put(self, key: Hashable, value: Any, ttl: float) -> None:
        if ttl > 0:
            self._entries[key] = (self.clock() + ttl, value)

    def clear(self) -> None:
        """Forget every cached answer (the pytest plugin does so before each test)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
