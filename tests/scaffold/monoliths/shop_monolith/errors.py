"""The shop's own errors, answered by the app's exception handler."""


class NotFound(Exception):
    def __init__(self, what: str, key: int) -> None:
        super().__init__(f"{what} {key} not found")
        self.what = what
        self.key = key
