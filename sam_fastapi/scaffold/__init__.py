"""Project generators behind ``sam-fastapi init`` and ``sam-fastapi split``.

``init`` and ``split`` decide *what* to write (a mapping of relative paths to file contents);
``files`` decides whether it may be written; ``monolith`` is the only code that imports a
user's app, and it runs in a subprocess.
"""

#: The choices the command line offers, kept here so building it imports nothing else.
RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
ARCHITECTURES = ("x86_64", "arm64")
GROUP_BY = ("router", "prefix")
DEFAULT_TIMEOUT = 60.0  # seconds for importing a monolith's app
