"""The handler rules SF301-SF305: a Python function's ``Handler``, read statically with ``ast``."""
