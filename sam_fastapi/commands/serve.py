"""``sam-fastapi serve``: the template's APIs on a local port, without Docker.

The gateway ASGI application (``sam_fastapi.gateway.asgi``) under uvicorn: one log line per
request, the handlers' output prefixed with their function's name.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sam_fastapi import hookimpl
from sam_fastapi.errors import UsageError

if TYPE_CHECKING:  # imported when serve runs, so other commands start without them
    import logging
    import socket

    from sam_fastapi.gateway.auth import ReadyToken

LOOPBACK = "127.0.0.1"
INSTALL_HINT = "sam-fastapi serve needs uvicorn: pip install 'sam-fastapi[serve]'"


@hookimpl
def sam_fastapi_register_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the template's APIs locally, as API Gateway + Lambda would (no Docker)",
        description="Route every request through the template's API events to its function, "
                    "each instance in a sandbox process of its own. RUNS YOUR CODE. Binds "
                    "127.0.0.1 unless --host says otherwise.",
    )
    parser.add_argument("template", nargs="?", type=Path, default=Path("template.yaml"),
                        metavar="TEMPLATE", help="the SAM template (default: template.yaml)")
    parser.add_argument("--host", default=None,
                        help=f"address to bind (default {LOOPBACK}; any other address makes "
                             "your functions reachable from the network)")
    parser.add_argument("--port", type=int, default=3000, help="port (default 3000; 0 picks a "
                                                                "free one)")
    parser.add_argument("--stage", default=None, help="stage name of every API")
    parser.add_argument("--parameter-overrides", nargs="*", default=[], metavar="KEY=VALUE",
                        help="template parameters (win over samconfig.toml)")
    parser.add_argument("--reload", action="store_true",
                        help="start a function cold when its code or layers change")
    parser.add_argument("--concurrency", choices=("queue", "instances"), default="queue",
                        help="requests for a busy function wait for its one instance (queue, "
                             "the default) or start another, cold (instances)")
    parser.add_argument("--isolation", choices=("process", "thread"), default="process",
                        help="each function instance in a sandbox process of its own "
                             "(process, the default: a crash or a hang ends only that "
                             "instance, functions run in parallel), or in this process, one "
                             "call at a time (thread)")
    parser.add_argument("--record", type=Path, default=None, metavar="DIR",
                        help="write each request's event and response snapshot to DIR, "
                             "replayable with pytest --sam")
    parser.add_argument("--redact", action="append", default=[], metavar="HEADER",
                        help="also replace this header's value wherever it appears in "
                             "recordings (repeatable; Authorization, Proxy-Authorization, "
                             "Cookie, X-Api-Key, X-Amz-Security-Token and credential query "
                             "parameters always are)")
    parser.add_argument("--no-redact", action="store_true",
                        help="record header and query values as they came")
    parser.add_argument("--token", action="store_true",
                        help="print a token that the template's JWT and Cognito authorizers "
                             "accept on every route for this run (12 hours)")
    parser.add_argument("--claim", action="append", default=[], metavar="CLAIM=VALUE",
                        help="a claim of that token (repeatable; implies --token; a JSON "
                             "VALUE such as 3 or [\"admins\"] is read as JSON)")
    parser.add_argument("--no-jwt-auth", action="store_true",
                        help="let every request through JWT and Cognito authorizers "
                             "(Lambda authorizers still run)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    from sam_fastapi.gateway import GatewayError
    from sam_fastapi.gateway.asgi import create_app
    from sam_fastapi.gateway.recording import DEFAULT_REDACTED

    host = check_host(args.host)
    if not args.template.is_file():
        raise UsageError(f"{args.template}: no such file")
    overrides = dict(_pair(item, "--parameter-overrides") for item in args.parameter_overrides)
    claims = {key: _claim_value(value) for key, value in
              (_pair(item, "--claim") for item in args.claim)}
    redact = None if args.no_redact else (*DEFAULT_REDACTED, *args.redact)
    try:
        app = create_app(args.template, stage=args.stage, parameter_overrides=overrides,
                         record_dir=args.record, redact=redact, concurrency=args.concurrency,
                         reload=args.reload, check_tokens=not args.no_jwt_auth,
                         isolation=args.isolation)
        tokens = app.gateway.ready_tokens(claims) if args.token or claims else []
    except GatewayError as exc:
        raise UsageError(str(exc)) from None
    if (args.token or claims) and not tokens:
        app.close()
        raise UsageError(f"--token: {args.template} has no route behind a JWT or Cognito "
                         "authorizer (Lambda authorizers get what you send them)")
    sock = bind(host, args.port)
    log = _console_log()
    port = sock.getsockname()[1]
    if host != LOOPBACK and not _is_loopback(host):
        log.warning("sam-fastapi serve: %s is reachable from other machines; your functions "
                    "run with your credentials", host)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    functions = len(app.project.functions)
    log.info("sam-fastapi serve: http://%s:%d/ (%s, %d function%s%s%s; Ctrl+C stops)",
             host if ":" not in host else f"[{host}]", port, args.template, functions,
             "" if functions == 1 else "s", ", reload" if args.reload else "",
             f", recording to {args.record}" if args.record else "")
    if args.no_jwt_auth:
        log.warning("sam-fastapi serve: *** JWT AND COGNITO AUTHORIZERS ARE OFF (--no-jwt-auth): "
                    "every request gets through them, and functions see no authorizer claims; "
                    "Lambda authorizers still run ***")
    for ready in tokens:
        _log_token(log, ready)
    nothing = app.gateway.nothing_to_route
    if nothing:
        log.warning("sam-fastapi serve: nothing to route: %s; every request is answered 404 "
                    "(pytest --sam's sam_client.invoke(logical_id, event) calls them)", nothing)
    saved = sys.stdout, sys.stderr
    sys.stdout = FunctionOutput(sys.stdout, app)
    sys.stderr = FunctionOutput(sys.stderr, app)
    try:
        server.run(sockets=[sock])
    finally:
        sys.stdout, sys.stderr = saved
        sock.close()
        app.close()
    return 0


def _console_log() -> logging.Logger:
    """The request log on stderr, as bare lines; set up once per process."""
    import logging

    log = logging.getLogger("sam_fastapi.serve")
    if not any(getattr(h, "sam_fastapi_serve", False) for h in log.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.sam_fastapi_serve = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


def check_host(host: str | None) -> str:
    """The address to bind: loopback unless one was given explicitly, and then a valid one."""
    if host is None:
        return LOOPBACK
    if not host.strip():
        raise UsageError("--host is empty (127.0.0.1 serves this machine only)")
    return host


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a one-line error: the port taken, the address not this machine's."""
    import errno
    import socket

    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port} is not a port (0-65535)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is in use (--port picks another)") from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


