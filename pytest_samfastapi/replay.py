"""Recorded events as tests: ``events/casts/get_cast.json::replay``.

Each event is routed by its own method and path through the template, invoked, and must come
back as a valid proxy response below 500; a snapshot beside it pins more. Files that are not
HTTP proxy events are skipped with the reason, never routed as if they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_samfastapi.settings import sam_session_key, shown
from sam_fastapi.gateway.snapshots import (
    SnapshotError,
    diff,
    dump,
    observe,
    read_snapshot,
    render,
    snapshot_path,
)

if TYPE_CHECKING:
    from sam_fastapi.gateway import Exchange

_SNAPSHOT_NOTE = "sam snapshot"


class ReplayFailure(Exception):
    """A recorded event that did not replay as it should; the message is the whole report."""


class EventFile(pytest.File):
    """A recorded event; one that is not an HTTP proxy event is collected skipped, with why."""

    def collect(self) -> Iterator[EventItem]:
        from sam_fastapi.gateway.events import classify, describe_non_proxy

        try:
            event = json.loads(self.path.read_text(encoding="utf-8"))
            reason = None if classify(event) else describe_non_proxy(event)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            event, reason = None, f"invalid JSON ({exc})"
        item = EventItem.from_parent(self, name="replay", event=event)
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"not an HTTP proxy event: {reason}"))
        yield item


class EventItem(pytest.Item):
    """Replay one recorded event through the gateway and check what comes back."""

    def __init__(self, *, event: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event = event

    def runtest(self) -> None:
        from sam_fastapi.gateway import GatewayError

        session = self.config.stash[sam_session_key]
        assert session is not None, "event items are only collected with --sam"
        try:
            exchange = session.gateway.replay(self.event)
        except GatewayError as exc:
            raise ReplayFailure(str(exc)) from None
        _check_served(exchange)
        self._check_snapshot(exchange, update=session.settings.snapshot_update)

    def _check_snapshot(self, exchange: Exchange, *, update: bool) -> None:
        path = snapshot_path(self.path)
        previous = None
        if path.exists():
            try:
                previous = read_snapshot(path)
            except SnapshotError as exc:
                if not update:
                    raise ReplayFailure(f"{exc}\n(--sam-snapshot-update writes it again)") from None
        response = (exchange.status, exchange.headers, exchange.body)
        if update:
            snapshot = render(*response, previous)
            if snapshot != previous:
                path.write_text(dump(snapshot), encoding="utf-8")
                done = "wrote" if previous is None else "updated"
                self.user_properties.append((_SNAPSHOT_NOTE, f"{done} {shown(path, self.config)}"))
            return
        if previous is None:
            return
        difference = diff(previous, observe(*response, previous), path.name)
        if difference:
            raise ReplayFailure(
                f"the response differs from {path.name} "
                f"(--sam-snapshot-update accepts the new one):\n{difference}"
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, ReplayFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int, str]:
        # A line is needed for skips to be reported at the event file rather than here.
        return self.path, 0, f"replay {shown(self.path, self.config)}"


def snapshot_note(report: pytest.TestReport) -> str | None:
    """What a replay did to its snapshot ("wrote events/x.response.json"), if anything."""
    for key, value in report.user_properties:
        if key == _SNAPSHOT_NOTE:
            return str(value)
    return None


def _check_served(exchange: Exchange) -> None:
    body = exchange.body.decode("utf-8", "replace")
    if exchange.function is None:
        raise ReplayFailure(f"the gateway answered {exchange.status} {body}: {exchange.error}")
    if exchange.status < 500:
        return
    if exchange.error is None:  # the function's own answer, not a failed invocation
        raise ReplayFailure(f"{exchange.function} answered {exchange.status}: {body}")
    lines = [f"the gateway answered {exchange.status}: {exchange.error}"]
    error = exchange.invocation.error if exchange.invocation else None
    if error and error.get("stackTrace"):
        lines.append("Traceback (from the function):")
        lines.extend(str(frame).rstrip("\n") for frame in error["stackTrace"])
    raise ReplayFailure("\n".join(lines))
