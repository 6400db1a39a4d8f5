"""Template loading (with source positions) and the project model built from it."""

from sam_fastapi.template.loader import TemplateError, load_template
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