class FunctionOutput:
    """A console stream that prefixes what handlers write with ``[FunctionName] ``.

    Invocations run one at a time in the process, so whatever is written while one runs
    (from the handler's thread or one it started) is that function's output.
    """

    def __init__(self, stream: TextIO, app: object) -> None:
        self.stream = stream
        self.app = app
        self.at_line_start = True

    def write(self, text: str) -> int:
        function = getattr(self.app, "running", None)
        if function is None or not text:
            return self.stream.write(text)
        prefix = f"[{function}] "
        lines = text.splitlines(keepends=True)
        out = []
        for line in lines:
            out.append(prefix + line if self.at_line_start else line)
            self.at_line_start = line.endswith("\n")
        self.stream.write("".join(out))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _log_token(log: logging.Logger, ready: ReadyToken) -> None:
    import json

    authorizer = ready.authorizer
    shown = json.dumps({k: v for k, v in ready.claims.items() if k not in ("iat", "exp")})
    log.info("sam-fastapi serve: a token %s (%s) accepts until the server stops or 12 hours "
             "pass, with claims %s:\n  Authorization: Bearer %s", authorizer.name,
             authorizer.api_id, shown, ready.token)


def _pair(item: str, option: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise UsageError(f"{option} {item!r}: expected KEY=VALUE")
    return key, value


def _claim_value(value: str) -> object:
    """A claim's value: JSON when it reads as JSON (numbers, lists, booleans), else the text."""
    import json

    try:
        return json.loads(value)
    except ValueError:
        return value
