"""Checks of what runs on Lambda's platform: native binaries, layers, package size."""
