"""pytest hooks and options for ``pytest --sam template.yaml``."""
