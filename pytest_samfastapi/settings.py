"""What ``--sam`` and its companions say, read once per session and kept in ``config.stash``.

Options are read from the command line first, then from the ini file (pytest.ini, tox.ini,
setup.cfg or ``[tool.pytest.ini_options]`` in pyproject.toml), as pytest-django does. A value
that cannot be used is a ``pytest.UsageError`` naming the setting and the problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sam_fastapi.gateway import Gateway
    from sam_fastapi.gateway.invoker import Invoker
    from sam_fastapi.template import Project


@dataclass(frozen=True)
class Settings:
    template: Path
    source: str  # where the template setting came from, for the report header
    events_dir: Path
    stage: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    snapshot_update: bool = False
    isolation: str = "thread"


class SamSession:
    """The project under test and its gateway, shared by fixtures and recorded-event items.

    The gateway is built on first use, so a session that never sends a request never imports
    the gateway, FastAPI, Mangum or the project's code.
    """

    def __init__(self, settings: Settings, project: Project) -> None:
        self.settings = settings
        self.project = project
        self._gateway: Gateway | None = None

    @property
    def invoker(self) -> Invoker | None:
        """The gateway's invoker, once a test has used the gateway."""
        return self._gateway.invoker if self._gateway is not None else None

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            from sam_fastapi.gateway import Gateway

            # The project already carries --sam-parameter (open_session), so that sam_template
            # shows what the gateway runs; passing them again would only load the template twice.
            self._gateway = Gateway(self.project, stage=self.settings.stage,
                                    isolation=self.settings.isolation)
        return self._gateway


#: How functions run under pytest: in the test process (debuggers, coverage and monkeypatch
#: reach them), or each instance in a sandbox process as ``serve`` runs them.
ISOLATIONS = ("thread", "process")
_STAGE_NAME = re.compile(r"\$default|[A-Za-z0-9_-]{1,128}")

sam_session_key = pytest.StashKey["SamSession | None"]()


def read_settings(config: pytest.Config) -> Settings | None:
    """The session's settings, or ``None`` when neither ``--sam`` nor ``sam_template`` is set."""
    option = config.getoption("sam_template")
    if option:
        template = _absolute(option, config.invocation_params.dir)
        source = "--sam option"
    else:
        value = config.getini("sam_template")
        if not value:
            return None
        template = _absolute(value, _ini_dir(config))
        source = f"sam_template in {_ini_name(config)}"
    if not template.is_file():
        what = "is not a file" if template.exists() else "does not exist"
        raise pytest.UsageError(f"sam template {template} ({source}) {what}")
    return Settings(
        template=template,
        source=source,
        events_dir=_events_dir(config, template),
        stage=_stage(config.getoption("sam_stage")),
        parameters=_parameters(config.getoption("sam_parameters") or ()),
        snapshot_update=bool(config.getoption("sam_snapshot_update")),
        isolation=_isolation(config),
    )


def open_session(settings: Settings) -> SamSession:
    """Load the template; a template that cannot be read or names unknown parameters is a
    usage error, since no test could run against it."""
    from sam_fastapi.template import TemplateError
    from sam_fastapi.template.stacks import load_project

    try:
        project = load_project(settings.template, parameter_overrides=settings.parameters)
    except TemplateError as exc:
        raise pytest.UsageError(f"sam template cannot be loaded: {exc}") from None
    unknown = sorted(set(settings.parameters) - set(project.parameters))
    if unknown:
        known = ", ".join(sorted(project.parameters)) or "none"
        raise pytest.UsageError(
            f"--sam-parameter {unknown[0]}: the template has no such parameter "
            f"(its parameters: {known})"
        )
    return SamSession(settings, project)


def shown(path: Path, config: pytest.Config) -> str:
    """A path as the user reads it: relative to the rootdir when it is inside it."""
    try:
        return str(path.relative_to(config.rootpath))
    except ValueError:
        return str(path)


def _events_dir(config: pytest.Config, template: Path) -> Path:
    option = config.getoption("sam_events")
    if option:
        events, source = _absolute(option, config.invocation_params.dir), "--sam-events"
    elif config.getini("sam_events"):
        events = _absolute(config.getini("sam_events"), _ini_dir(config))
        source = f"sam_events in {_ini_name(config)}"
    else:
        # The default folder is optional: a project without recorded events has none.
        events = template.parent / "events"
        source = ""
    if events.exists() and not events.is_dir():
        raise pytest.UsageError(f"sam events folder {events} ({source or 'default'}) is a file")
    if source and not events.exists():
        raise pytest.UsageError(f"sam events folder {events} ({source}) does not exist")
    return events


def _isolation(config: pytest.Config) -> str:
    value = config.getoption("sam_isolation") or config.getini("sam_isolation") or "thread"
    if value not in ISOLATIONS:
        raise pytest.UsageError(f"sam isolation {value!r}: choose from {', '.join(ISOLATIONS)}")
    return value


def _stage(name: str | None) -> str | None:
    if name is None or _STAGE_NAME.fullmatch(name):
        return name
    raise pytest.UsageError(
        f"--sam-stage {name!r}: a stage name is up to 128 letters, digits, '-' and '_', "
        "or $default"
    )


def _parameters(items: Sequence[str]) -> dict[str, str]:
    parameters = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise pytest.UsageError(
                f"--sam-parameter {item!r}: expected KEY=VALUE, e.g. --sam-parameter Stage=dev"
            )
        parameters[key.strip()] = value
    return parameters


def _absolute(value: str | Path, base: Path) -> Path:
    return (base / Path(value).expanduser()).resolve()


def _ini_dir(config: pytest.Config) -> Path:
    return config.inipath.parent if config.inipath else config.rootpath


def _ini_name(config: pytest.Config) -> str:
    return config.inipath.name if config.inipath else "the ini file"
