"""Docker-free builds of Lambda layers and function dependencies for the Lambda platform.

``build`` (the builder and its cache key), ``store`` (the cache of built trees), ``platform``
(runtimes, architectures and their wheel platforms), ``plan`` (what ``layer build`` builds)
and ``pip``. The package imports none of them itself: lint's checks need only ``platform``,
not the builder.
"""
