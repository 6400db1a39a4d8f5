"""sam-fastapi: lint, test and serve FastAPI apps on AWS Lambda with AWS SAM."""

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from sam_fastapi.findings import Finding, Location, Severity

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("sam_fastapi")

__all__ = ["Finding", "Location", "Severity", "__version__", "hookimpl"]


def __getattr__(name: str) -> Any:
    # The findings' classes load when first used, so commands that report none start faster.
    if name in ("Finding", "Location", "Severity"):
        from sam_fastapi import findings

        return getattr(findings, name)
    raise AttributeError(f"module 'sam_fastapi' has no attribute {name!r}")
