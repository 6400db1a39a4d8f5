"""The one error of layer builds, apart from the pip run that raises it most."""


class BuildError(Exception):
    """A build that cannot succeed as asked: one line naming the package and the fix."""
