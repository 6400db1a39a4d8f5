"""Where a Lambda Web Adapter function's app is, read from its startup script, never run.

A function runs behind the AWS Lambda Web Adapter when it has the Adapter's layer, the
Adapter's exec wrapper (``AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap``) or a shell script as its
Handler. The wrapper runs ``${LAMBDA_TASK_ROOT}/${_HANDLER}`` (awslabs/aws-lambda-web-adapter
``layer/bootstrap``), so the Handler names the startup script in the CodeUri folder, e.g.
``run.sh`` with ``exec python -m uvicorn --port=$PORT main:app`` (``examples/fastapi-zip``).

``read_web_app`` reads that script: the last command that starts ``uvicorn`` (also as
``python -m uvicorn``), ``gunicorn`` with a uvicorn worker class, ``hypercorn``, or
``python main.py`` where ``main.py`` calls ``uvicorn.run``; their ``--app-dir`` / ``--chdir``,
``--root-path``, ``--port`` / ``--bind`` (``$PORT`` and ``${PORT:-8000}`` from the template's
environment or the script's own assignments) and ``--factory``; and the Adapter's own settings
(LWA-BEHAVIOR §1, ``src/lib.rs``: ``AWS_LWA_PORT`` then ``PORT``, default 8080; readiness path
``AWS_LWA_READINESS_CHECK_PATH`` then ``READINESS_CHECK_PATH``, default ``/``; healthy statuses
``AWS_LWA_READINESS_CHECK_HEALTHY_STATUS``, default 100-499; ``AWS_LWA_PASS_THROUGH_PATH``,
default ``/events``; ``AWS_LWA_REMOVE_BASE_PATH`` then ``REMOVE_BASE_PATH``).

What the script does that cannot be read this way (a server it does not name, a port from a
command, a WSGI app under gunicorn, a port the Adapter does not forward to) comes back as
``Unread`` with a one-line reason; nothing is guessed.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sam_fastapi.runtime.webadapter import DEFAULT_ADAPTER_PORT, AdapterSettings, WebApp
from sam_fastapi.template.model import Function, Intrinsic, Project

#: The Adapter's layer (commercial and China partitions, x86_64 and arm64). The region is
#: often ``${AWS::Region}`` in a ``!Sub``, hence the loose middle.
LAYER = re.compile(
    r"^arn:aws[\w-]*:lambda:.*:(?:753240598075|041581134020|069767869989):layer:"
    r"LambdaAdapterLayer(?:X86|Arm64)(?::|$)"
)
WRAPPER = "/opt/bootstrap"
#: The servers' own default ports.
SERVER_PORTS = {"uvicorn": "8000", "gunicorn": "8000", "hypercorn": "8000"}
_UVICORN_WORKERS = ("uvicorn.workers.UvicornWorker", "uvicorn_worker.UvicornWorker",
                    "uvicorn.workers.UvicornH11Worker")
_APP = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?:\(\))?")
_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::?-([^}]*))?\}|(\w+))")
_PYTHON = re.compile(r"python(?:3(?:\.\d+)?)?")
#: Options of each server that take a value (the value is never the app).
_VALUED = {
    "uvicorn": {"--host", "--port", "--uds", "--fd", "--app-dir", "--root-path", "--workers",
                "--log-level", "--log-config", "--env-file", "--loop", "--http", "--ws",
                "--lifespan", "--interface", "--limit-concurrency", "--backlog",
                "--timeout-keep-alive", "--forwarded-allow-ips", "--reload-dir", "--header",
                "--ssl-keyfile", "--ssl-certfile"},
    "gunicorn": {"-b", "--bind", "-w", "--workers", "-k", "--worker-class", "--chdir", "-c",
                 "--config", "-t", "--timeout", "--log-level", "-e", "--env", "--pythonpath",
                 "--threads", "--graceful-timeout", "--keep-alive", "--access-logfile",
                 "--error-logfile", "--name", "-n"},
    "hypercorn": {"-b", "--bind", "-w", "--workers", "-k", "--worker-class", "--root-path",
                  "-c", "--config", "--log-level", "--keep-alive", "--access-logfile",
                  "--error-logfile", "--graceful-timeout"},
}


@dataclass(frozen=True)
class Unread:
    """Why the app could not be read, and where."""

    message: str
    file: Path | None = None
    line: int | None = None


def uses_web_adapter(function: Function) -> bool:
    """The function runs behind the Web Adapter: its layer, its exec wrapper, or a shell
    script as its Handler."""
    if function.environment.get("AWS_LAMBDA_EXEC_WRAPPER") == WRAPPER:
        return True
    if isinstance(function.handler, str) and function.handler.endswith(".sh"):
        return True
    return any(LAYER.search(_arn_text(ref.arn)) for ref in function.layers)


def adapter_settings(environment: Mapping[str, object]) -> AdapterSettings:
    def get(*names: str) -> str | None:
        for name in names:
            value = environment.get(name)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return str(value)
        return None

    statuses = get("AWS_LWA_READINESS_CHECK_HEALTHY_STATUS")
    return AdapterSettings(
        port=get("AWS_LWA_PORT", "PORT") or DEFAULT_ADAPTER_PORT,
        readiness_path=get("AWS_LWA_READINESS_CHECK_PATH", "READINESS_CHECK_PATH") or "/",
        healthy_statuses=_status_ranges(statuses) if statuses else ((100, 499),),
        pass_through_path=get("AWS_LWA_PASS_THROUGH_PATH") or "/events",
        remove_base_path=get("AWS_LWA_REMOVE_BASE_PATH", "REMOVE_BASE_PATH"),
    )


def read_web_app(project: Project, function: Function) -> WebApp | Unread | None:
    """The app a Web Adapter function serves; ``Unread`` with the reason when the startup
    cannot be read; None when the function does not run behind the Adapter."""
    if not uses_web_adapter(function):
        return None
    code = function.code_dir
    handler = function.handler
    if code is None or not isinstance(handler, str) or not handler:
        return Unread("the Web Adapter runs the Handler as the startup script, and it is not a "
                      "file name in a local CodeUri")
    script = code / handler
    try:
        text = script.read_text(encoding="utf-8", errors="replace") if script.is_file() else None
    except OSError:
        text = None
    if text is None:
        return Unread(f"the Web Adapter runs the Handler {handler} as the startup script; there "
                      f"is no {handler} in {code.name}/ (a script that starts the server, such "
                      "as run.sh with: exec python -m uvicorn --port=$PORT main:app)")
    settings = adapter_settings(function.environment)
    variables = {k: str(v) for k, v in function.environment.items()
                 if isinstance(v, str | int) and not isinstance(v, bool | Intrinsic)}
    return _Script(script, code, variables, settings).read(text)


class _Script:
    def __init__(self, path: Path, code: Path, variables: dict[str, str],
                 settings: AdapterSettings) -> None:
        self.path = path
        self.cwd = code
        self.variables = variables
        self.settings = settings

    def read(self, text: str) -> WebApp | Unread:
        found: WebApp | Unread | None = None
        for number, line in _logical_lines(text):
            try:
                words = shlex.split(line, comments=True)
            except ValueError as exc:
                return Unread(f"{self.path.name} line {number} cannot be read as shell: {exc}",
                              self.path, number)
            if not words:
                continue
            outcome = self._command(words, number)
            if outcome is not None:
                found = outcome
        if found is None:
            return Unread(f"{self.path.name} starts no server sam-fastapi can read (uvicorn, "
                          "gunicorn with uvicorn workers, hypercorn, or python calling "
                          "uvicorn.run)", self.path)
        return found

    def _command(self, words: list[str], line: int) -> WebApp | Unread | None:
        # VAR=value alone sets a shell variable; before a command it sets it for that command.
        while words and re.fullmatch(r"\w+=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            self.variables[name] = self._expand(value) or ""
        while words and words[0] in ("exec", "export", "--", "env", "command"):
            words.pop(0)
            while words and re.fullmatch(r"\w+=.*", words[0]):
                name, _, value = words.pop(0).partition("=")
                self.variables[name] = self._expand(value) or ""
        if not words:
            return None
        if words[0] == "cd" and len(words) == 2:
            target = self._expand(words[1])
            if target is not None:
                self.cwd = (self.cwd / target).resolve() if not target.startswith("/") \
                    else Path(target)
            return None
        program = words[0].rsplit("/", 1)[-1]
        arguments = words[1:]
        if _PYTHON.fullmatch(program):
            if len(arguments) >= 2 and arguments[0] == "-m":
                program, arguments = arguments[1], arguments[2:]
            elif arguments and arguments[0].endswith(".py"):
                return self._python_script(arguments[0], line)
            else:
                return None
        if program in ("uvicorn", "hypercorn", "gunicorn"):
            return self._server(program, arguments, line)
        return None

    def _server(self, server: str, arguments: list[str], line: int) -> WebApp | Unread:
        options: dict[str, str | bool] = {}
        app = None
        valued = _VALUED[server]
        index = 0
        while index < len(arguments):
            word = arguments[index]
            if word.startswith("-"):
                name, eq, value = word.partition("=")
                if eq:
                    options[name] = value
                elif name in valued and index + 1 < len(arguments):
                    options[name] = arguments[index + 1]
                    index += 1
                else:
                    options[name] = True
            elif app is None:
                app = word
            index += 1
        if app is None or not _APP.fullmatch(app):
            return Unread(f"{self.path.name} line {line}: {server} is given no app as "
                          "module:attribute", self.path, line)
        app_dir = self.cwd
        for option in ("--app-dir", "--chdir", "--pythonpath"):
            value = options.get(option)
            if isinstance(value, str):
                expanded = self._expand(value)
                if expanded is None:
                    return self._unset(value, line)
                app_dir = (self.cwd / expanded) if not expanded.startswith("/") else Path(expanded)
        if server == "gunicorn":
            worker = options.get("-k", options.get("--worker-class"))
            if worker not in _UVICORN_WORKERS:
                return Unread(f"{self.path.name} line {line}: gunicorn serves {app} as a WSGI "
                              "app; a FastAPI app needs -k uvicorn.workers.UvicornWorker",
                              self.path, line)
        port = self._port(server, options)
        if isinstance(port, Unread):
            return port
        if port is not None and port != self.settings.port:
            return Unread(f"{self.path.name} line {line}: {server} listens on port {port} and "
                          f"the Adapter forwards to {self.settings.port} (AWS_LWA_PORT, PORT); "
                          "make them the same", self.path, line)
        root_path = options.get("--root-path")
        factory = options.get("--factory") is True or app.endswith("()")
        module, _, attribute = app.removesuffix("()").partition(":")
        return WebApp(module, attribute, factory, app_dir,
                      self._expand(root_path) or "" if isinstance(root_path, str) else "",
                      server, self.path, line, self.settings)

    def _port(self, server: str, options: Mapping[str, str | bool]) -> str | Unread | None:
        given: str | bool | None
        if server == "uvicorn":
            given = options.get("--port")
        else:
            bind = options.get("-b", options.get("--bind"))
            given = bind.rpartition(":")[2] if isinstance(bind, str) and ":" in bind else None
            if isinstance(bind, str) and bind.startswith("unix:"):
                given = None
        if not isinstance(given, str):
            return SERVER_PORTS[server]
        port = self._expand(given)
        if port is None:
            return self._unset(given, None)
        return port if port.isdigit() else None

    def _python_script(self, name: str, line: int) -> WebApp | Unread:
        expanded = self._expand(name)
        path = self.cwd / (expanded or name)
        try:
            tree = ast.parse(path.read_bytes())
        except OSError:
            return Unread(f"{self.path.name} line {line} runs {name}, which is not in "
                          f"{self.cwd.name}/", self.path, line)
        except (SyntaxError, ValueError) as exc:
            return Unread(f"{self.path.name} line {line} runs {name}, which is not valid "
                          f"Python: {exc}", path, getattr(exc, "lineno", None))
        call = _uvicorn_run(tree)
        if call is None:
            return Unread(f"{name} does not call uvicorn.run(app, ...) where sam-fastapi can "
                          "see it (at module level or under if __name__ == '__main__')",
                          path, None)
        module = path.stem
        target = call.args[0] if call.args else next(
            (k.value for k in call.keywords if k.arg == "app"), None)
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        if isinstance(target, ast.Name):
            attribute = target.id
        elif isinstance(target, ast.Constant) and isinstance(target.value, str) \
                and _APP.fullmatch(target.value):
            module, _, attribute = target.value.removesuffix("()").partition(":")
        else:
            return Unread(f"{name} line {call.lineno}: uvicorn.run is given an app sam-fastapi "
                          "cannot name (pass the app object or 'module:attribute')",
                          path, call.lineno)
        port = _literal_port(keywords.get("port"), self.variables)
        if port is not None and port != self.settings.port:
            return Unread(f"{name} line {call.lineno}: uvicorn.run listens on port {port} and the "
                          f"Adapter forwards to {self.settings.port} (AWS_LWA_PORT, PORT); make "
                          "them the same", path, call.lineno)
        root = keywords.get("root_path")
        factory = keywords.get("factory")
        app_dir = keywords.get("app_dir")
        folder = path.parent
        if isinstance(app_dir, ast.Constant) and isinstance(app_dir.value, str):
            folder = self.cwd / app_dir.value
        return WebApp(module, attribute,
                      isinstance(factory, ast.Constant) and factory.value is True, folder,
                      root.value if isinstance(root, ast.Constant) and isinstance(root.value, str)
                      else "", "uvicorn.run", path, call.lineno, self.settings)

    def _expand(self, text: str) -> str | None:
        """``$VAR``, ``${VAR}`` and ``${VAR:-default}`` expanded; None when a variable is unset
        (and has no default)."""
        missing = False

        def value(match: re.Match[str]) -> str:
            nonlocal missing
            name = match.group(1) or match.group(3)
            found = self.variables.get(name)
            if found is None or (found == "" and match.group(2) is not None):
                if match.group(2) is not None:
                    return match.group(2)
                missing = True
                return ""
            return found

        expanded = _VARIABLE.sub(value, text)
        return None if missing else expanded

    def _unset(self, text: str, line: int | None) -> Unread:
        names = ", ".join(m.group(1) or m.group(3) for m in _VARIABLE.finditer(text))
        return Unread(f"{self.path.name} uses ${names}, which neither the function's "
                      "Environment nor the script sets", self.path, line)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, numbered by their first line."""
    lines: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append((start, pending + line))
        pending = ""
    if pending:
        lines.append((start, pending))
    return lines


