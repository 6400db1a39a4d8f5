"""Docker-free builds of Lambda layers and function dependencies for the Lambda platform."""

from sam_fastapi.layers.build import BuildResult, build, cache_key
from sam_fastapi.layers.errors import BuildError
from sam_fastapi.layers.platform import LambdaPlatform, PlatformError
from sam_fastapi.layers.store import TreeStore

__all__ = [
    "BuildError",
    "BuildResult",
    "LambdaPlatform",
    "PlatformError",
    "TreeStore",
    "build",
    "cache_key",
]
