"""Subcommands of ``sam-fastapi``, each registered through ``sam_fastapi_register_commands``."""
