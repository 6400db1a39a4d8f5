"""The cast service's routers."""
