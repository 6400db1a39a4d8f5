"""pytest plugin for sam-fastapi: ``pytest --sam template.yaml``."""

from pytest_samfastapi.client import Headers, Response, SamClient

__all__ = ["Headers", "Response", "SamClient"]
