"""pytest plugin for sam-fastapi: ``pytest --sam template.yaml``."""
