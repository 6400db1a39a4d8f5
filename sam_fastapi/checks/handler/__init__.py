"""The handler rules SF301-SF307: a Python function's ``Handler``, read statically with ``ast``."""
