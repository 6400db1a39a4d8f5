"""SF309 web-adapter-app-unread."""

from __future__ import annotations

from collections.abc import Iterator

from sam_fastapi import hookimpl
from sam_fastapi.checks.base import CheckContext
from sam_fastapi.findings import Location, Rule, Severity, Violation
from sam_fastapi.template.model import Project
from sam_fastapi.webadapter import Unread, read_web_app


class WebAdapterAppUnread:
    rule = Rule(
        id="SF309",
        name="web-adapter-app-unread",
        severity=Severity.ERROR,
        summary="A Web Adapter function's startup script starts no app sam-fastapi can read.",
        docs="""\
## What it does
For a function behind the AWS Lambda Web Adapter (its layer, `AWS_LAMBDA_EXEC_WRAPPER:
/opt/bootstrap`, or a `Handler` that is a shell script), reads the startup script the Handler
names: the command that starts `uvicorn` (or `python -m uvicorn`), `gunicorn` with a uvicorn
worker, `hypercorn`, or `python main.py` calling `uvicorn.run`, and its `--app-dir`,
`--port`/`--bind` and `$PORT`. Reports a script that is missing, names no app, runs a WSGI
app under gunicorn, uses a variable nothing sets, or listens on another port than the one the
Adapter forwards to (`AWS_LWA_PORT`, then `PORT`, default 8080).

## Why is this bad?
On Lambda the Adapter waits for the app on its port until the init times out: every request
fails with 502. Locally, `pytest --sam`, `serve` and `routes` cannot tell which app to run.

## Example
```yaml
Handler: run.sh
Environment:
  Variables: {AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap}   # no PORT: the Adapter uses 8080
```
```bash
exec python -m uvicorn --port=8000 main:app
```

## Use instead
```yaml
  Variables: {AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap, PORT: 8000}
```
```bash
exec python -m uvicorn --port=$PORT main:app
```
""",
    )

    def run(self, project: Project, ctx: CheckContext) -> Iterator[Violation]:
        for function in project.functions.values():
            if function.code_dir is None or not function.code_dir.is_dir():
                continue  # SF102 says so
            found = read_web_app(project, function)
            if not isinstance(found, Unread):
                continue
            location = Location(str(found.file), found.line or 1) if found.file else None
            yield Violation(found.message, resource=function.logical_id, location=location,
                            path=("Resources", function.logical_id, "Properties", "Handler"))


@hookimpl
def sam_fastapi_register_checks() -> list[WebAdapterAppUnread]:
    return [WebAdapterAppUnread()]
