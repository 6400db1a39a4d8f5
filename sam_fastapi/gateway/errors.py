"""The one exception the gateway raises to its callers."""

from __future__ import annotations


class GatewayError(Exception):
    """A function cannot be run in-process at all (unknown, code not local, not Python...)."""
