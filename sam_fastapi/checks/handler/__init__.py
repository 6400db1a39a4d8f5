"""The handler rules SF301-SF309: a Python function's ``Handler``, read statically with ``ast``."""
