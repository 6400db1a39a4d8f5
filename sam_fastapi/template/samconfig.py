"""``parameter_overrides`` from the ``samconfig.toml`` beside a template, as SAM CLI reads them."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

#: Where SAM CLI looks for overrides, most specific command first.
_SECTIONS = ("deploy", "build", "sync", "local_start_api", "local_invoke", "global")


def read_parameter_overrides(folder: Path, environment: str = "default") -> dict[str, str]:
    """The ``parameter_overrides`` of ``samconfig.toml`` in ``folder``.

    Empty when the file is absent or unreadable.
    """
    path = folder / "samconfig.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    from sam_fastapi._toml import tomllib  # only where there is a samconfig.toml

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}
    env = data.get(environment)
    if not isinstance(env, dict):
        return {}
    for section in _SECTIONS:
        table = env.get(section)
        params = table.get("parameters") if isinstance(table, dict) else None
        if isinstance(params, dict) and "parameter_overrides" in params:
            return parse_overrides(params["parameter_overrides"])
    return {}


def parse_overrides(value: Any) -> dict[str, str]:
    """Parse ``Key=Value Other="with space"`` (a string or a list of such strings)."""
    items: list[str] = []
    if isinstance(value, str):
        try:
            items = shlex.split(value)
        except ValueError:
            return {}
    elif isinstance(value, list):
        for entry in value:
            if isinstance(entry, str):
                try:
                    items.extend(shlex.split(entry))
                except ValueError:
                    continue
    result = {}
    for item in items:
        if item.startswith("ParameterKey="):
            # The CloudFormation CLI form: ParameterKey=Stage,ParameterValue=prod
            key, sep, val = item.removeprefix("ParameterKey=").partition(",ParameterValue=")
        else:
            key, sep, val = item.partition("=")
        if sep and key:
            result[key] = val
    return result
