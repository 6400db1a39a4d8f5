"""sam-fastapi: lint, test and serve FastAPI apps on AWS Lambda with AWS SAM."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pluggy

    from sam_fastapi.findings import Finding, Location, Severity

    hookimpl: pluggy.HookimplMarker

__version__ = "0.1.0"

__all__ = ["Finding", "Location", "Severity", "__version__", "hookimpl"]


def __getattr__(name: str) -> Any:
    # pluggy and the findings' classes load when first used: the template loader, which the
    # pytest plugin and serve start with, needs neither (pluggy is a third of its import).
    if name == "hookimpl":
        import pluggy

        marker = globals()["hookimpl"] = pluggy.HookimplMarker("sam_fastapi")
        return marker
    if name in ("Finding", "Location", "Severity"):
        from sam_fastapi import findings

        return getattr(findings, name)
    raise AttributeError(f"module 'sam_fastapi' has no attribute {name!r}")
