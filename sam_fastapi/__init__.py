"""sam-fastapi: lint, test and serve FastAPI apps on AWS Lambda with AWS SAM."""

import pluggy

from sam_fastapi.findings import Finding, Location, Severity

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("sam_fastapi")

__all__ = ["Finding", "Location", "Severity", "__version__", "hookimpl"]
