"""Project generators behind ``sam-fastapi init`` and ``sam-fastapi split``.

``init`` and ``split`` decide *what* to write (a mapping of relative paths to file contents);
``files`` decides whether it may be written; ``monolith`` is the only code that imports a
user's app, and it runs in a subprocess.
"""
