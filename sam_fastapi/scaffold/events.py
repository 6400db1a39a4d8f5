"""Recorded events for a generated project, built by the gateway from its own template.

The events are exactly what ``pytest --sam`` would send for the request (the same router and
builders), so a replay routes them the way API Gateway would. Their clock is fixed so that
generating a project twice gives the same files.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from sam_fastapi.template import build_project, load_template

#: 2024-01-01T00:00:00Z: recorded events carry this time, not the time of generation.
RECORDED_AT = 1_704_067_200.0


class EventBuilder:
    """Proxy events for requests to a project, from its ``template.yaml`` text.

    Only routing is needed, so the template is read from a scratch folder, before (and
    whether or not) the project is written.
    """

    def __init__(self, template_text: str) -> None:
        from sam_fastapi.gateway.router import Router

        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "template.yaml"
            path.write_text(template_text, encoding="utf-8")
            project = build_project(load_template(path), path)
        self.router = Router.from_project(project)

    def event(self, method: str, path: str, *, query: Sequence[tuple[str, str]] = (),
              headers: Sequence[tuple[str, str]] = (), body: bytes = b"") -> dict[str, Any]:
        from sam_fastapi.gateway.events import BUILDERS, Request
        from sam_fastapi.gateway.router import Miss

        request = Request.build(method, path, query=query, headers=headers, body=body,
                                now=RECORDED_AT)
        found = self.router.match(request.method, request.path)
        if isinstance(found, Miss):
            raise LookupError(f"the generated template routes no {method} {path}: {found.reason}")
        kind = BUILDERS[(found.route.api.kind, found.route.payload_format_version)]
        event = kind.build(request, found)
        context = event.get("requestContext")
        if isinstance(context, dict):
            # Random per request in the builders; fixed here so files do not churn.
            seed = uuid.uuid5(uuid.NAMESPACE_URL, f"{method} {path}")
            for key, value in (("requestId", str(seed)), ("extendedRequestId", seed.hex[:16])):
                if key in context:
                    context[key] = value
        return event


def event_text(event: dict[str, Any]) -> str:
    return json.dumps(event, indent=2, sort_keys=True) + "\n"


def snapshot_text(status: int, headers: Sequence[tuple[str, str]], body: bytes, *,
                  pin: Collection[str] | None = None) -> str:
    """The ``NAME.response.json`` that ``pytest --sam`` compares a replay with: the status,
    the body and the headers named in ``pin`` (by default the content type)."""
    from sam_fastapi.gateway.snapshots import dump, render

    pinned = None
    if pin is not None:
        names = {name.lower() for name in pin}
        pinned = {"status": None, "body": None,
                  "headers": dict.fromkeys(k.lower() for k, _ in headers if k.lower() in names)}
    return dump(render(status, headers, body, pinned))
