"""The ``pytest11`` entry point: the plugin on pytest 7.0 or later, a clear refusal before.

pytest loads this in every run of the environment, so it must never break one: on an older
pytest (no ``pytest.StashKey``, no ``file_path`` hooks) it only turns ``--sam`` and
``sam_template`` into a usage error that names the floor; other test runs go on untouched.
"""

from __future__ import annotations

import pytest

#: The oldest pytest the plugin supports (``pytest.StashKey`` and the ``file_path`` hooks).
MINIMUM_PYTEST = (7, 0)


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit()) or "0"
        parts.append(int(digits))
    return tuple(parts)


if _version(pytest.__version__) >= MINIMUM_PYTEST:
    pytest_plugins = ("pytest_samfastapi.plugin",)
else:
    _REFUSAL = (f"sam-fastapi's pytest plugin needs pytest {'.'.join(map(str, MINIMUM_PYTEST))} "
                f"or later (this is pytest {pytest.__version__}): pip install 'pytest>=7'")

    def pytest_addoption(parser) -> None:
        parser.addoption("--sam", dest="sam_template", metavar="TEMPLATE", help=_REFUSAL)
        parser.addini("sam_template", _REFUSAL, default="")

    def pytest_configure(config) -> None:
        if config.getoption("sam_template") or config.getini("sam_template"):
            raise pytest.UsageError(_REFUSAL)
