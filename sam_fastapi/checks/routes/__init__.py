"""Route coverage: a function's FastAPI routes against the API events that reach it (SF4xx)."""