def _uvicorn_run(tree: ast.Module) -> ast.Call | None:
    bodies = [tree.body]
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            bodies.append(node.body)
    for body in bodies:
        for statement in body:
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
                func = statement.value.func
                name = ast.unparse(func)
                if name in ("uvicorn.run", "run"):
                    return statement.value
    return None


def _literal_port(node: ast.expr | None, variables: Mapping[str, str]) -> str | None:
    """A port given as a number, or read from ``os.environ`` / ``os.getenv`` (with default)."""
    if node is None:
        return SERVER_PORTS["uvicorn"]
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "int" and node.args:
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, int | str):
        return str(node.value)
    source = ast.unparse(node)
    match = re.fullmatch(r"os\.(?:environ\.get|getenv)\(['\"](\w+)['\"](?:,\s*(.+))?\)|"
                         r"os\.environ\[['\"](\w+)['\"]\]", source)
    if match is None:
        return None
    name = match.group(1) or match.group(3)
    if name in variables:
        return variables[name]
    default = match.group(2)
    return default.strip("'\"") if default else None


def _status_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """``200-399,404``: bad parts are skipped, as the Adapter's parse_status_codes does."""
    ranges = []
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        if low.isdigit() and (not dash or high.isdigit()):
            ranges.append((int(low), int(high) if dash else int(low)))
    return tuple(ranges)


def _arn_text(arn: object) -> str:
    if isinstance(arn, str):
        return arn
    if isinstance(arn, Intrinsic) and arn.function == "Fn::Sub":
        argument = arn.argument
        if isinstance(argument, list) and argument:
            argument = argument[0]
        return argument if isinstance(argument, str) else ""
    return ""
