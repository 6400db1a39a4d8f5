"""pytest plugin for sam-fastapi: ``pytest --sam template.yaml``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_samfastapi.client import Headers, Response, SamClient

__all__ = ["Headers", "Response", "SamClient"]


def __getattr__(name: str) -> Any:
    # pytest imports this package in every run of the environment: the client comes on demand.
    if name in __all__:
        from pytest_samfastapi import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
