"""Errors the command line reports as one line with exit code 2."""


class UsageError(Exception):
    """Bad arguments, a missing template, bad configuration: said in one line, exit code 2."""
