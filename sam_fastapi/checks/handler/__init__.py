"""The handler rules SF301-SF308: a Python function's ``Handler``, read statically with ``ast``."""
