"""The awards service."""
