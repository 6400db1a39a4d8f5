"""Built-in checks, grouped by concern, one rule per module."""
