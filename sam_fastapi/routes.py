"""The route table ``sam-fastapi routes`` prints: every API route of a template, the function
and FastAPI endpoint that serve it, routes no event delivers and events no route serves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sam_fastapi.errors import UsageError


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # as the client calls it; the app's own path when no event delivers it
    function: str
    endpoint: str | None  # module:function; None for an event no route serves
    api: str | None
    event: str | None
    status: str  # "ok", "unreachable" or "unserved"


def rows(template: Path, *, import_apps: bool = False) -> tuple[list[Row], list[str]]:
    """The route map of ``template`` and notes (import failures, what was not read)."""
    from sam_fastapi.checks.base import CheckContext
    from sam_fastapi.checks.routes.coverage import coverage
    from sam_fastapi.config import LintConfig
    from sam_fastapi.template import TemplateError
    from sam_fastapi.template.stacks import load_project

    try:
        project = load_project(template)
    except TemplateError as exc:
        raise UsageError(str(exc)) from None
    result = coverage(project, CheckContext(LintConfig(import_apps=import_apps)))
    found: list[Row] = []
    notes = [failure.message for failure in result.failures]
    for function in project.functions.values():
        routes = result.functions.get(function.logical_id)
        if routes is None:
            if function.events:
                notes.append(f"{function.logical_id}: its FastAPI app could not be read")
            continue
        for delivery in routes.deliveries:
            route = delivery.route
            found.append(Row(
                delivery.method, delivery.client_path or route.path, function.logical_id,
                route.endpoint, delivery.api.logical_id if delivery.api else None,
                delivery.event, "ok" if delivery.event else "unreachable",
            ))
        for event in routes.unserved:
            api = result.router.apis.get(event.api_id)
            prefix = api.api.stage_prefix if api is not None else ""
            found.append(Row(event.method or "ANY", prefix + (event.path or "$default"),
                             function.logical_id, None, event.api_id, event.name, "unserved"))
        notes.extend(f"{note.location.file}:{note.location.line}: {note.message}"
                     for note in routes.app.notes)
    return found, notes


def format_text(found: list[Row]) -> str:
    if not found:
        return "no API routes\n"
    table = [("METHOD", "PATH", "FUNCTION", "ENDPOINT", "")]
    table += [(r.method, r.path, r.function, r.endpoint or "-",
               "" if r.status == "ok" else r.status.upper()) for r in found]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in
                       zip(row[:4], widths, strict=True)) + "  " + row[4] for row in table]
    return "".join(line.rstrip() + "\n" for line in lines)
