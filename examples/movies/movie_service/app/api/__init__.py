"""The movie service's routers."""
