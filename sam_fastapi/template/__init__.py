"""Template loading (with source positions) and the project model built from it."""

from typing import TYPE_CHECKING, Any

from sam_fastapi.template.loader import TemplateError, load_template

if TYPE_CHECKING:
    from sam_fastapi.template.model import (
        Api,
        ApiEvent,
        Function,
        Intrinsic,
        Layer,
        LayerRef,
        Parameter,
        Project,
        S3Location,
        build_project,
    )

__all__ = [
    "Api",
    "ApiEvent",
    "Function",
    "Intrinsic",
    "Layer",
    "LayerRef",
    "Parameter",
    "Project",
    "S3Location",
    "TemplateError",
    "build_project",
    "load_template",
]


def __getattr__(name: str) -> Any:
    # The model loads when first asked for: reading a template needs only the loader.
    if name in __all__:
        from sam_fastapi.template import model

        return getattr(model, name)
    raise AttributeError(f"module 'sam_fastapi.template' has no attribute {name!r}")
