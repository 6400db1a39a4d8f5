"""Output formats for findings, one module each, registered through a hook."""
