"""The cast service."""
